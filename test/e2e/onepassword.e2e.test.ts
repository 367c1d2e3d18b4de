// End to end for 1Password Connect: the operator process against each e2e cluster (dev and
// real) and the local Connect server (plaintext http, as many in-cluster Connect deployments run; the store
// status carries the warning).
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { blockedAttempts, installLoopbackGuard } from '../support/loopback-guard.js';
import { ConnectServer } from '../support/onepassword/connect-server.js';
import { API, decoded, eventually, externalSecret, forEachCluster, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject, namespaceView, assertNothingLeaked } from './fixture.js';

// The operator process runs with the loopback guard too; each attempt it blocks there is
// written to the process's stderr, which the harness captures.
const guardPreload = [
  `import { installLoopbackGuard, blockedAttempts } from '${new URL('../support/loopback-guard.ts', import.meta.url).href}';`,
  'installLoopbackGuard();',
  'const push = blockedAttempts.push.bind(blockedAttempts);',
  "blockedAttempts.push = (...errors) => { for (const e of errors) process.stderr.write(`loopback guard blocked ${e.target} via ${e.via}\\n`); return push(...errors); };",
].join(' ');
const guardedNodeArgs = ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(guardPreload)}`];

const NS = 'op';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJlMmUtY29ubmVjdCJ9.cGxhbnRlZC1jb25uZWN0LXNpZ25hdHVyZQ';
const PLANTED = ['planted-op-password-1-a7d2', 'planted-op-password-2-0e5b', 'planted-op-user-c3f1', 'planted-op-doc-99aa'];

interface EsStatus {
  currentSecretName?: string;
  versions?: Array<{ name: string; remoteVersions?: Record<string, string> }>;
}

forEachCluster('operator end to end: onepassword', function (kind) {
  this.timeout(90_000);
  let fx: ClusterFixture;
  let connect: ConnectServer;
  let op: OperatorProcess;
  let prod: string;
  let loginId: string;
  let removableId: string;

  const { es, statusOf, waitReady, waitReason } = namespaceView<EsStatus>(() => fx, NS);
  const secretData = async (secretName: string) => {
    const secret = await fx.cluster.get('v1', 'Secret', secretName, NS);
    return Object.fromEntries(Object.keys((secret?.data ?? {}) as Record<string, string>).map((k) => [k, decoded(secret, k)]));
  };

  const store = (name: string, tokenKey: string, vaults: Record<string, number>): KubeObject => ({
    apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: NS },
    spec: { provider: { onepassword: { connectHost: connect.url, vaults, auth: { secretRef: { connectTokenSecretRef: { name: 'connect', key: tokenKey } } } } } },
  });
  const sync = (name: string, storeName: string, body: Record<string, unknown>): KubeObject => externalSecret(name, NS, {
    secretStoreRef: { name: storeName }, refreshInterval: '1s',
    target: { name, versioning: { retain: 2, minRetention: '0s' } },
    ...body,
  });

  let uninstallGuard: () => void;
  let blockedBefore = 0;

  before(async () => {
    uninstallGuard = installLoopbackGuard();
    blockedBefore = blockedAttempts.length;
    fx = await startClusterFixture(kind);
    connect = await ConnectServer.start();
    prod = connect.addVault('prod');
    const shared = connect.addVault('shared');
    connect.addToken(TOKEN, [prod, shared]);
    loginId = connect.addItem(prod, {
      title: 'db',
      category: 'LOGIN',
      fields: [{ label: 'username', value: PLANTED[2]!, purpose: 'USERNAME' }, { label: 'password', value: PLANTED[0]!, purpose: 'PASSWORD' }, { label: 'host', value: 'pg.internal' }],
    });
    connect.addItem(shared, { title: 'ca', category: 'DOCUMENT', files: { 'ca.pem': PLANTED[3]! } });
    connect.addItem(prod, { title: 'twin', fields: [{ label: 'password', value: 'one', purpose: 'PASSWORD' }] });
    connect.addItem(prod, { title: 'twin', fields: [{ label: 'password', value: 'two', purpose: 'PASSWORD' }] });
    connect.addItem(prod, { title: 'note-only', category: 'SECURE_NOTE', fields: [{ label: 'notesPlain', value: 'just a note', purpose: 'NOTES' }] });
    removableId = connect.addItem(prod, { title: 'removable', fields: [{ label: 'password', value: 'here-for-now', purpose: 'PASSWORD' }] });

    await fx.cluster.apply([
      namespace(NS),
      {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'connect', namespace: NS },
        data: { token: Buffer.from(TOKEN).toString('base64'), wrong: Buffer.from('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.bm9wZS1ub3BlLW5vcGU').toString('base64') },
      },
      store('onepassword', 'token', { prod: 1, shared: 2 }),
      store('wrong-token', 'wrong', { prod: 1 }),
      sync('db', 'onepassword', { data: [{ secretKey: 'password', remoteRef: { key: 'db' } }, { secretKey: 'user', remoteRef: { key: 'db', property: 'username' } }] }),
      sync('db-all', 'onepassword', { dataFrom: [{ extract: { key: 'db' } }] }),
      sync('pinned', 'onepassword', { data: [{ secretKey: 'password', remoteRef: { key: loginId, version: '1' } }] }),
      sync('document', 'onepassword', { data: [{ secretKey: 'ca.pem', remoteRef: { key: 'ca' } }] }),
      sync('removable', 'onepassword', { data: [{ secretKey: 'password', remoteRef: { key: 'removable' } }] }),
      sync('ambiguous', 'onepassword', { data: [{ secretKey: 'password', remoteRef: { key: 'twin' } }] }),
      sync('no-password', 'onepassword', { data: [{ secretKey: 'password', remoteRef: { key: 'note-only' } }] }),
      sync('missing', 'onepassword', { data: [{ secretKey: 'password', remoteRef: { key: 'no-such-item' } }] }),
      sync('unauthorised', 'wrong-token', { data: [{ secretKey: 'password', remoteRef: { key: 'db' } }] }),
    ]);
    op = await startOperatorProcess({ ...fx.operator, nodeArgs: guardedNodeArgs });
  });

  after(async () => {
    await op?.kill();
    await connect?.close();
    await fx?.close();
    uninstallGuard();
  });


  it('syncs items into versioned Secrets: password by default, fields by label, every field, document content', async () => {
    const db = (await waitReady('db')).status as EsStatus;
    assert.deepEqual(await secretData(db.currentSecretName!), { password: PLANTED[0], user: PLANTED[2] });
    assert.deepEqual([...new Set(Object.values(db.versions?.[0]?.remoteVersions ?? {}))], ['1']);
    const all = (await waitReady('db-all')).status as EsStatus;
    assert.deepEqual(await secretData(all.currentSecretName!), { username: PLANTED[2], password: PLANTED[0], host: 'pg.internal' });
    const doc = (await waitReady('document')).status as EsStatus;
    assert.deepEqual(await secretData(doc.currentSecretName!), { 'ca.pem': PLANTED[3] });
    const storeStatus = readyOf(await fx.cluster.get(API, 'SecretStore', 'onepassword', NS));
    assert.equal(storeStatus?.status, 'True');
    assert.match(storeStatus?.message ?? '', /plaintext/);
  });

  it('an edited item produces a new version; a ref pinned to the old item version keeps the old value', async () => {
    const before = (await statusOf('db')).currentSecretName!;
    const pinned = (await waitReady('pinned')).status as EsStatus;
    assert.deepEqual(await secretData(pinned.currentSecretName!), { password: PLANTED[0] });
    await new Promise((r) => setTimeout(r, 1100)); // distinct creation seconds for the versions
    connect.updateItem(prod, loginId, { field: 'password', value: PLANTED[1] });
    const next = await eventually(async () => {
      const current = (await statusOf('db')).currentSecretName;
      return current && current !== before ? current : undefined;
    }, 20_000 * fx.slow, 'db rotated');
    assert.deepEqual(await secretData(next), { password: PLANTED[1], user: PLANTED[2] });
    assert.deepEqual([...new Set(Object.values((await statusOf('db')).versions?.[0]?.remoteVersions ?? {}))], ['2']);
    assert.equal((await managedSecrets(fx.cluster, NS, 'db')).length, 2);
    // Connect serves only the current item version: a fresh read of the pinned ref fails, so
    // it goes stale (unless the fetch path still holds the pinned version) and its Secret
    // keeps the old value either way.
    await new Promise((r) => setTimeout(r, 2500 * fx.slow)); // two refresh intervals (more where reconciles are slower)
    const condition = readyOf(await es('pinned'))!;
    if (condition.status !== 'True') {
      assert.equal(condition.reason, 'Stale');
      assert.match(condition.message ?? '', /^NotFound: .*version 1/);
    }
    assert.equal((await statusOf('pinned')).currentSecretName, pinned.currentSecretName);
    assert.deepEqual(await secretData(pinned.currentSecretName!), { password: PLANTED[0] });
  });

  it('a removed item gives Ready=False and keeps the existing Secret', async () => {
    const ready = (await waitReady('removable')).status as EsStatus;
    connect.deleteItem(prod, removableId);
    const condition = await waitReason('removable', 'Stale');
    assert.equal(condition.status, 'False');
    assert.match(condition.message ?? '', /^NotFound: /);
    assert.deepEqual(await secretData(ready.currentSecretName!), { password: 'here-for-now' });
  });

  it('each error class ends up as its typed error, condition and metric status, with no token or value in any text', async () => {
    const ambiguous = await waitReason('ambiguous', 'InvalidRemoteData');
    assert.match(ambiguous.message ?? '', /^InvalidData: .*more than one item is titled "twin"/);
    const noPassword = await waitReason('no-password', 'SecretSyncedError');
    assert.match(noPassword.message ?? '', /^NotFound: .*no password field/);
    assert.equal((await fx.cluster.list('v1', 'Secret', NS)).some((s) => s.metadata?.name?.startsWith('no-password-')), false, 'no Secret with an empty value');
    const missing = await waitReason('missing', 'SecretSyncedError');
    assert.match(missing.message ?? '', /^NotFound: /);
    const unauthorised = await waitReason('unauthorised', 'StoreNotReady');
    assert.match(unauthorised.message ?? '', /Auth: /);

    connect.throttleNext(1, 1);
    await eventually(async () => ((await op.metricValue('externalsecret_provider_api_calls_count', { provider: 'onepassword', status: '429' })) ?? 0) >= 1, 20_000 * fx.slow, 'a throttled call counted');
    connect.failNext(1, 503);
    await eventually(async () => ((await op.metricValue('externalsecret_provider_api_calls_count', { provider: 'onepassword', status: '503' })) ?? 0) >= 1, 20_000 * fx.slow, 'an unavailable call counted');
    await waitReady('db');

    const metric = (status: string) => op.metricValue('externalsecret_provider_api_calls_count', { provider: 'onepassword', status });
    assert.ok(((await metric('200')) ?? 0) > 0);
    assert.ok(((await metric('404')) ?? 0) > 0);
    assert.ok(((await metric('401')) ?? 0) > 0);
    assert.equal(await op.metricValue('externalsecret_status_condition', { name: 'ambiguous', namespace: NS, condition: 'Ready', status: 'False' }), 1);

    await assertNothingLeaked(op, fx.cluster, NS, [TOKEN, TOKEN.split('.')[2]!, 'bm9wZS1ub3BlLW5vcGU', ...PLANTED, 'eyJ']);
  });

  it('nothing, in the test process or the operator (which runs with the loopback guard), tried to leave 127.0.0.1', () => {
    assert.deepEqual(blockedAttempts.slice(blockedBefore).map((e) => e.message), []);
    assert.doesNotMatch(op.output(), /loopback guard blocked/);
  });
});
