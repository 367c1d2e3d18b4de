// Restarts: with nothing changed the operator writes no Secret; killed with SIGKILL in the
// middle of a sync wave, it converges after a restart without duplicate versions.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, eventually, externalSecret, fakeStore, forEachCluster, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture } from './fixture.js';

const COUNT = 60;

forEachCluster('operator end to end: restarts', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;

  before(async () => {
    fx = await startClusterFixture(kind);
    const data = Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `value-${i}` }));
    await fx.cluster.apply([namespace('wave'), fakeStore('fake', 'wave', data)]);
    await fx.cluster.apply(Array.from({ length: COUNT }, (_, i) => externalSecret(`es${i}`, 'wave', {
      secretStoreRef: { name: 'fake' }, refreshInterval: '1h', data: [{ secretKey: 'v', remoteRef: { key: `k${i}` } }],
    })));
  });
  after(async () => {
    await op?.kill();
    await fx?.close();
  });

  const allReady = async () => (await fx.cluster.list(API, 'ExternalSecret', 'wave')).every((o) => readyOf(o)?.status === 'True');

  it('converges without duplicate versions after a SIGKILL in the middle of a sync wave', async () => {
    // A small client budget stretches the wave so the kill lands inside it.
    op = await startOperatorProcess({ ...fx.operator, args: ['--client-qps', '10', '--client-burst', '5'] });
    const written = async () => (await fx.cluster.list('v1', 'Secret', 'wave', { labelSelector: 'keyferry.io/managed=true' })).length;
    await eventually(async () => (await written()) >= 10, 20_000 * fx.slow, 'part of the wave written');
    await op.kill();
    const count = await written();
    assert.ok(count < COUNT, `killed mid-wave (${count} of ${COUNT} written)`);

    op = await startOperatorProcess({ ...fx.operator });
    await eventually(allReady, 30_000 * fx.slow, 'all ExternalSecrets Ready');
    for (let i = 0; i < COUNT; i++) {
      const versions = await managedSecrets(fx.cluster, 'wave', `es${i}`);
      assert.equal(versions.length, 1, `es${i} has exactly one version`);
      assert.equal(((await fx.cluster.get(API, 'ExternalSecret', `es${i}`, 'wave'))!.status as { currentSecretName: string }).currentSecretName, versions[0]!.metadata!.name);
    }
  });

  it('drains on SIGTERM (exit 0) and writes no Secret when restarted with nothing changed', async () => {
    assert.equal(await op!.stop(), 0);
    op = await startOperatorProcess({ ...fx.operator });
    // Every ExternalSecret is reconciled once after the restart (they are due: refreshTime is older than this process).
    await eventually(async () => ((await op!.metricValue('externalsecret_sync_calls_total', { namespace: 'wave' })) ?? 0) >= COUNT, 20_000 * fx.slow, 'a reconcile of every ExternalSecret');
    // The new process's own request counters: what it wrote since it started.
    const writes = (verb: string, resource: string) => op!.metricValue('keyferry_kube_requests_total', { verb, resource });
    assert.equal(await writes('create', 'secrets'), undefined, 'no Secret writes');
    assert.equal(await writes('delete', 'secrets'), undefined, 'no Secret deletes');
    assert.equal(await writes('patch', 'externalsecrets/status'), undefined, 'no status writes either');
    assert.equal(await writes('create', 'events'), undefined, 'no Events: nothing changed');
  });
});
