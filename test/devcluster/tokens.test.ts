import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { failure, startTestCluster, type TestCluster } from './helpers.js';

describe('dev cluster service-account tokens', () => {
  let t: TestCluster;
  let auth: k8s.AuthenticationV1Api;
  before(async () => {
    t = await startTestCluster({ minTokenExpirationSeconds: 60 });
    auth = t.kc.makeApiClient(k8s.AuthenticationV1Api);
    await t.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'keyferry' } } });
  });
  after(() => t.cluster.stop());

  const request = (body: k8s.AuthenticationV1TokenRequest, name = 'keyferry') =>
    t.core.createNamespacedServiceAccountToken({ namespace: 'default', name, body });

  it('publishes OIDC discovery and JWKS that verify TokenRequest tokens', async () => {
    const conf = (await (await fetch(`${t.cluster.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(conf.issuer, t.cluster.url);
    assert.equal(conf.jwks_uri, `${t.cluster.url}/openid/v1/jwks`);
    assert.deepEqual(conf.id_token_signing_alg_values_supported, ['RS256']);
    assert.equal(t.cluster.issuer.jwksUri, conf.jwks_uri);

    const tr = await request({ spec: { audiences: ['sts.amazonaws.com'], expirationSeconds: 900 } });
    const token = tr.status!.token;
    assert.ok(tr.status!.expirationTimestamp);
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(String(conf.jwks_uri))), {
      issuer: String(conf.issuer), audience: 'sts.amazonaws.com',
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, 'system:serviceaccount:default:keyferry');
    assert.equal(Number(payload.exp) - Number(payload.iat), 900);
    const claim = payload['kubernetes.io'] as { namespace: string; serviceaccount: { name: string; uid: string } };
    assert.equal(claim.namespace, 'default');
    assert.equal(claim.serviceaccount.name, 'keyferry');
    const sa = await t.core.readNamespacedServiceAccount({ namespace: 'default', name: 'keyferry' });
    assert.equal(claim.serviceaccount.uid, sa.metadata!.uid);
  });

  it('defaults the audience to the issuer and the expiry to one hour', async () => {
    const tr = await request({ spec: { audiences: [] } });
    const p = decodeJwt(tr.status!.token);
    assert.deepEqual(p.aud, [t.cluster.url]);
    assert.equal(Number(p.exp) - Number(p.iat), 3600);
    assert.equal(decodeProtectedHeader(tr.status!.token).typ, undefined);
  });

  it('refuses an expiry below the minimum, and tokens for a missing service account', async () => {
    const f = await failure(request({ spec: { audiences: ['x'], expirationSeconds: 10 } }));
    assert.equal(f.code, 422);
    assert.match(f.body.message!, /may not specify a duration less than 60 seconds/);
    assert.equal((await failure(request({ spec: { audiences: ['x'] } }, 'nobody'))).code, 404);
  });

  it('TokenReview authenticates its own tokens, honouring audiences', async () => {
    const token = (await request({ spec: { audiences: ['vault'] } })).status!.token;
    const ok = await auth.createTokenReview({ body: { spec: { token, audiences: ['vault'] } } });
    assert.equal(ok.status!.authenticated, true);
    assert.equal(ok.status!.user!.username, 'system:serviceaccount:default:keyferry');
    assert.ok(ok.status!.user!.groups!.includes('system:serviceaccounts:default'));
    assert.deepEqual(ok.status!.audiences, ['vault']);
    const wrongAud = await auth.createTokenReview({ body: { spec: { token, audiences: ['other'] } } });
    assert.equal(wrongAud.status!.authenticated, false);
    assert.match(wrongAud.status!.error!, /audience/);
    const garbage = await auth.createTokenReview({ body: { spec: { token: 'not-a-jwt' } } });
    assert.equal(garbage.status!.authenticated, false);
    // A token of a deleted service account no longer authenticates.
    await t.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'shortlived' } } });
    const t2 = (await request({ spec: { audiences: ['vault'] } }, 'shortlived')).status!.token;
    await t.core.deleteNamespacedServiceAccount({ namespace: 'default', name: 'shortlived' });
    const gone = await auth.createTokenReview({ body: { spec: { token: t2, audiences: ['vault'] } } });
    assert.equal(gone.status!.authenticated, false);
  });

  it('binds a token to a Pod when asked', async () => {
    const pod = await t.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
    const tr = await request({ spec: { audiences: ['x'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: pod.metadata!.uid } } });
    const claim = decodeJwt(tr.status!.token)['kubernetes.io'] as { pod: { name: string; uid: string } };
    assert.deepEqual(claim.pod, { name: 'p', uid: pod.metadata!.uid });
  });
});
