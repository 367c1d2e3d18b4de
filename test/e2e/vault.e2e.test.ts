// End to end for HashiCorp Vault: the operator process against each e2e cluster (dev and real)
// and the local Vault API, once per auth mode: a token from a Secret, AppRole, and kubernetes auth (with a
// TokenRequest token for a ServiceAccount, and with a JWT held in a Secret).
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { VaultTestServer } from '../support/vault/vault-server.js';
import { API, eventually, externalSecret, forEachCluster, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject, namespaceView, assertNothingLeaked } from './fixture.js';

const NS = 'vault';
const ROLE_ID = 'e2e-role-id';
const SECRET_ID = 'e2e-planted-secret-id-4b7d';
const PLANTED = ['planted-vault-value-one-1c8e', 'planted-vault-value-two-f27a', 'planted-vault-pinned-93d0', 'planted-vault-after-revoke-5a61'];

interface EsStatus {
  currentSecretName?: string;
  versions?: Array<{ name: string; remoteVersions?: Record<string, string> }>;
}

forEachCluster('operator end to end: vault', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let vault: VaultTestServer;
  let op: OperatorProcess;
  let rootToken: string;
  let limitedToken: string;
  let jwt: string;
  const modes = ['db-token', 'db-approle', 'db-kube', 'db-kube-jwt'];

  const { es, statusOf, secretValue, waitReady, waitReason } = namespaceView<EsStatus>(() => fx, NS);
  const rotated = (name: string, from: string | undefined) => eventually(async () => {
    const current = (await statusOf(name)).currentSecretName;
    return current && current !== from ? current : undefined;
  }, 20_000 * fx.slow, `${name} rotated`);

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const store = (name: string, vaultSpec: Record<string, unknown>): KubeObject => ({
    apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: NS },
    spec: { provider: { vault: { server: vault.url, path: 'secret', version: 'v2', ...vaultSpec } } },
  });
  const sync = (name: string, storeName: string, remoteRef: Record<string, unknown>): KubeObject => externalSecret(name, NS, {
    secretStoreRef: { name: storeName }, refreshInterval: '1s',
    data: [{ secretKey: 'value', remoteRef }],
    target: { name, versioning: { retain: 2, minRetention: '0s' } },
  });

  before(async () => {
    fx = await startClusterFixture(kind);
    vault = new VaultTestServer({ kubernetesIssuers: [fx.cluster.issuer.issuer] });
    await vault.start();
    rootToken = vault.createToken({ policies: ['root'] });
    limitedToken = vault.createToken({ allow: (p) => !p.startsWith('secret/data/forbidden') });
    const kv = vault.enableKv('secret', 2);
    kv.write('app/db', { password: PLANTED[0], user: 'app' }, { team: 'a' });
    kv.write('pinned', { value: PLANTED[2] });
    kv.write('pinned', { value: 'newer-than-the-pin' });
    kv.write('removable', { value: 'here-for-now' });
    kv.write('forbidden', { value: PLANTED[2] });
    vault.enableKv('legacy', 1).write('creds', { password: 'legacy-value' });
    // Short-lived, renewable AppRole tokens with a max TTL: renewals and a fresh login happen mid-run.
    vault.addAppRole({ roleId: ROLE_ID, secretIds: [SECRET_ID], token: { ttlSeconds: 8, maxTtlSeconds: 14, renewable: true } });
    vault.addKubernetesRole({ name: 'keyferry', boundServiceAccountNames: ['keyferry'], boundServiceAccountNamespaces: [NS], audience: 'vault', token: { ttlSeconds: 600 } });
    vault.addKubernetesRole({ mount: 'k8s-static', name: 'keyferry', boundServiceAccountNames: ['keyferry'], boundServiceAccountNamespaces: [NS] });

    await fx.cluster.apply([
      namespace(NS),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'keyferry', namespace: NS } },
    ]);
    // A JWT held in a Secret, as a user would paste one: minted by the cluster's TokenRequest API.
    const [tokenStatus, tokenBody] = await fx.cluster.raw('POST', `/api/v1/namespaces/${NS}/serviceaccounts/keyferry/token`, {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 },
    });
    assert.ok(tokenStatus >= 200 && tokenStatus < 300, `TokenRequest for ${NS}/keyferry: HTTP ${tokenStatus}`);
    jwt = (JSON.parse(tokenBody) as { status: { token: string } }).status.token;
    await fx.cluster.apply([
      {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-creds', namespace: NS },
        data: { token: b64(rootToken), limited: b64(limitedToken), secretId: b64(SECRET_ID), jwt: b64(jwt), badToken: b64('hvs.NotARealTokenButLongEnough000') },
      },
      store('v-token', { auth: { tokenSecretRef: { name: 'vault-creds', key: 'token' } } }),
      store('v-approle', { auth: { appRole: { path: 'approle', roleId: ROLE_ID, secretRef: { name: 'vault-creds', key: 'secretId' } } } }),
      store('v-kube', { auth: { kubernetes: { mountPath: 'kubernetes', role: 'keyferry', serviceAccountRef: { name: 'keyferry', audiences: ['vault'] } } } }),
      store('v-kube-jwt', { auth: { kubernetes: { mountPath: 'k8s-static', role: 'keyferry', secretRef: { name: 'vault-creds', key: 'jwt' } } } }),
      store('v-limited', { auth: { tokenSecretRef: { name: 'vault-creds', key: 'limited' } } }),
      store('v-legacy', { path: 'legacy', version: 'v1', auth: { tokenSecretRef: { name: 'vault-creds', key: 'token' } } }),
      store('v-bad-token', { auth: { tokenSecretRef: { name: 'vault-creds', key: 'badToken' } } }),
      store('v-unreachable', { server: 'http://127.0.0.1:9', auth: { tokenSecretRef: { name: 'vault-creds', key: 'token' } } }),
      sync('db-token', 'v-token', { key: 'app/db', property: 'password' }),
      sync('db-approle', 'v-approle', { key: 'app/db', property: 'password' }),
      sync('db-kube', 'v-kube', { key: 'app/db', property: 'password' }),
      sync('db-kube-jwt', 'v-kube-jwt', { key: 'app/db', property: 'password' }),
      sync('pinned', 'v-token', { key: 'pinned', property: 'value', version: '1' }),
      sync('removable', 'v-token', { key: 'removable', property: 'value' }),
      sync('missing', 'v-token', { key: 'no-such-secret' }),
      sync('forbidden', 'v-limited', { key: 'forbidden', property: 'value' }),
      sync('legacy', 'v-legacy', { key: 'creds', property: 'password' }),
      sync('bad-token', 'v-bad-token', { key: 'app/db' }),
      sync('unreachable', 'v-unreachable', { key: 'app/db' }),
    ]);
    op = await startOperatorProcess({ ...fx.operator, env: { ...fx.operator.env, VAULT_TOKEN: '', VAULT_ADDR: '', VAULT_NAMESPACE: '' } });
  });

  after(async () => {
    await op?.kill();
    await vault?.close();
    await fx?.close();
  });

  it('syncs a versioned Secret through each auth mode, with the KV version in status', async () => {
    for (const name of modes) {
      const status = (await waitReady(name)).status as EsStatus;
      assert.match(status.currentSecretName!, new RegExp(`^${name}-[0-9a-f]{10}$`));
      assert.equal(await secretValue(status.currentSecretName!, 'value'), PLANTED[0]);
      assert.equal((await fx.cluster.get('v1', 'Secret', status.currentSecretName!, NS))?.immutable, true);
      assert.ok(Object.values(status.versions?.[0]?.remoteVersions ?? {}).includes('1'), `${name} records KV version 1`);
    }
    const legacy = (await waitReady('legacy')).status as EsStatus;
    assert.equal(await secretValue(legacy.currentSecretName!, 'value'), 'legacy-value');
    assert.equal(vault.calls['login:kubernetes'], 1);
    assert.equal(vault.calls['login:k8s-static'], 1);
  });

  it('a new KV v2 version produces a new Secret version; a pinned version keeps the old value', async () => {
    const before = new Map(await Promise.all(modes.map(async (name) => [name, (await statusOf(name)).currentSecretName!] as const)));
    const pinnedBefore = (await waitReady('pinned')).status as EsStatus;
    assert.equal(await secretValue(pinnedBefore.currentSecretName!, 'value'), PLANTED[2]);
    await new Promise((r) => setTimeout(r, 1100)); // distinct creation seconds for the versions
    vault.kv('secret').write('app/db', { password: PLANTED[1], user: 'app' });
    for (const name of modes) {
      const next = await rotated(name, before.get(name));
      assert.equal(await secretValue(next, 'value'), PLANTED[1]);
      assert.equal(await secretValue(before.get(name)!, 'value'), PLANTED[0], 'the previous version is untouched');
      assert.ok(Object.values((await statusOf(name)).versions?.[0]?.remoteVersions ?? {}).includes('2'));
    }
    assert.equal((await managedSecrets(fx.cluster, NS, 'db-token')).length, 2, 'the previous version is retained');
    vault.kv('secret').write('pinned', { value: 'yet-another-latest' });
    await new Promise((r) => setTimeout(r, 2500 * fx.slow)); // two refresh intervals (more where reconciles are slower)
    assert.equal((await statusOf('pinned')).currentSecretName, pinnedBefore.currentSecretName);
    assert.equal(readyOf(await es('pinned'))?.status, 'True');
  });

  it('survives tokens expiring and being revoked mid-run: renews, logs in again, keeps syncing', async () => {
    // AppRole tokens live 8 s (14 s max) and the refresh is 1 s: by now they were renewed.
    await eventually(() => (vault.calls['renew-self'] ?? 0) >= 1, 20_000 * fx.slow, 'a token renewal');
    await eventually(() => (vault.calls['login:approle'] ?? 0) >= 2, 20_000 * fx.slow, 'a new AppRole login after the max TTL');
    const before = new Map(await Promise.all(modes.map(async (name) => [name, (await statusOf(name)).currentSecretName!] as const)));
    vault.revokeAllTokens();
    // The token Secret's token was revoked too: give it a new one, as an operator of Vault would.
    rootToken = vault.createToken({ policies: ['root'] });
    limitedToken = vault.createToken({ allow: (p) => !p.startsWith('secret/data/forbidden') });
    await fx.cluster.apply({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-creds', namespace: NS },
      data: { token: b64(rootToken), limited: b64(limitedToken), secretId: b64(SECRET_ID), jwt: b64(jwt), badToken: b64('hvs.NotARealTokenButLongEnough000') },
    });
    await new Promise((r) => setTimeout(r, 1100));
    vault.kv('secret').write('app/db', { password: PLANTED[3], user: 'app' });
    for (const name of modes) assert.equal(await secretValue(await rotated(name, before.get(name)), 'value'), PLANTED[3]);
    const approleErrors = await op.metricValue('externalsecret_sync_calls_error', { name: 'db-approle', namespace: NS });
    if (approleErrors !== undefined) {
      // Say why, from what the operator said about it (its warnings and Events).
      const warnings = op.output().split('\n').filter((l) => l.includes('db-approle') && /"level":"(warn|error)"/.test(l));
      const events = (await fx.cluster.list('v1', 'Event', NS)).filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'db-approle');
      assert.fail(`${approleErrors} sync(s) of db-approle failed; the operator's warnings:\n${warnings.join('\n')}\nEvents:\n${events.map((e) => JSON.stringify({ reason: (e as { reason?: string }).reason, message: (e as { message?: string }).message })).join('\n')}`);
    }
  });

  it('a deleted remote version gives Ready=False and keeps the existing Secret', async () => {
    const ready = (await waitReady('removable')).status as EsStatus;
    vault.kv('secret').softDelete('removable');
    const condition = await waitReason('removable', 'Stale');
    assert.equal(condition.status, 'False');
    assert.match(condition.message ?? '', /^NotFound: .*deleted/);
    assert.equal((await statusOf('removable')).currentSecretName, ready.currentSecretName);
    assert.equal(await secretValue(ready.currentSecretName!, 'value'), 'here-for-now');
  });

  it('each error class ends up as its typed error, condition and metric status, with no token or value in any text', async () => {
    assert.match((await waitReason('missing', 'SecretSyncedError')).message ?? '', /^NotFound: /);
    assert.match((await waitReason('forbidden', 'SecretSyncedError')).message ?? '', /^Auth: /);
    assert.match((await waitReason('bad-token', 'StoreNotReady')).message ?? '', /Auth: /);
    assert.match((await waitReason('unreachable', 'StoreNotReady')).message ?? '', /Unavailable: /);
    assert.match(readyOf(await fx.cluster.get(API, 'SecretStore', 'v-bad-token', NS))?.message ?? '', /^Auth: /);

    const metric = (status: string, call = 'ReadSecret') => op.metricValue('externalsecret_provider_api_calls_count', { provider: 'vault', call, status });
    vault.setRateLimit({ requestsPerSecond: 0.001, burst: 0 });
    await eventually(async () => ((await metric('429')) ?? 0) >= 1, 20_000 * fx.slow, 'a rate-limited call counted');
    vault.setRateLimit(undefined);
    vault.sealed = true;
    await eventually(async () => ((await metric('503')) ?? 0) >= 1, 20_000 * fx.slow, 'a sealed call counted');
    // It may first show the throttle from just before; the seal follows at its next attempt, or as
    // the last failure ("Sealed") of the store's circuit once other syncs opened it.
    await eventually(async () => {
      const condition = readyOf(await es('db-token'));
      return condition?.reason === 'Stale' && /^Unavailable: .*sealed/i.test(condition.message ?? '');
    }, 20_000 * fx.slow, 'db-token Stale because Vault is sealed');
    vault.sealed = false;
    await waitReady('db-token');

    assert.ok(((await metric('200')) ?? 0) > 0);
    assert.ok(((await metric('404')) ?? 0) > 0);
    assert.ok(((await metric('403')) ?? 0) > 0);
    assert.ok(((await metric('200', 'Login')) ?? 0) > 0);
    assert.equal(await op.metricValue('externalsecret_status_condition', { name: 'missing', namespace: NS, condition: 'Ready', status: 'False' }), 1);

    await assertNothingLeaked(op, fx.cluster, NS, [SECRET_ID, ...vault.issuedTokens(), 'hvs.NotARealToken', ...PLANTED, 'eyJ']);
  });
});
