// Child process: records every module resolved while the operator starts against a dev
// cluster with an ExternalSecret, syncs it, and stops; prints the URLs as JSON on stdout.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const loaded = new Set<string>();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url: string) => loaded.add(url));
port1.unref();
register('./module-graph-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });

const dir = await mkdtemp(join(tmpdir(), 'keyferry-graph-'));
const { startDevCluster } = await import('../../../src/devcluster/dev-cluster.js');
const { applyCrdDirectory } = await import('../../../src/cli/dev-command.js');
const cluster = await startDevCluster({ port: 0 });
await applyCrdDirectory(cluster, fileURLToPath(new URL('../../../manifests/crds', import.meta.url)));
const kubeconfig = join(dir, 'kubeconfig');
await cluster.writeKubeconfig(kubeconfig);
const { startOperator } = await import('../../../src/cli/operator.js');
const { createLogger } = await import('../../../src/logging/logger.js');
const operator = await startOperator({
  kubeconfig, concurrency: 1, clientQps: 50, clientBurst: 100,
  metricsAddr: '127.0.0.1:0', healthAddr: '127.0.0.1:0', logger: createLogger({ level: 'warn', destination: process.stderr }),
});
await operator.stop();
await cluster.stop();
await rm(dir, { recursive: true, force: true });
// Messages on one port arrive in order: once this last resolution is reported, all are.
const sentinel = 'data:text/javascript,export default 1';
const reported = new Promise<void>((resolve) => port1.on('message', (url: string) => { if (url === sentinel) resolve(); }));
await import(sentinel);
await reported;
process.stdout.write(JSON.stringify([...loaded].filter((u) => u !== sentinel)));
