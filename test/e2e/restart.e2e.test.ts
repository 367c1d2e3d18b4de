// Restarts: with nothing changed the operator writes no Secret; killed with SIGKILL in the
// middle of a sync wave, it converges after a restart without duplicate versions.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, eventually, externalSecret, fakeStore, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture } from './fixture.js';

const COUNT = 60;

describe('operator end to end: restarts', function () {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;

  before(async () => {
    fx = await startClusterFixture();
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

  const allReady = () => fx.cluster.list(API, 'ExternalSecret', 'wave').every((o) => readyOf(o)?.status === 'True');

  it('converges without duplicate versions after a SIGKILL in the middle of a sync wave', async () => {
    // A small client budget stretches the wave so the kill lands inside it.
    op = await startOperatorProcess({ kubeconfigPath: fx.kubeconfigPath, args: ['--client-qps', '10', '--client-burst', '5'] });
    await eventually(() => fx.cluster.list('v1', 'Secret', 'wave').length >= 10, 20_000, 'part of the wave written');
    await op.kill();
    const written = fx.cluster.list('v1', 'Secret', 'wave').length;
    assert.ok(written < COUNT, `killed mid-wave (${written} of ${COUNT} written)`);

    op = await startOperatorProcess({ kubeconfigPath: fx.kubeconfigPath });
    await eventually(allReady, 30_000, 'all ExternalSecrets Ready');
    for (let i = 0; i < COUNT; i++) {
      const versions = managedSecrets(fx.cluster, 'wave', `es${i}`);
      assert.equal(versions.length, 1, `es${i} has exactly one version`);
      assert.equal((fx.cluster.get(API, 'ExternalSecret', `es${i}`, 'wave')!.status as { currentSecretName: string }).currentSecretName, versions[0]!.metadata!.name);
    }
  });

  it('drains on SIGTERM (exit 0) and writes no Secret when restarted with nothing changed', async () => {
    assert.equal(await op!.stop(), 0);
    fx.cluster.stats.reset();
    op = await startOperatorProcess({ kubeconfigPath: fx.kubeconfigPath });
    // Every ExternalSecret is reconciled once after the restart (they are due: refreshTime is older than this process).
    await eventually(async () => ((await op!.metricValue('externalsecret_sync_calls_total', { namespace: 'wave' })) ?? 0) >= COUNT, 20_000, 'a reconcile of every ExternalSecret');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(fx.cluster.stats.writes('secrets'), 0, 'no Secret writes');
    assert.equal(fx.cluster.stats.writes('externalsecrets/status'), 0, 'no status writes either');
    assert.equal(fx.cluster.stats.count('create', 'events'), 0, 'no Events: nothing changed');
  });
});
