// Secure /metrics: HTTPS, and only for bearer tokens the API server authenticates
// (TokenReview) and authorizes for `get /metrics` (SubjectAccessReview), through the real
// @kubernetes/client-node clients against a local review endpoint.
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import * as k8s from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { MetricsAccessReviewer } from '../../src/metrics/access-review.js';
import { authorizedRoute } from '../../src/metrics/authorized-route.js';
import { startHttpServer, type RunningServer } from '../../src/metrics/http-server.js';
import { CERT_FILE, KEY_FILE, certDirIdentity, selfSignedIdentity } from '../../src/metrics/tls-identity.js';
import { eventually } from '../e2e/fixture.js';
import { ReviewServer } from './support/review-server.js';

const PROMETHEUS_TOKEN = 'prometheus-token-planted-4b1e';
const TENANT_TOKEN = 'tenant-token-planted-9c2d';
const BODY = 'keyferry_store_ready{kind="SecretStore",namespace="team-b",name="db"} 1\n';

interface Answer { status: number; body: string; headers: Record<string, string | string[] | undefined>; cert: PeerCertificate }

function get(url: string, options: { token?: string; ca: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: options.ca, headers: options.token ? { authorization: `Bearer ${options.token}` } : {}, agent: false }, (res) => {
      let body = '';
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, cert }));
    });
    req.on('error', reject).end();
  });
}

async function selfSignedPem(commonName: string): Promise<{ cert: string; key: string }> {
  const pair = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { cert: pair.cert, key: pair.private };
}

describe('secure metrics serving', () => {
  let reviews: ReviewServer;
  let server: RunningServer;
  let ca: string;
  let now = 1_000_000;
  const errors: unknown[] = [];

  before(async () => {
    reviews = new ReviewServer({
      users: {
        [PROMETHEUS_TOKEN]: { username: 'system:serviceaccount:monitoring:prometheus', uid: 'u-1', groups: ['system:serviceaccounts', 'system:authenticated'] },
        [TENANT_TOKEN]: { username: 'system:serviceaccount:team-a:default', uid: 'u-2', groups: ['system:serviceaccounts', 'system:authenticated'] },
      },
      allow: (user, path, verb) => user.username === 'system:serviceaccount:monitoring:prometheus' && path === '/metrics' && verb === 'get',
    });
    await reviews.start();
    const kc = reviews.kubeConfig();
    const authn = kc.makeApiClient(k8s.AuthenticationV1Api);
    const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    const reviewer = new MetricsAccessReviewer({
      createTokenReview: (body) => authn.createTokenReview({ body }),
      createSubjectAccessReview: (body) => authz.createSubjectAccessReview({ body }),
    }, { path: '/metrics', now: () => now, allowTtlMs: 60_000, denyTtlMs: 30_000, unauthenticatedTtlMs: 10_000 });
    const tls = await selfSignedIdentity(['localhost', '127.0.0.1']);
    ca = String(tls.current().cert);
    server = await startHttpServer('127.0.0.1:0', {
      '/metrics': authorizedRoute((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }).end(BODY); }, reviewer, { onError: (e) => errors.push(e) }),
    }, { tls });
  });

  after(async () => {
    await server?.close();
    await reviews?.close();
  });

  const url = () => `https://${server.address}/metrics`;

  it('serves HTTPS with a certificate for its address, and refuses plain HTTP', async () => {
    assert.equal(server.scheme, 'https');
    const answer = await get(url(), { ca });
    assert.equal(answer.cert.subject.CN, 'keyferry-metrics');
    await assert.rejects(fetch(`http://${server.address}/metrics`));
  });

  it('answers 401 without a bearer token, and asks the API server nothing', async () => {
    const before = reviews.reviews;
    const answer = await get(url(), { ca });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['www-authenticate'], 'Bearer');
    assert.equal(answer.body, 'unauthorized\n');
    assert.equal(reviews.reviews, before);
  });

  it('answers 401 to a token the TokenReview does not authenticate, without an access review', async () => {
    const before = reviews.accessReviews.length;
    const answer = await get(url(), { ca, token: 'not-a-token-planted-77' });
    assert.equal(answer.status, 401);
    assert.equal(reviews.accessReviews.length, before);
    assert.equal(reviews.tokenReviews.at(-1)!.spec.token, 'not-a-token-planted-77');
  });

  it('answers 403 to an authenticated user the SubjectAccessReview denies, naming nothing', async () => {
    const answer = await get(url(), { ca, token: TENANT_TOKEN });
    assert.equal(answer.status, 403);
    assert.equal(answer.body, 'forbidden\n');
    assert.ok(!answer.body.includes('team-b'));
    const review = reviews.accessReviews.at(-1)!;
    assert.equal(review.spec.user, 'system:serviceaccount:team-a:default');
    assert.deepEqual(review.spec.groups, ['system:serviceaccounts', 'system:authenticated']);
    assert.deepEqual(review.spec.nonResourceAttributes, { path: '/metrics', verb: 'get' });
  });

  it('serves the metrics to a user allowed to get /metrics, and caches the decision for a while', async () => {
    const first = await get(url(), { ca, token: PROMETHEUS_TOKEN });
    assert.equal(first.status, 200);
    assert.equal(first.body, BODY);
    const counted = reviews.reviews;
    now += 59_000;
    assert.equal((await get(url(), { ca, token: PROMETHEUS_TOKEN })).status, 200);
    assert.equal(reviews.reviews, counted, 'within the TTL no review is made');
    now += 2_000;
    assert.equal((await get(url(), { ca, token: PROMETHEUS_TOKEN })).status, 200);
    assert.equal(reviews.reviews, counted + 2, 'after the TTL both reviews are made again');
  });

  it('answers 503 while the API server cannot review, and does not cache that', async () => {
    now += 120_000;
    reviews.failWith = 500;
    try {
      const answer = await get(url(), { ca, token: PROMETHEUS_TOKEN });
      assert.equal(answer.status, 503);
      assert.equal(answer.headers['retry-after'], '5');
      assert.ok(errors.length > 0);
    } finally {
      reviews.failWith = undefined;
    }
    assert.equal((await get(url(), { ca, token: PROMETHEUS_TOKEN })).status, 200);
  });

  it('never keeps a token: the cache key is a hash', async () => {
    const reviewer = new MetricsAccessReviewer({
      createTokenReview: async () => ({ status: { authenticated: true, user: { username: 'u' } } }),
      createSubjectAccessReview: async () => ({ status: { allowed: true } }),
    }, { path: '/metrics' });
    await reviewer.review(PROMETHEUS_TOKEN);
    const cache = (reviewer as unknown as { decisions: { keys(): Iterable<string> } }).decisions;
    const keys = [...cache.keys()];
    assert.equal(keys.length, 1);
    assert.ok(!keys[0]!.includes(PROMETHEUS_TOKEN) && keys[0]!.length === 43);
  });
});

