// Version names end to end, on both clusters: the HMAC key Secret the operator keeps in its own
// namespace, names that survive a restart, labels within the API server's 63 characters for
// long names (the real API server refuses more), a planted Secret at a version's name
// (NameConflict, never adopted), and two ExternalSecrets on one target.name (TargetConflict).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { VERSION_KEY_DATA_KEY, VERSION_KEY_SECRET_NAME } from '../../src/versioning/index.js';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, decoded, eventually, externalSecret, fakeStore, forEachCluster, namespace, namespaceView, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const NS = 'vnames';
const PLANTED = 'planted-vnames-4f1c9a';
const ATTACKER = 'ATTACKER-CONTROLLED';

interface Status {
  currentSecretName?: string;
  versions?: Array<{ name: string; hash: string }>;
}

/** The name keyferry gives the version holding `data` (type Opaque, no template), under `key`. */
function versionName(target: string, data: Record<string, string>, key: Buffer): string {
  const entries = Object.keys(data).sort().map((k) => [k, Buffer.from(data[k]!).toString('base64')]);
  const hmac = createHmac('sha256', key).update(JSON.stringify(['keyferry.io/v1', 'Opaque', entries, [], []])).digest('hex').slice(0, 10);
  return `${target}-${hmac}`;
}

forEachCluster('operator end to end: version names', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;
  const view = namespaceView<Status>(() => fx, NS);
  const versionKey = async () => {
    const secret = await fx.cluster.get('v1', 'Secret', VERSION_KEY_SECRET_NAME, fx.operatorNamespace);
    return Buffer.from((secret!.data as Record<string, string>)[VERSION_KEY_DATA_KEY]!, 'base64');
  };

  before(async () => {
    fx = await startClusterFixture(kind);
    await fx.cluster.apply([namespace(NS), fakeStore('fake', NS, [{ key: 'db', value: PLANTED }, { key: 'other', value: `${PLANTED}-other` }])]);
    op = await startOperatorProcess({ ...fx.operator });
  });
  after(async () => {
    await op?.kill();
    await fx?.close();
  });

  it('keeps its HMAC key in an immutable Secret of its namespace; names are that HMAC, and a restart keeps them', async () => {
    await fx.cluster.apply(externalSecret('app', NS, { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] }));
    const ready = await view.waitReady('app');
    const keySecret = (await fx.cluster.get('v1', 'Secret', VERSION_KEY_SECRET_NAME, fx.operatorNamespace))!;
    assert.equal(keySecret.immutable, true);
    const key = await versionKey();
    assert.equal(key.length, 32);
    const status = ready.status as Status;
    assert.equal(status.currentSecretName, versionName('app', { pw: PLANTED }, key));
    assert.equal(status.versions![0]!.hash, status.currentSecretName!.slice(-10), 'status carries the HMAC digits');

    // Another process, same key, same name: nothing new is written.
    assert.equal(await op!.stop(), 0);
    op = await startOperatorProcess({ ...fx.operator });
    await eventually(async () => ((await op!.metricValue('externalsecret_sync_calls_total', { namespace: NS })) ?? 0) >= 1, 20_000 * fx.slow, 'a reconcile after the restart');
    assert.equal(await op.metricValue('keyferry_kube_requests_total', { verb: 'create', resource: 'secrets' }), undefined);
    assert.deepEqual(await versionKey(), key);
    assert.equal(((await view.statusOf('app')) as Status).currentSecretName, status.currentSecretName);
  });

  it('labels versions of names over 63 characters within 63 characters, with the full names in annotations', async () => {
    const name = `long-${'e'.repeat(190)}`;
    const target = `t-${'y'.repeat(240)}`;
    await fx.cluster.apply(externalSecret(name, NS, { secretStoreRef: { name: 'fake' }, target: { name: target }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] }));
    const ready = await view.waitReady(name);
    const secret = (await fx.cluster.get('v1', 'Secret', (ready.status as Status).currentSecretName!, NS))!;
    for (const value of Object.values(secret.metadata!.labels!)) assert.ok(value.length <= 63, value);
    assert.equal(secret.metadata!.annotations!['keyferry.io/external-secret-name'], name);
    assert.equal(secret.metadata!.annotations!['keyferry.io/target-name'], target);
    const selected = await fx.cluster.list('v1', 'Secret', NS, { labelSelector: `keyferry.io/external-secret=${secret.metadata!.labels!['keyferry.io/external-secret']}` });
    assert.deepEqual(selected.map((s) => s.metadata!.name), [secret.metadata!.name]);
  });

  it('never adopts a Secret planted at the name of the next version: NameConflict, and the planted one is left alone', async () => {
    const name = versionName('squat', { pw: `${PLANTED}-other` }, await versionKey());
    const planted: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS, labels: { 'keyferry.io/managed': 'true', 'keyferry.io/external-secret': 'squat', 'keyferry.io/target': 'squat' } }, data: { pw: Buffer.from(ATTACKER).toString('base64') } };
    await fx.cluster.apply(planted);
    await fx.cluster.apply(externalSecret('squat', NS, { secretStoreRef: { name: 'fake' }, refreshInterval: '1s', data: [{ secretKey: 'pw', remoteRef: { key: 'other' } }] }));
    const condition = await view.waitReason('squat', 'NameConflict');
    assert.match(condition.message!, new RegExp(`Secret "${name}" exists but is not this version`));
    assert.equal(((await view.statusOf('squat')) as Status).currentSecretName, undefined);
    const after = await fx.cluster.get('v1', 'Secret', name, NS);
    assert.equal(decoded(after, 'pw'), ATTACKER);
    assert.notEqual(after!.immutable, true);
  });

  it('gives a second ExternalSecret on the same target.name TargetConflict; it takes over once the first is gone', async () => {
    await fx.cluster.apply(externalSecret('first', NS, { secretStoreRef: { name: 'fake' }, target: { name: 'shared' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] }));
    const first = (await view.waitReady('first')).status as Status;
    await fx.cluster.apply(externalSecret('second', NS, { secretStoreRef: { name: 'fake' }, target: { name: 'shared' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] }));
    const conflict = await view.waitReason('second', 'TargetConflict');
    assert.match(conflict.message!, /is written by ExternalSecret "first"/);
    assert.equal(((await view.statusOf('second')) as Status).currentSecretName, undefined);
    const shared = (await fx.cluster.list('v1', 'Secret', NS, { labelSelector: 'keyferry.io/target=shared' })).map((s) => s.metadata!.labels!['keyferry.io/external-secret']);
    assert.deepEqual(shared, ['first']);

    // The first goes, and its versions with it (owner references); the second writes its own.
    await fx.cluster.delete(API, 'ExternalSecret', 'first', NS);
    await eventually(async () => !(await fx.cluster.get('v1', 'Secret', first.currentSecretName!, NS)), 60_000 * fx.slow, 'the first one\'s versions garbage-collected');
    const took = await view.waitReady('second', 120_000);
    const secret = await fx.cluster.get('v1', 'Secret', (took.status as Status).currentSecretName!, NS);
    assert.equal(secret!.metadata!.labels!['keyferry.io/external-secret'], 'second');
  });
});
