// Cold start at scale over the fake provider: N ExternalSecrets (default 10 000) over M
// distinct remote secrets (default 2 000) in one namespace. Starts the dev cluster in this
// process and the operator as its own process, then reports the time until every
// ExternalSecret is Ready, the Kubernetes API writes the operator made (counted at the dev
// cluster), and the operator's peak RSS. Prints a table and writes bench/results/fake-scale.json.
//
//   node --import tsx bench/fake-scale.ts [--count 10000] [--distinct 2000] [--qps 1000] [--burst 2000] [--concurrency 16]
//   BENCH_OPERATOR_PROF=<dir> also writes a CPU profile of the operator there.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevCluster } from '../src/devcluster/dev-cluster.js';
import { applyCrdDirectory } from '../src/cli/dev-command.js';
import { startOperatorProcess } from '../test/support/operator-process.js';
import { numberArg } from './support/command-line.js';
import { cpuSeconds, peakRss } from './support/process-figures.js';

const root = join(import.meta.dirname, '..');
const API = 'keyferry.io/v1alpha1';


const COUNT = numberArg('count', 10000);
const DISTINCT = numberArg('distinct', 2000);
const QPS = numberArg('qps', 1000);
const BURST = numberArg('burst', 2000);
const CONCURRENCY = numberArg('concurrency', 16);

async function main(): Promise<void> {
  const cluster = await startDevCluster({ port: 0, watchHistorySize: Math.max(10_000, COUNT * 4) });
  const dir = await mkdtemp(join(tmpdir(), 'keyferry-bench-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  let op: Awaited<ReturnType<typeof startOperatorProcess>> | undefined;
  try {
    await applyCrdDirectory(cluster, join(root, 'manifests', 'crds'));
    await cluster.writeKubeconfig(kubeconfigPath);
    const data = Array.from({ length: DISTINCT }, (_, i) => ({ key: `secret-${i}`, value: JSON.stringify({ user: `u${i}`, password: `p${i}` }) }));
    await cluster.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } },
      { apiVersion: API, kind: 'SecretStore', metadata: { name: 'fake', namespace: 'bench' }, spec: { provider: { fake: { data } } } },
    ]);
    const batch = 1000;
    for (let start = 0; start < COUNT; start += batch) {
      await cluster.apply(Array.from({ length: Math.min(batch, COUNT - start) }, (_, j) => {
        const i = start + j;
        return {
          apiVersion: API, kind: 'ExternalSecret', metadata: { name: `es-${i}`, namespace: 'bench' },
          spec: { secretStoreRef: { name: 'fake' }, refreshInterval: '1h', data: [{ secretKey: 'password', remoteRef: { key: `secret-${i % DISTINCT}`, property: 'password' } }] },
        };
      }));
    }
    cluster.stats.reset();

    const loadAtStart = loadavg()[0];
    const clusterCpuAtStart = process.cpuUsage();
    const started = Date.now();
    op = await startOperatorProcess({
      kubeconfigPath, logLevel: 'info', startTimeoutMs: 120_000, nodeArgs: process.env.BENCH_OPERATOR_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_OPERATOR_PROF}`] : undefined,
      args: ['--client-qps', String(QPS), '--client-burst', String(BURST), '--concurrency', String(CONCURRENCY)],
    });
    const synced = Date.now();
    let peak = 0;
    let allReadyAt: number | undefined;
    // Count Ready straight from the dev cluster's store (no copies, no /metrics scrapes that
    // would load the operator): this process also serves the cluster.
    const isReady = (o: { status?: unknown }) =>
      ((o.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    const storageKey = 'keyferry.io/externalsecrets';
    const countNotReady = () => {
      let n = 0;
      for (const e of cluster.server.store.entries(storageKey, 'bench')) if (!isReady(e.obj as { status?: unknown })) n++;
      return n;
    };
    const deadline = started + 30 * 60_000;
    while (Date.now() < deadline) {
      peak = Math.max(peak, (await peakRss(op.pid)) ?? 0);
      if (countNotReady() === 0) {
        allReadyAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const notReady = countNotReady();
    const operatorCpu = await cpuSeconds(op.pid);
    const clusterCpu = process.cpuUsage(clusterCpuAtStart);
    peak = Math.max(peak, (await peakRss(op.pid)) ?? 0);
    const stats = cluster.stats.snapshot();
    const result = {
      scenario: 'fake-scale cold start',
      externalSecrets: COUNT,
      distinctRemoteSecrets: DISTINCT,
      clientQps: QPS,
      clientBurst: BURST,
      concurrency: CONCURRENCY,
      timeToAllReadySeconds: allReadyAt ? (allReadyAt - started) / 1000 : null,
      timeFromCacheSyncToAllReadySeconds: allReadyAt ? (allReadyAt - synced) / 1000 : null,
      notReadyAtEnd: notReady,
      kubernetesApiWrites: cluster.stats.writes(),
      secretWrites: cluster.stats.writes('secrets'),
      statusWrites: cluster.stats.writes('externalsecrets/status'),
      eventWrites: cluster.stats.writes('events'),
      lowerBoundSeconds: (2 * COUNT) / QPS,
      operatorPeakRssMiB: Math.round((peak / 1024 / 1024) * 10) / 10,
      // Where the time went: both processes share the machine's CPUs.
      operatorCpuSeconds: operatorCpu,
      devClusterCpuSeconds: Math.round((clusterCpu.user + clusterCpu.system) / 1e4) / 100,
      requests: stats,
      node: process.version,
      cpus: cpus().length,
      // The machine may be shared: a high load average means slower, noisier figures.
      loadAverage1mAtStart: Math.round(loadAtStart * 100) / 100,
      date: new Date().toISOString(),
    };
    await op.stop();
    op = undefined;
    console.table({
      'ExternalSecrets': COUNT,
      'distinct remote secrets': DISTINCT,
      'time to all Ready (s)': result.timeToAllReadySeconds,
      'of which after cache sync (s)': result.timeFromCacheSyncToAllReadySeconds,
      'lower bound 2N/QPS (s)': result.lowerBoundSeconds,
      'Kubernetes API writes': result.kubernetesApiWrites,
      '  Secret writes': result.secretWrites,
      '  status writes': result.statusWrites,
      '  Event writes': result.eventWrites,
      'operator peak RSS (MiB)': result.operatorPeakRssMiB,
      'operator CPU (s)': result.operatorCpuSeconds,
      'dev cluster + bench CPU (s)': result.devClusterCpuSeconds,
    });
    await mkdir(join(root, 'bench', 'results'), { recursive: true });
    await writeFile(join(root, 'bench', 'results', 'fake-scale.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (notReady > 0) process.exitCode = 1;
  } finally {
    await op?.kill();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
