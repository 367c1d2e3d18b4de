// /metrics as the manifests serve it (--metrics-secure), against the real API server: the
// operator, running with exactly manifests/rbac/, asks it whose token a caller sent
// (TokenReview) and whether that user may get /metrics (SubjectAccessReview). Without a token:
// 401; a tenant's ServiceAccount: 403; a ServiceAccount bound to keyferry-metrics-reader: the
// metrics. The dev cluster has no SubjectAccessReview, so this runs on the real cluster; plain
// mode (make dev, most tests) is the default of `keyferry run`.
// Also here: a sharded StatefulSet's pod takes its shard from its name.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { kubectl } from '../support/control-plane/shared-control-plane.js';
import { eventually, forEachCluster, namespace, startClusterFixture, type ClusterFixture } from './fixture.js';

interface Answer { status: number; body: string; headers: Record<string, string | string[] | undefined>; cert: PeerCertificate }

function get(url: string, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Self-signed, as the manifests serve it by default; what is checked here is the token.
    request(url, { rejectUnauthorized: false, agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, cert }));
    }).on('error', reject).end();
  });
}

forEachCluster('secure /metrics', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let op: OperatorProcess;
  let url: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    fx = await startClusterFixture(kind);
    await fx.cluster.apply([
      namespace('scrapers'),
      namespace('tenant-a'),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'prometheus', namespace: 'scrapers' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default-app', namespace: 'tenant-a' } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'scrapers-keyferry-metrics' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'keyferry-metrics-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'scrapers' }],
      },
    ]);
    for (const [who, ns, sa] of [['scraper', 'scrapers', 'prometheus'], ['tenant', 'tenant-a', 'default-app']] as const) {
      tokens[who] = (await kubectl(fx.adminKubeconfigPath, ['create', 'token', sa, '-n', ns, '--duration=1h'])).trim();
    }
    op = await startOperatorProcess({ ...fx.operator, args: ['--metrics-secure'] });
    url = String((await op.waitForLog((l) => l.msg === 'metrics server listening')).url);
  });

  after(async () => {
    await op?.kill();
    await fx?.close();
  });

  it('serves HTTPS only', async () => {
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const answer = await get(url);
    assert.equal(answer.cert.subject.CN, 'keyferry-metrics');
    await assert.rejects(fetch(url.replace('https:', 'http:')));
  });

  it('answers 401 without a token, and to a token the API server does not know', async () => {
    assert.equal((await get(url)).status, 401);
    const forged = `${tokens.scraper!.slice(0, -8)}AAAAAAAA`;
    assert.equal((await get(url, forged)).status, 401);
  });

  it('answers 403 to a tenant\'s ServiceAccount, naming no store or ExternalSecret', async () => {
    const answer = await get(url, tokens.tenant);
    assert.equal(answer.status, 403);
    assert.equal(answer.body, 'forbidden\n');
  });

  it('serves the metrics to a ServiceAccount bound to keyferry-metrics-reader', async () => {
    const answer = await get(url, tokens.scraper);
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.body, /^# HELP externalsecret_sync_calls_total /m);
  });

  it('logs no token', () => {
    for (const token of Object.values(tokens)) assert.ok(!op.output().includes(token.slice(-24)));
  });
}, ['real']);

forEachCluster('shard from a StatefulSet pod name', function (kind) {
  this.timeout(60_000);
  let fx: ClusterFixture;

  before(async () => {
    fx = await startClusterFixture(kind);
  });

  after(async () => {
    await fx?.close();
  });

  it('pod keyferry-1 of two runs shard 1, under that shard\'s Lease', async () => {
    const op = await startOperatorProcess({
      ...fx.operator,
      env: { ...fx.operator.env, POD_NAME: 'keyferry-1' },
      args: ['--shard-index-from-pod-name', '--shard-count', '2', '--leader-elect'],
    });
    try {
      const running = await op.waitForLog((l) => l.msg === 'operator running');
      assert.equal(running.shard, '1/2');
      const holder = await eventually(async () => {
        const lease = await fx.cluster.get('coordination.k8s.io/v1', 'Lease', 'keyferry-leader-shard-1', fx.operatorNamespace);
        return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
      }, 20_000 * fx.slow, 'the Lease of shard 1 held');
      assert.ok(holder.length > 0);
      assert.equal(await fx.cluster.get('coordination.k8s.io/v1', 'Lease', 'keyferry-leader-shard-0', fx.operatorNamespace), undefined);
    } finally {
      await op.kill();
    }
  });
});
