import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, eventually, externalSecret, fakeStore, forEachCluster, namespace, readyOf, startClusterFixture, decoded, type ClusterFixture } from './fixture.js';

const PLANTED = 'planted-s3cr3t-value-9f1c';

forEachCluster('operator end to end: sync', (kind) => {
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;

  before(async function () {
    this.timeout(180_000);
    fx = await startClusterFixture(kind);
  });
  after(async function () {
    this.timeout(180_000);
    await op?.kill();
    await fx?.close();
  });

  it('writes an immutable hash-named Secret, reports SecretSynced with currentSecretName and one Event', async function () {
    this.timeout(60_000);
    const { cluster } = fx;
    await cluster.apply([
      namespace('app'),
      fakeStore('fake', 'app', [{ key: 'db', value: JSON.stringify({ password: PLANTED, user: 'admin' }), version: 'v1' }]),
      externalSecret('db', 'app', {
        secretStoreRef: { name: 'fake' },
        refreshInterval: '1s',
        data: [{ secretKey: 'password', remoteRef: { key: 'db', property: 'password' } }, { secretKey: 'user', remoteRef: { key: 'db', property: 'user' } }],
        target: { name: 'db-creds', versioning: { retain: 1, minRetention: '0s' } },
      }),
    ]);
    op = await startOperatorProcess({ ...fx.operator });
    const es = await eventually(async () => {
      const obj = await cluster.get(API, 'ExternalSecret', 'db', 'app');
      return readyOf(obj)?.status === 'True' ? obj : undefined;
    }, 20_000 * fx.slow, 'ExternalSecret Ready');
    assert.equal(readyOf(es)!.reason, 'SecretSynced');
    const current = (es.status as { currentSecretName: string }).currentSecretName;
    assert.match(current, /^db-creds-[0-9a-f]{10}$/);
    const secret = (await cluster.get('v1', 'Secret', current, 'app'))!;
    assert.equal(secret.immutable, true);
    assert.equal(decoded(secret, 'password'), PLANTED);
    assert.equal(decoded(secret, 'user'), 'admin');
    const events = await eventually(async () => {
      const list = (await cluster.list('v1', 'Event', 'app')).filter((e) => (e.involvedObject as { name?: string })?.name === 'db');
      return list.length > 0 ? list : undefined;
    }, 5000 * fx.slow, 'an Event');
    assert.equal(events.length, 1);
  });
});

forEachCluster('operator end to end: --namespace scope', (kind) => {
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;

  before(async function () {
    this.timeout(180_000);
    fx = await startClusterFixture(kind);
  });
  after(async function () {
    this.timeout(180_000);
    await op?.kill();
    await fx?.close();
  });

  it('syncs ExternalSecrets of the watched namespace only', async function () {
    this.timeout(60_000);
    const { cluster } = fx;
    for (const ns of ['watched', 'ignored']) {
      await cluster.apply([
        namespace(ns),
        fakeStore('fake', ns, [{ key: 'k', value: 'v' }]),
        externalSecret('es', ns, { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] }),
      ]);
    }
    op = await startOperatorProcess({ ...fx.operator, args: ['--namespace', 'watched'] });
    await eventually(async () => readyOf(await cluster.get(API, 'ExternalSecret', 'es', 'watched'))?.status === 'True', 20_000 * fx.slow, 'watched ExternalSecret Ready');
    // The watched one being Ready shows the operator has worked through its queue; the other namespace saw no reconcile.
    assert.equal(await op.metricValue('externalsecret_sync_calls_total', { namespace: 'ignored' }), undefined);
    assert.equal(readyOf(await cluster.get(API, 'ExternalSecret', 'es', 'ignored')), undefined);
    assert.equal((await cluster.list('v1', 'Secret', 'ignored')).filter((s) => s.type !== 'kubernetes.io/service-account-token').length, 0);
  });
});
