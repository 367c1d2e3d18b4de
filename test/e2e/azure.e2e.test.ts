// End to end for Azure Key Vault: the operator process against each e2e cluster (dev and real)
// and the local Key Vault + Entra ID (TLS with a test CA), once per auth mode that can run here
// (ServicePrincipal secret, ServicePrincipal certificate, WorkloadIdentity with a TokenRequest
// token). ManagedIdentity needs Azure's instance metadata endpoint and is not exercised.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { blockedAttempts, installLoopbackGuard } from '../support/loopback-guard.js';
import { startAzureEnvironment, type AzureEnvironment } from '../support/azure/azure-environment.js';
import { createClientCertificate } from '../support/azure/test-pki.js';
import { API, eventually, externalSecret, forEachCluster, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject, namespaceView, assertNothingLeaked } from './fixture.js';

// The operator process runs with the loopback guard too; each attempt it blocks there is
// written to the process's stderr, which the harness captures.
const guardPreload = [
  `import { installLoopbackGuard, blockedAttempts } from '${new URL('../support/loopback-guard.ts', import.meta.url).href}';`,
  'installLoopbackGuard();',
  'const push = blockedAttempts.push.bind(blockedAttempts);',
  "blockedAttempts.push = (...errors) => { for (const e of errors) process.stderr.write(`loopback guard blocked ${e.target} via ${e.via}\\n`); return push(...errors); };",
].join(' ');
const guardedNodeArgs = ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(guardPreload)}`];

const NS = 'azure';
const CLIENT_SECRET = 'Zq8~planted-client-secret.e2e_77';
const PLANTED = ['planted-azure-value-one-3f9a', 'planted-azure-value-two-8c1d', 'planted-azure-pinned-5e02'];

interface EsStatus {
  currentSecretName?: string;
  expiresAt?: string;
  versions?: Array<{ name: string; remoteVersions?: Record<string, string> }>;
}

forEachCluster('operator end to end: azurekv', function (kind) {
  this.timeout(90_000);
  let fx: ClusterFixture;
  let azure: AzureEnvironment;
  let op: OperatorProcess;
  let pinnedVersion: string;
  const expiry = new Date(Math.floor(Date.now() / 1000 + 30 * 86400) * 1000);

  const { es, statusOf, secretValue, waitReady, waitReason } = namespaceView<EsStatus>(() => fx, NS);

  const store = (name: string, azurekv: Record<string, unknown>): KubeObject => ({
    apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: NS },
    spec: { provider: { azurekv: { vaultUrl: azure.vault.vaultUrl, tenantId: azure.tenantId, authorityHost: azure.entra.authorityHost, caBundle: azure.caBundle, ...azurekv } } },
  });
  const sync = (name: string, storeName: string, remoteRef: Record<string, unknown>): KubeObject => externalSecret(name, NS, {
    secretStoreRef: { name: storeName }, refreshInterval: '1s',
    data: [{ secretKey: 'value', remoteRef }],
    target: { name, versioning: { retain: 2, minRetention: '0s' } },
  });

  let uninstallGuard: () => void;
  let blockedBefore = 0;

  before(async () => {
    uninstallGuard = installLoopbackGuard();
    blockedBefore = blockedAttempts.length;
    fx = await startClusterFixture(kind);
    azure = await startAzureEnvironment();
    const cert = await createClientCertificate('keyferry-e2e');
    azure.entra.register({ clientId: 'sp-secret', clientSecret: CLIENT_SECRET });
    azure.entra.register({ clientId: 'sp-cert', certificatePem: cert.certPem });
    azure.entra.register({ clientId: 'wi', federated: { issuer: fx.cluster.issuer.issuer, subject: `system:serviceaccount:${NS}:keyferry` } });
    azure.entra.register({ clientId: 'reader-without-rights', clientSecret: CLIENT_SECRET });
    for (const app of ['sp-secret', 'sp-cert', 'wi']) azure.vault.grant(app, ['get', 'list']);

    azure.vault.setSecret('db', JSON.stringify({ password: PLANTED[0] }), { expires: expiry });
    pinnedVersion = azure.vault.setSecret('pinned', PLANTED[2]!);
    azure.vault.setSecret('pinned', 'newer-than-the-pin');
    azure.vault.setSecret('disabled', PLANTED[2]!, { enabled: false });
    azure.vault.setSecret('removable', 'here-for-now');

    await fx.cluster.apply([
      namespace(NS),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'keyferry', namespace: NS } },
      {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'azure-creds', namespace: NS },
        data: {
          clientId: Buffer.from('sp-secret').toString('base64'),
          clientSecret: Buffer.from(CLIENT_SECRET).toString('base64'),
          certClientId: Buffer.from('sp-cert').toString('base64'),
          certificate: Buffer.from(cert.combinedPem).toString('base64'),
          wrongSecret: Buffer.from('wrong-client-secret-value-00').toString('base64'),
          noRights: Buffer.from('reader-without-rights').toString('base64'),
        },
      },
      store('kv-secret', { authSecretRef: { clientId: { name: 'azure-creds', key: 'clientId' }, clientSecret: { name: 'azure-creds', key: 'clientSecret' } } }),
      store('kv-cert', { authSecretRef: { clientId: { name: 'azure-creds', key: 'certClientId' }, clientCertificate: { name: 'azure-creds', key: 'certificate' } } }),
      store('kv-wi', { authType: 'WorkloadIdentity', identityId: 'wi', serviceAccountRef: { name: 'keyferry' } }),
      store('kv-wrong-secret', { authSecretRef: { clientId: { name: 'azure-creds', key: 'clientId' }, clientSecret: { name: 'azure-creds', key: 'wrongSecret' } } }),
      store('kv-no-rights', { authSecretRef: { clientId: { name: 'azure-creds', key: 'noRights' }, clientSecret: { name: 'azure-creds', key: 'clientSecret' } } }),
      // Left on the public cloud (default authority, public vault host): must never get out.
      { apiVersion: API, kind: 'SecretStore', metadata: { name: 'kv-public', namespace: NS }, spec: { provider: { azurekv: {
        vaultUrl: 'https://keyferry-e2e.vault.azure.net', tenantId: azure.tenantId,
        authSecretRef: { clientId: { name: 'azure-creds', key: 'clientId' }, clientSecret: { name: 'azure-creds', key: 'clientSecret' } },
      } } } },
      store('kv-unreachable', { vaultUrl: 'https://127.0.0.1:9', authSecretRef: { clientId: { name: 'azure-creds', key: 'clientId' }, clientSecret: { name: 'azure-creds', key: 'clientSecret' } } }),
      sync('db-secret', 'kv-secret', { key: 'db', property: 'password' }),
      sync('db-cert', 'kv-cert', { key: 'db', property: 'password' }),
      sync('db-wi', 'kv-wi', { key: 'db', property: 'password' }),
      sync('pinned', 'kv-secret', { key: 'pinned', version: pinnedVersion }),
      sync('removable', 'kv-secret', { key: 'removable' }),
      sync('missing', 'kv-secret', { key: 'no-such-secret' }),
      sync('disabled', 'kv-secret', { key: 'disabled' }),
      sync('forbidden', 'kv-no-rights', { key: 'db' }),
      sync('unreachable', 'kv-unreachable', { key: 'db' }),
      sync('bad-credentials', 'kv-wrong-secret', { key: 'db' }),
    ]);
    op = await startOperatorProcess({ ...fx.operator, nodeArgs: guardedNodeArgs });
  });

  after(async () => {
    await op?.kill();
    await azure?.close();
    await fx?.close();
    uninstallGuard();
  });


  it('syncs a versioned Secret through each auth mode, with the remote version and expiry in status', async () => {
    for (const name of ['db-secret', 'db-cert', 'db-wi']) {
      const obj = await waitReady(name);
      const status = obj.status as EsStatus;
      assert.match(status.currentSecretName!, new RegExp(`^${name}-[0-9a-f]{10}$`));
      assert.equal(await secretValue(status.currentSecretName!, 'value'), PLANTED[0]);
      assert.equal((await fx.cluster.get('v1', 'Secret', status.currentSecretName!, NS))?.immutable, true);
      assert.equal(status.expiresAt, expiry.toISOString(), `${name} surfaces the remote expiry`);
      assert.match(Object.values(status.versions?.[0]?.remoteVersions ?? {})[0] ?? '', /^[0-9a-f]{32}$/);
    }
    const methods = new Set(azure.entra.tokenRequests.filter((r) => r.status === 200).map((r) => `${r.clientId}:${r.method}`));
    assert.deepEqual([...methods].filter((m) => !m.startsWith('reader')).sort(), ['sp-cert:certificate', 'sp-secret:secret', 'wi:federated']);
  });

  it('a rotated remote value produces a new version; a pinned version keeps the old value', async () => {
    const names = ['db-secret', 'db-cert', 'db-wi'];
    const before = new Map(await Promise.all(names.map(async (name) => [name, (await statusOf(name)).currentSecretName!] as const)));
    const pinnedBefore = (await waitReady('pinned')).status as EsStatus;
    assert.equal(await secretValue(pinnedBefore.currentSecretName!, 'value'), PLANTED[2]);
    await new Promise((r) => setTimeout(r, 1100)); // distinct creation seconds for the versions
    azure.vault.setSecret('db', JSON.stringify({ password: PLANTED[1] }), { expires: expiry });
    for (const name of names) {
      const next = await eventually(async () => {
        const current = (await statusOf(name)).currentSecretName;
        return current && current !== before.get(name) ? current : undefined;
      }, 20_000 * fx.slow, `${name} rotated`);
      assert.equal(await secretValue(next, 'value'), PLANTED[1]);
      assert.equal(await secretValue(before.get(name)!, 'value'), PLANTED[0], 'the previous version is untouched');
    }
    assert.equal((await managedSecrets(fx.cluster, NS, 'db-secret')).length, 2, 'the previous version is retained');
    azure.vault.setSecret('pinned', 'yet-another-latest');
    await new Promise((r) => setTimeout(r, 2500 * fx.slow)); // two refresh intervals (more where reconciles are slower)
    const pinnedAfter = await statusOf('pinned');
    assert.equal(pinnedAfter.currentSecretName, pinnedBefore.currentSecretName);
    assert.equal(readyOf(await es('pinned'))?.status, 'True');
  });

  it('a removed remote secret gives Ready=False and keeps the existing Secret', async () => {
    const ready = (await waitReady('removable')).status as EsStatus;
    azure.vault.deleteSecret('removable');
    const condition = await waitReason('removable', 'Stale');
    assert.equal(condition.status, 'False');
    assert.match(condition.message ?? '', /NotFound/);
    assert.equal((await statusOf('removable')).currentSecretName, ready.currentSecretName);
    assert.equal(await secretValue(ready.currentSecretName!, 'value'), 'here-for-now');
  });

  it('each error class ends up as its typed error, condition and metric status, with no credential or value in any text', async () => {
    const missing = await waitReason('missing', 'SecretSyncedError');
    assert.match(missing.message ?? '', /^NotFound: .*SecretNotFound|^NotFound: /);
    const disabled = await waitReason('disabled', 'SecretSyncedError');
    assert.match(disabled.message ?? '', /^NotFound: .*disabled/);
    const forbidden = await waitReason('forbidden', 'SecretSyncedError');
    assert.match(forbidden.message ?? '', /^Auth: /);
    const unreachable = await waitReason('unreachable', 'SecretSyncedError');
    assert.match(unreachable.message ?? '', /^Unavailable: /);
    const badCredentials = await waitReason('bad-credentials', 'StoreNotReady');
    assert.match(badCredentials.message ?? '', /AADSTS7000215/);
    const badStore = readyOf(await fx.cluster.get(API, 'SecretStore', 'kv-wrong-secret', NS));
    assert.equal(badStore?.status, 'False');
    assert.match(badStore?.message ?? '', /^Auth: /);

    // Throttling: one 429 with Retry-After surfaces as Throttled, then the sync recovers.
    azure.vault.throttleNext(1, 1);
    await eventually(async () => ((await op.metricValue('externalsecret_provider_api_calls_count', { provider: 'azurekv', call: 'GetSecret', status: 'Throttled' })) ?? 0) >= 1, 20_000 * fx.slow, 'a throttled call counted');
    await waitReady('db-secret');

    const metric = (status: string, call = 'GetSecret') => op.metricValue('externalsecret_provider_api_calls_count', { provider: 'azurekv', call, status });
    assert.ok(((await metric('200')) ?? 0) > 0);
    assert.ok(((await metric('SecretNotFound')) ?? 0) > 0);
    assert.ok(((await metric('Forbidden')) ?? 0) > 0);
    assert.ok(((await metric('200', 'GetToken')) ?? 0) > 0);
    assert.ok(((await metric('TokenRequestFailed', 'GetToken')) ?? 0) + ((await metric('AADSTS7000215', 'GetToken')) ?? 0) > 0);
    assert.equal(await op.metricValue('externalsecret_status_condition', { name: 'missing', namespace: NS, condition: 'Ready', status: 'False' }), 1);

    await assertNothingLeaked(op, fx.cluster, NS, [CLIENT_SECRET, 'wrong-client-secret-value-00', ...PLANTED, 'eyJ']);
  });

  it('nothing left 127.0.0.1: the guard stopped the one store deliberately left on the public cloud, and nothing else', async () => {
    const publicStore = await eventually(async () => {
      const ready = readyOf(await fx.cluster.get(API, 'SecretStore', 'kv-public', NS));
      return ready?.status === 'False' ? ready : undefined;
    }, 20_000 * fx.slow, 'kv-public not ready');
    assert.match(publicStore.message ?? '', /^Unavailable: /);
    const blocked = [...op.output().matchAll(/loopback guard blocked (\S+) via/g)].map((m) => m[1]!);
    assert.ok(blocked.length > 0, 'the guard is active in the operator process');
    assert.deepEqual([...new Set(blocked.map((t) => t.replace(/:\d+$/, '')))], ['login.microsoftonline.com'], 'only the public-cloud store tried to leave');
    assert.deepEqual(blockedAttempts.slice(blockedBefore).map((e) => e.message), [], 'nothing in the test process');
  });
});
