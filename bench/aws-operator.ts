// Cold start of the operator process over AWS Secrets Manager: N ExternalSecrets (default
// 10 000) in K namespaces (default 100) over M distinct remote secrets (default 2 000, 20 %
// JSON read by `property`), one ClusterSecretStore pointing at the local AWS wire server,
// which enforces a token bucket of R calls/s (default 100; ThrottlingException past it) and
// adds a latency to every call (default 20 ms). Everything is applied before the operator
// starts; reports the time until every ExternalSecret is Ready, the lower bound, provider
// calls and throttles received, Kubernetes API writes, and the operator's peak RSS and CPU.
// Writes bench/results/aws-operator.json.
//
//   node --import tsx bench/aws-operator.ts [--count 10000] [--namespaces 100] [--distinct 2000] [--rate 100] [--latency 20] [--qps 1000]
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevCluster } from '../src/devcluster/dev-cluster.js';
import { applyCrdDirectory } from '../src/cli/dev-command.js';
import { AwsTestServer } from '../test/support/aws/aws-server.js';
import { startOperatorProcess, sumMetric } from '../test/support/operator-process.js';

const root = join(import.meta.dirname, '..');
const API = 'keyferry.io/v1alpha1';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : def;
}

const COUNT = arg('count', 10_000);
const NAMESPACES = arg('namespaces', 100);
const DISTINCT = arg('distinct', 2_000);
const RATE = arg('rate', 100);
const LATENCY_MS = arg('latency', 20);
const QPS = arg('qps', 1_000);
const accessKeyId = 'AKIAKEYFERRYBENCH002';
const secretAccessKey = 'benchSecretAccessKey/keyferry/0000000002';

const keyOf = (i: number) => `bench/app-${i % DISTINCT}`;
const isJson = (i: number) => i % DISTINCT < DISTINCT / 5;

/** Linux /proc figures of a process: CPU seconds and peak RSS in MiB. */
async function processFigures(pid: number): Promise<{ cpuSeconds?: number; peakRssMiB?: number }> {
  try {
    const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    // utime and stime, in clock ticks of 1/100 s.
    return { cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100, peakRssMiB: hwm ? Math.round(Number(hwm[1]) / 102.4) / 10 : undefined };
  } catch {
    return {};
  }
}

function avg(metrics: string, histogram: string): number | null {
  const count = sumMetric(metrics, `${histogram}_count`);
  return count ? Math.round(((sumMetric(metrics, `${histogram}_sum`) ?? 0) / count) * 10_000) / 10_000 : null;
}

