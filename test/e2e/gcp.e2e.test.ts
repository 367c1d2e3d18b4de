// End to end for Google Cloud Secret Manager: the operator process against each e2e cluster
// (dev and real), the local Secret Manager gRPC server (TLS with a test CA) and the local Google token
// endpoints, once per auth mode that can run here: a service-account key (JWT bearer grant
// at the key's token_uri) and workload identity federation (STS exchange of a ServiceAccount
// token minted by the cluster's TokenRequest API, verified against its issuer's JWKS).
// Application default credentials need a metadata server or a key file and are not exercised.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { blockedAttempts, installLoopbackGuard } from '../support/loopback-guard.js';
import { FakeSecretManagerServer } from '../support/gcp/secret-manager-server.js';
import { FakeGoogleTokenServer, type ServiceAccountKeyJson } from '../support/gcp/token-server.js';
import { createLoopbackCertificate } from '../support/vault/loopback-certificate.js';
import { API, eventually, externalSecret, forEachCluster, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject, namespaceView, assertNothingLeaked } from './fixture.js';

// The operator process runs with the loopback guard preloaded; blocked attempts go to stderr.
const guardPreload = [
  `import { installLoopbackGuard, blockedAttempts } from '${new URL('../support/loopback-guard.ts', import.meta.url).href}';`,
  'installLoopbackGuard();',
  'const record = blockedAttempts.push.bind(blockedAttempts);',
  "blockedAttempts.push = (...errors) => { for (const e of errors) process.stderr.write(`loopback guard blocked ${e.target} via ${e.via}\\n`); return record(...errors); };",
].join(' ');
const guardedNodeArgs = ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(guardPreload)}`];

const NS = 'gcp';
const PROJECT = 'keyferry-e2e';
const POOL_AUDIENCE = '//iam.googleapis.com/projects/424242/locations/global/workloadIdentityPools/dev/providers/keyferry';
const PLANTED = ['planted-gcp-value-one-71ac', 'planted-gcp-value-two-0be4', 'planted-gcp-pinned-9d33'];
const PLANTED_LABELS = ['planted-gcp-label-3f8a', 'planted-gcp-label-c21e'];
const secretPath = (id: string) => `projects/${PROJECT}/secrets/${id}`;

interface EsStatus {
  currentSecretName?: string;
  expiresAt?: string;
  versions?: Array<{ name: string; remoteVersions?: Record<string, string> }>;
}

forEachCluster('operator end to end: gcpsm', function (kind) {
  this.timeout(90_000);
  let fx: ClusterFixture;
  let sm: FakeSecretManagerServer;
  let tokens: FakeGoogleTokenServer;
  let op: OperatorProcess;
  let key: ServiceAccountKeyJson;
  let uninstallGuard: () => void;
  let blockedBefore = 0;
  const expiry = new Date(Math.floor(Date.now() / 1000 + 30 * 86400) * 1000);

  const { es, statusOf, secretValue, waitReady, waitReason } = namespaceView<EsStatus>(() => fx, NS);
  const sync = (name: string, storeName: string, remoteRef: Record<string, unknown>): KubeObject => externalSecret(name, NS, {
    secretStoreRef: { name: storeName }, refreshInterval: '1s',
    data: [{ secretKey: 'value', remoteRef }],
    target: { name, versioning: { retain: 2, minRetention: '0s' } },
  });

  before(async () => {
    uninstallGuard = installLoopbackGuard();
    blockedBefore = blockedAttempts.length;
    fx = await startClusterFixture(kind);
    const cert = await createLoopbackCertificate();
    tokens = new FakeGoogleTokenServer();
    await tokens.start();
    tokens.addWorkloadIdentityPool({ audience: POOL_AUDIENCE, issuer: fx.cluster.issuer.issuer, jwks: fx.cluster.issuer.jwksUri });
    key = tokens.createServiceAccountKey(`keyferry@${PROJECT}.iam.gserviceaccount.com`, PROJECT);
    sm = new FakeSecretManagerServer({ tls: { key: cert.key, cert: cert.cert }, acceptToken: (t) => tokens.acceptToken(t) });
    await sm.start();

    sm.addSecret(secretPath('db'), { expireTime: expiry });
    sm.addVersion(secretPath('db'), JSON.stringify({ password: PLANTED[0] }));
    sm.addSecret(secretPath('labelled'), { labels: { owner: PLANTED_LABELS[0]! }, annotations: { 'contact.example.com/team': 'db' } });
    sm.addVersion(secretPath('labelled'), 'labelled-value');
    sm.addSecret(secretPath('pinned'));
    sm.addVersion(secretPath('pinned'), PLANTED[2]!);
    sm.addVersion(secretPath('pinned'), 'newer-than-the-pin');
    sm.addSecret(secretPath('removable'));
    sm.addVersion(secretPath('removable'), 'here-for-now');
    sm.addSecret(secretPath('disabled'));
    sm.addVersion(secretPath('disabled'), PLANTED[2]!, 'DISABLED');
    sm.addSecret(secretPath('corrupted'));
    sm.addVersion(secretPath('corrupted'), PLANTED[2]!);
    sm.corruptSecrets.add(secretPath('corrupted'));
    sm.addSecret(secretPath('forbidden'));
    sm.addVersion(secretPath('forbidden'), PLANTED[2]!);
    sm.denied.add(secretPath('forbidden'));

    const store = (name: string, gcpsm: Record<string, unknown>): KubeObject => ({
      apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: NS },
      spec: { provider: { gcpsm: { projectID: PROJECT, endpoint: `127.0.0.1:${sm.port}`, caBundle: cert.caBundle, ...gcpsm } } },
    });
    const revoked = tokens.createServiceAccountKey(`revoked@${PROJECT}.iam.gserviceaccount.com`, PROJECT);
    tokens.revokeKey(revoked.client_email);
    await fx.cluster.apply([
      namespace(NS),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'keyferry', namespace: NS } },
      {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gcp-creds', namespace: NS },
        data: {
          'key.json': Buffer.from(JSON.stringify(key)).toString('base64'),
          'revoked.json': Buffer.from(JSON.stringify(revoked)).toString('base64'),
        },
      },
      {
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gcp-wif', namespace: NS },
        data: {
          'config.json': JSON.stringify({
            type: 'external_account', audience: POOL_AUDIENCE, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
            token_url: `${tokens.url}/v1/token`, credential_source: { file: '/var/run/secrets/tokens/gcp' },
          }),
        },
      },
      store('sm-key', { auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-creds', key: 'key.json' } } } }),
      store('sm-wif', { auth: { workloadIdentityFederation: { serviceAccountRef: { name: 'keyferry' }, credConfig: { name: 'gcp-wif', key: 'config.json' } } } }),
      // Left on the public endpoint (secretmanager.googleapis.com): must never get out.
      { apiVersion: API, kind: 'SecretStore', metadata: { name: 'sm-public', namespace: NS }, spec: { provider: { gcpsm: {
        projectID: PROJECT, auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-creds', key: 'key.json' } } },
      } } } },
      sync('public', 'sm-public', { key: 'db' }),
      store('sm-unreachable', { endpoint: '127.0.0.1:9', auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-creds', key: 'key.json' } } } }),
      sync('unreachable', 'sm-unreachable', { key: 'db' }),
      store('sm-revoked', { auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-creds', key: 'revoked.json' } } } }),
      sync('db-key', 'sm-key', { key: 'db', property: 'password' }),
      sync('db-wif', 'sm-wif', { key: 'db', property: 'password' }),
      sync('pinned', 'sm-key', { key: 'pinned', version: '1' }),
      externalSecret('labels', NS, {
        secretStoreRef: { name: 'sm-wif' }, refreshInterval: '1s',
        data: [
          { secretKey: 'owner', remoteRef: { key: 'labelled', metadataPolicy: 'Fetch', property: 'labels.owner' } },
          { secretKey: 'contact', remoteRef: { key: 'labelled', metadataPolicy: 'Fetch', property: 'annotations.contact.example.com/team' } },
          { secretKey: 'metadata', remoteRef: { key: 'labelled', metadataPolicy: 'Fetch' } },
        ],
        target: { name: 'labels', versioning: { retain: 2, minRetention: '0s' } },
      }),
      sync('removable', 'sm-key', { key: 'removable' }),
      sync('missing', 'sm-key', { key: 'no-such-secret' }),
      sync('disabled', 'sm-key', { key: 'disabled' }),
      sync('corrupted', 'sm-key', { key: 'corrupted' }),
      sync('forbidden', 'sm-key', { key: 'forbidden' }),
      sync('revoked', 'sm-revoked', { key: 'db' }),
    ]);
    op = await startOperatorProcess({ ...fx.operator, nodeArgs: guardedNodeArgs });
  });

  after(async () => {
    await op?.kill();
    await sm?.close();
    await tokens?.close();
    await fx?.close();
    uninstallGuard?.();
  });

  it('syncs a versioned Secret through each auth mode, with the remote version and expiry in status', async () => {
    for (const name of ['db-key', 'db-wif']) {
      const obj = await waitReady(name);
      const status = obj.status as EsStatus;
      assert.match(status.currentSecretName!, new RegExp(`^${name}-[0-9a-f]{10}$`));
      assert.equal(await secretValue(status.currentSecretName!, 'value'), PLANTED[0]);
      assert.equal((await fx.cluster.get('v1', 'Secret', status.currentSecretName!, NS))?.immutable, true);
      assert.equal(status.expiresAt, expiry.toISOString(), `${name} surfaces the secret's expireTime`);
      assert.equal(Object.values(status.versions?.[0]?.remoteVersions ?? {})[0], '1');
    }
    const grants = new Set(tokens.requests.filter((r) => r.status === 200).map((r) => r.grantType));
    assert.ok(grants.has('urn:ietf:params:oauth:grant-type:jwt-bearer'));
    assert.ok(grants.has('urn:ietf:params:oauth:grant-type:token-exchange'));
  });

  it('a rotated remote value produces a new version; a pinned version keeps the old value', async () => {
    const names = ['db-key', 'db-wif'];
    const before = new Map(await Promise.all(names.map(async (name) => [name, (await statusOf(name)).currentSecretName!] as const)));
    const pinnedBefore = (await waitReady('pinned')).status as EsStatus;
    assert.equal(await secretValue(pinnedBefore.currentSecretName!, 'value'), PLANTED[2]);
    await new Promise((r) => setTimeout(r, 1100)); // distinct creation seconds for the versions
    sm.addVersion(secretPath('db'), JSON.stringify({ password: PLANTED[1] }));
    for (const name of names) {
      const next = await eventually(async () => {
        const current = (await statusOf(name)).currentSecretName;
        return current && current !== before.get(name) ? current : undefined;
      }, 20_000 * fx.slow, `${name} rotated`);
      assert.equal(await secretValue(next, 'value'), PLANTED[1]);
      assert.equal(await secretValue(before.get(name)!, 'value'), PLANTED[0], 'the previous version is untouched');
    }
    assert.equal((await managedSecrets(fx.cluster, NS, 'db-key')).length, 2, 'the previous version is retained');
    sm.addVersion(secretPath('pinned'), 'yet-another-latest');
    await new Promise((r) => setTimeout(r, 2500 * fx.slow)); // two refresh intervals (more where reconciles are slower)
    assert.equal((await statusOf('pinned')).currentSecretName, pinnedBefore.currentSecretName);
    assert.equal(readyOf(await es('pinned'))?.status, 'True');
  });

  it('metadataPolicy Fetch writes the secret\'s labels and annotations (GetSecret); a changed label is a new version', async () => {
    const first = ((await waitReady('labels')).status as EsStatus).currentSecretName!;
    assert.equal(await secretValue(first, 'owner'), PLANTED_LABELS[0]);
    assert.equal(await secretValue(first, 'contact'), 'db');
    assert.equal(await secretValue(first, 'metadata'), `{"annotations":{"contact.example.com/team":"db"},"labels":{"owner":"${PLANTED_LABELS[0]}"}}`);
    sm.secrets.get(secretPath('labelled'))!.labels = { owner: PLANTED_LABELS[1]! };
    const next = await eventually(async () => {
      const current = (await statusOf('labels')).currentSecretName;
      return current && current !== first ? current : undefined;
    }, 20_000 * fx.slow, 'labels has a new version');
    assert.equal(await secretValue(next, 'owner'), PLANTED_LABELS[1]);
    assert.ok(sm.callsOf('GetSecret').some((c) => c.name === secretPath('labelled')));
    assert.equal(sm.callsOf('AccessSecretVersion').filter((c) => c.name.startsWith(secretPath('labelled'))).length, 0, 'the value is never read');
  });

  it('a removed remote secret gives Ready=False and keeps the existing Secret', async () => {
    const ready = (await waitReady('removable')).status as EsStatus;
    sm.secrets.delete(secretPath('removable'));
    const condition = await waitReason('removable', 'Stale');
    assert.equal(condition.status, 'False');
    assert.match(condition.message ?? '', /NotFound/);
    assert.equal((await statusOf('removable')).currentSecretName, ready.currentSecretName);
    assert.equal(await secretValue(ready.currentSecretName!, 'value'), 'here-for-now');
  });

  it('refuses a corrupted payload, and each error class ends up as its typed error, condition and metric status with no secret in any text', async () => {
    const corrupted = await waitReason('corrupted', 'InvalidRemoteData');
    assert.match(corrupted.message ?? '', /^InvalidData: .*CRC32C/);
    assert.equal((await managedSecrets(fx.cluster, NS, 'corrupted')).length, 0, 'no Secret from a corrupted payload');
    const missing = await waitReason('missing', 'SecretSyncedError');
    assert.match(missing.message ?? '', /^NotFound: /);
    const disabled = await waitReason('disabled', 'SecretSyncedError');
    assert.match(disabled.message ?? '', /^NotFound: .*latest version \(1\).*DISABLED/);
    const forbidden = await waitReason('forbidden', 'SecretSyncedError');
    assert.match(forbidden.message ?? '', /^Auth: /);
    const unreachable = await waitReason('unreachable', 'SecretSyncedError');
    assert.match(unreachable.message ?? '', /^Unavailable: /);
    const revoked = readyOf(await es('revoked'));
    assert.ok(revoked?.status !== 'True');
    const revokedStore = await eventually(async () => {
      const ready = readyOf(await fx.cluster.get(API, 'SecretStore', 'sm-revoked', NS));
      return ready?.status === 'False' ? ready : undefined;
    }, 20_000 * fx.slow, 'sm-revoked not ready');
    assert.match(revokedStore.message ?? '', /^Auth: /);

    // Throttling: RESOURCE_EXHAUSTED once surfaces as Throttled, then the sync recovers.
    sm.fail({ code: 8, message: 'Quota exceeded for quota metric \'Access requests\'', method: 'AccessSecretVersion', times: 1, retryAfterSeconds: 1 });
    const metric = (status: string, call = 'AccessSecretVersion') => op.metricValue('externalsecret_provider_api_calls_count', { provider: 'gcpsm', call, status });
    await eventually(async () => ((await metric('RESOURCE_EXHAUSTED')) ?? 0) >= 1, 20_000 * fx.slow, 'a throttled call counted');
    await waitReady('db-key');
    assert.ok(((await metric('OK')) ?? 0) > 0);
    assert.ok(((await metric('NOT_FOUND')) ?? 0) > 0);
    assert.ok(((await metric('PERMISSION_DENIED')) ?? 0) > 0);
    assert.ok(((await metric('UNAVAILABLE')) ?? 0) > 0);

    await assertNothingLeaked(op, fx.cluster, NS, [...PLANTED, ...PLANTED_LABELS, 'PRIVATE KEY', key.private_key_id, 'ya29.', 'eyJ']);
  });

  it('nothing left 127.0.0.1: the guard stopped the one store left on the public endpoint, and nothing else', async () => {
    const condition = await waitReason('public', 'SecretSyncedError');
    assert.match(condition.message ?? '', /^Unavailable: /);
    const blocked = [...op.output().matchAll(/loopback guard blocked (\S+) via/g)].map((m) => m[1]!);
    assert.ok(blocked.length > 0, 'the guard is active in the operator process');
    assert.deepEqual([...new Set(blocked.map((t) => t.replace(/:\d+$/, '')))], ['secretmanager.googleapis.com'], 'only the public-endpoint store tried to leave');
    assert.deepEqual(blockedAttempts.slice(blockedBefore).map((e) => e.message), [], 'nothing in the test process');
  });
});