describe('metrics certificate from a directory', () => {
  it('serves tls.crt/tls.key and picks up a replaced pair without a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keyferry-certs-'));
    let server: RunningServer | undefined;
    try {
      const first = await selfSignedPem('first');
      await writeFile(join(dir, CERT_FILE), first.cert);
      await writeFile(join(dir, KEY_FILE), first.key);
      const failures: unknown[] = [];
      server = await startHttpServer('127.0.0.1:0', { '/metrics': (_req, res) => { res.end('ok'); } }, { tls: certDirIdentity(dir, { pollMs: 20, onError: (e) => failures.push(e) }) });
      const url = `https://${server.address}/metrics`;
      assert.equal((await get(url, { ca: first.cert })).cert.subject.CN, 'first');

      // A key that does not match keeps the old pair in service.
      const stray = await selfSignedPem('stray');
      await writeFile(join(dir, `${KEY_FILE}.new`), stray.key);
      await rename(join(dir, `${KEY_FILE}.new`), join(dir, KEY_FILE));
      await eventually(() => failures.length > 0, 10_000, 'the mismatched pair refused');
      assert.equal((await get(url, { ca: first.cert })).cert.subject.CN, 'first');

      const second = await selfSignedPem('second');
      await writeFile(join(dir, CERT_FILE), second.cert);
      await writeFile(join(dir, KEY_FILE), second.key);
      const cn = await eventually(async () => {
        const answer = await get(url, { ca: second.cert }).catch(() => undefined);
        return answer?.cert.subject.CN === 'second' ? answer.cert.subject.CN : undefined;
      }, 10_000, 'the new certificate served');
      assert.equal(cn, 'second');
    } finally {
      await server?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