const cluster = await startDevCluster({ port: 0, watchHistorySize: Math.max(10_000, COUNT * 4) });
const aws = new AwsTestServer({ users: [{ accessKeyId, secretAccessKey }], throttle: { requestsPerSecond: RATE }, latencyMs: LATENCY_MS });
await aws.start();
const dir = await mkdtemp(join(tmpdir(), 'keyferry-bench-'));
let op: Awaited<ReturnType<typeof startOperatorProcess>> | undefined;
try {
  for (let i = 0; i < DISTINCT; i++) {
    aws.store.put(keyOf(i), isJson(i) ? JSON.stringify({ user: `u${i}`, password: `p-${i}` }) : `value-${i}`);
  }
  await applyCrdDirectory(cluster, join(root, 'manifests', 'crds'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await cluster.writeKubeconfig(kubeconfigPath);
  const ref = (key: string) => ({ name: 'aws-creds', namespace: 'keyferry-system', key });
  await cluster.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keyferry-system' } },
    ...Array.from({ length: NAMESPACES }, (_, n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${n}` } })),
    {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aws-creds', namespace: 'keyferry-system' },
      data: { id: Buffer.from(accessKeyId).toString('base64'), secret: Buffer.from(secretAccessKey).toString('base64') },
    },
    {
      apiVersion: API, kind: 'ClusterSecretStore', metadata: { name: 'aws' },
      spec: {
        rateLimit: { requestsPerSecond: RATE, burst: RATE, maxConcurrent: 50 },
        provider: { aws: { region: 'us-east-1', endpoint: aws.url, auth: { secretRef: { accessKeyIDSecretRef: ref('id'), secretAccessKeySecretRef: ref('secret') } } } },
      },
    },
  ]);
  for (let start = 0; start < COUNT; start += 1000) {
    await cluster.apply(Array.from({ length: Math.min(1000, COUNT - start) }, (_, j) => {
      const i = start + j;
      return {
        apiVersion: API, kind: 'ExternalSecret', metadata: { name: `es-${i}`, namespace: `team-${i % NAMESPACES}` },
        spec: {
          secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws' }, refreshInterval: '1h',
          data: [{ secretKey: 'value', remoteRef: isJson(i) ? { key: keyOf(i), property: 'password' } : { key: keyOf(i) } }],
        },
      };
    }));
  }
  cluster.stats.reset();
  aws.resetCounters();

  const load = loadavg()[0]!;
  const started = Date.now();
  op = await startOperatorProcess({ kubeconfigPath, logLevel: 'info', startTimeoutMs: 120_000, args: ['--client-qps', String(QPS), '--client-burst', String(2 * QPS), '--concurrency', '16'] });
  const isReady = (o: { status?: unknown }) =>
    ((o.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const notReady = () => {
    let n = 0;
    for (let ns = 0; ns < NAMESPACES; ns++) for (const e of cluster.server.store.entries('keyferry.io/externalsecrets', `team-${ns}`)) if (!isReady(e.obj as { status?: unknown })) n++;
    return n;
  };
  let peakRssMiB = 0;
  let allReadyAt: number | undefined;
  while (Date.now() < started + 20 * 60_000) {
    peakRssMiB = Math.max(peakRssMiB, (await processFigures(op.pid)).peakRssMiB ?? 0);
    if (notReady() === 0) {
      allReadyAt = Date.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const figures = await processFigures(op.pid);
  const metrics = await op.metrics();
  const calls = (aws.calls.GetSecretValue ?? 0) + (aws.calls.BatchGetSecretValue ?? 0);
  const writes = cluster.stats.writes();
  const secretsAndStatus = 2 * COUNT;
  const bound = Math.max(Math.ceil(DISTINCT / 20) / RATE, secretsAndStatus / QPS);
  const wall = allReadyAt ? (allReadyAt - started) / 1000 : null;
  const result = {
    scenario: 'aws operator cold start',
    parameters: { count: COUNT, namespaces: NAMESPACES, distinct: DISTINCT, rate: RATE, latencyMs: LATENCY_MS, clientQps: QPS },
    timeToAllReadySeconds: wall,
    notReadyAtEnd: notReady(),
    lowerBoundSeconds: bound,
    ratio: wall === null ? null : Math.round((wall / bound) * 100) / 100,
    providerCallsReceived: calls,
    providerCallsByOperation: { GetSecretValue: aws.calls.GetSecretValue ?? 0, BatchGetSecretValue: aws.calls.BatchGetSecretValue ?? 0 },
    throttlesReceived: aws.throttledCalls,
    providerCallsInOperatorMetrics: sumMetric(metrics, 'externalsecret_provider_api_calls_count') ?? null,
    // Where a fetch spends its time, from the operator's own /metrics.
    fetchPath: {
      limiterWaitSecondsAvg: avg(metrics, 'keyferry_fetch_limiter_wait_seconds'),
      providerRequestSecondsAvg: avg(metrics, 'keyferry_provider_request_duration_seconds'),
      singleFlightMerged: sumMetric(metrics, 'keyferry_fetch_singleflight_merged_total') ?? 0,
      cacheHits: sumMetric(metrics, 'keyferry_fetch_cache_lookups_total', { result: 'hit' }) ?? 0,
      cacheBypass: sumMetric(metrics, 'keyferry_fetch_cache_lookups_total', { result: 'bypass' }) ?? 0,
      batchCalls: sumMetric(metrics, 'keyferry_fetch_batch_size_count') ?? 0,
      secretsInBatches: sumMetric(metrics, 'keyferry_fetch_batch_size_sum') ?? 0,
    },
    kubernetesApiWrites: writes,
    secretWrites: cluster.stats.writes('secrets'),
    statusWrites: cluster.stats.writes('externalsecrets/status'),
    eventWrites: cluster.stats.writes('events'),
    operatorPeakRssMiB: Math.max(peakRssMiB, figures.peakRssMiB ?? 0),
    operatorCpuSeconds: figures.cpuSeconds ?? null,
    cpus: cpus().length,
    loadAverage1mAtStart: Math.round(load * 100) / 100,
    date: new Date().toISOString(),
  };
  console.table({
    'ExternalSecrets / namespaces / distinct': `${COUNT} / ${NAMESPACES} / ${DISTINCT}`,
    'time to all Ready (s)': result.timeToAllReadySeconds,
    'lower bound (s)': bound,
    ratio: result.ratio,
    'provider calls received': calls,
    'throttles received': aws.throttledCalls,
    'provider calls in /metrics': result.providerCallsInOperatorMetrics,
    'Kubernetes API writes': writes,
    'fetch path (from /metrics)': JSON.stringify(result.fetchPath),
    'operator peak RSS (MiB)': result.operatorPeakRssMiB,
    'operator CPU (s)': result.operatorCpuSeconds,
  });
  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  await writeFile(join(root, 'bench', 'results', 'aws-operator.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (result.notReadyAtEnd > 0) process.exitCode = 1;
  await op.stop();
  op = undefined;
} finally {
  await op?.kill();
  await aws.close();
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
