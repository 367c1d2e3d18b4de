// --shard-index/--shard-count: two replicas split the ExternalSecrets between them by store
// and remote key; every ExternalSecret is synced, each by exactly one replica, and each
// shard elects its own leader.
import assert from 'node:assert/strict';
import { shardOf } from '../../src/controller/shard.js';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, eventually, externalSecret, fakeStore, forEachCluster, namespace, readyOf, startClusterFixture, type ClusterFixture } from './fixture.js';

forEachCluster('operator end to end: two shards', function (kind) {
  this.timeout(90_000);
  let fx: ClusterFixture;
  const ops: OperatorProcess[] = [];
  const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);

  before(async () => {
    fx = await startClusterFixture(kind);
    await fx.cluster.apply([namespace('sh'), fakeStore('fake', 'sh', keys.map((key) => ({ key, value: `v-${key}` })))]);
  });
  after(async () => {
    for (const op of ops) await op.kill();
    await fx?.close();
  });

  it('syncs every ExternalSecret once, split between the replicas, with readers of one remote key on one replica', async () => {
    for (const index of [0, 1]) {
      ops.push(await startOperatorProcess({ ...fx.operator, args: ['--shard-index', String(index), '--shard-count', '2', '--leader-elect'] }));
    }
    // Two ExternalSecrets per remote key.
    await fx.cluster.apply(keys.flatMap((key) => ['a', 'b'].map((suffix) =>
      externalSecret(`${key}-${suffix}`, 'sh', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'v', remoteRef: { key } }] }))));
    const names = keys.flatMap((key) => [`${key}-a`, `${key}-b`]);
    await eventually(async () => (await fx.cluster.list(API, 'ExternalSecret', 'sh')).filter((o) => readyOf(o)?.status === 'True').length === names.length, 20_000 * fx.slow, 'all Ready');

    const syncedBy = await Promise.all(ops.map(async (op) => {
      const mine = new Set<string>();
      for (const n of names) if (await op.metricValue('externalsecret_sync_calls_total', { name: n, namespace: 'sh' })) mine.add(n);
      return mine;
    }));
    assert.ok(syncedBy[0]!.size > 0 && syncedBy[1]!.size > 0, `both replicas work (${syncedBy[0]!.size} / ${syncedBy[1]!.size})`);
    assert.equal(syncedBy[0]!.size + syncedBy[1]!.size, names.length, 'each ExternalSecret reconciled by one replica only');
    for (const key of keys) {
      const owner = syncedBy.findIndex((s) => s.has(`${key}-a`));
      assert.ok(syncedBy[owner]!.has(`${key}-b`), `both readers of ${key} on replica ${owner}`);
    }
    for (const index of [0, 1]) assert.ok(await fx.cluster.get('coordination.k8s.io/v1', 'Lease', `keyferry-leader-shard-${index}`, fx.operatorNamespace), `lease of shard ${index}`);
  });

  it('an ExternalSecret that moves to the other shard keeps its versions: its new replica sees the old one', async () => {
    // Each replica caches only its own shard's versions, so the new one must list them again.
    const moving = keys.find((key) => shardOf(`SecretStore/sh/fake|${key}`, 2) === 0)!;
    const destination = keys.find((key) => shardOf(`SecretStore/sh/fake|${key}`, 2) === 1)!;
    const name = `${moving}-a`;
    const before = await fx.cluster.get(API, 'ExternalSecret', name, 'sh') as { status?: { currentSecretName?: string } };
    const oldVersion = before.status!.currentSecretName!;
    await fx.cluster.apply(externalSecret(name, 'sh', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'v', remoteRef: { key: destination } }] }));
    let status: { currentSecretName?: string; versions?: Array<{ name: string }> } | undefined;
    await eventually(async () => {
      const now = await fx.cluster.get(API, 'ExternalSecret', name, 'sh') as { status?: typeof status };
      status = now.status;
      return readyOf(now)?.status === 'True' && status?.currentSecretName !== oldVersion;
    }, 20_000 * fx.slow, 'synced from the new key');
    assert.deepEqual(status!.versions!.map((v) => v.name).sort(), [oldVersion, status!.currentSecretName!].sort(), 'the old version is still listed by the new owner');
    assert.ok(await ops[1]!.metricValue('externalsecret_sync_calls_total', { name, namespace: 'sh' }), 'shard 1 synced it after the move');
  });
});
