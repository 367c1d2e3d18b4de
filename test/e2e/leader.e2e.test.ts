// --leader-elect: of two replicas only the Lease holder reconciles; on SIGTERM it hands the
// Lease back and the standby takes over without waiting for the Lease to expire.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, eventually, externalSecret, fakeStore, forEachCluster, namespace, readyOf, startClusterFixture, type ClusterFixture } from './fixture.js';

forEachCluster('operator end to end: leader election', function (kind) {
  this.timeout(90_000);
  let fx: ClusterFixture;
  const ops: OperatorProcess[] = [];

  before(async () => {
    fx = await startClusterFixture(kind);
    await fx.cluster.apply([namespace('le'), fakeStore('fake', 'le', [{ key: 'k', value: 'v' }])]);
  });
  after(async () => {
    for (const op of ops) await op.kill();
    await fx?.close();
  });

  const ready = async (name: string) => readyOf(await fx.cluster.get(API, 'ExternalSecret', name, 'le'))?.status === 'True';

  it('lets only the Lease holder reconcile, and hands over on SIGTERM', async () => {
    const first = await startOperatorProcess({ ...fx.operator, args: ['--leader-elect'] });
    ops.push(first);
    await first.waitForLog((l) => l.msg === 'acquired leader lease', 15_000 * fx.slow);
    const second = await startOperatorProcess({ ...fx.operator, args: ['--leader-elect'] });
    ops.push(second);
    await second.waitForLog((l) => l.msg === 'waiting for the leader lease', 15_000 * fx.slow);

    await fx.cluster.apply(externalSecret('a', 'le', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] }));
    await eventually(() => ready('a'), 15_000 * fx.slow, 'a Ready');
    await eventually(async () => (await fetch(`${second.healthUrl}/readyz`)).status === 200, 10_000 * fx.slow, 'standby ready: leader known');
    assert.equal(await second.metricValue('externalsecret_sync_calls_total', { name: 'a', namespace: 'le' }), undefined, 'the standby did not reconcile');
    const lease = (await fx.cluster.get('coordination.k8s.io/v1', 'Lease', 'keyferry-leader', fx.operatorNamespace))!;
    assert.match(String((lease.spec as { holderIdentity?: string }).holderIdentity), /_/);

    assert.equal(await first.stop(), 0);
    const handedOver = Date.now();
    await second.waitForLog((l) => l.msg === 'acquired leader lease', 10_000);
    assert.ok(Date.now() - handedOver < 5000, 'took over without waiting for the Lease to expire');
    await fx.cluster.apply(externalSecret('b', 'le', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] }));
    await eventually(() => ready('b'), 15_000 * fx.slow, 'b Ready after the hand-over');
  });
});
