// The `make dev` demo: applied to a dev cluster with the operator in process, every demo
// ExternalSecret turns Ready within seconds.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyDemoDirectory, startDevOperator, waitForDemo, type DevOperator } from '../../src/cli/dev-operator.js';
import { forEachCluster, startClusterFixture, type ClusterFixture } from './fixture.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

forEachCluster('keyferry dev demo', function (kind) {
  this.timeout(30_000);
  let fx: ClusterFixture;
  let operator: DevOperator | undefined;
  let dir: string;

  before(async () => {
    fx = await startClusterFixture(kind);
    dir = await mkdtemp(join(tmpdir(), 'keyferry-demo-'));
  });
  after(async () => {
    await operator?.stop();
    await fx?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('applies the demo and syncs every ExternalSecret within seconds', async () => {
    const applied = await applyDemoDirectory(fx.cluster, join(repoRoot, 'manifests', 'examples', 'dev'));
    assert.ok(applied.some((o) => o.kind === 'ExternalSecret'));
    const started = Date.now();
    operator = await startDevOperator(fx.kubeconfigPath, join(dir, 'operator.log'));
    const lines = await waitForDemo(fx.cluster, 'demo', 10_000 * fx.slow);
    assert.ok(lines.length >= 3);
    for (const line of lines) assert.match(line, /: SecretSynced \S+-[0-9a-f]{10}$/);
    assert.ok(Date.now() - started < 10_000 * fx.slow);
    const metrics = await (await fetch(operator.metricsUrl)).text();
    assert.match(metrics, /externalsecret_sync_calls_total\{name="db",namespace="demo"\} [1-9]/);
    await operator.stop();
    operator = undefined;
    const log = await readFile(join(dir, 'operator.log'), 'utf8');
    assert.ok(!log.includes('demo-db-password-v1'), 'no demo value in the operator log');
  });
});
