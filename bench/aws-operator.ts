// The operator process over AWS Secrets Manager, scenario by scenario. The dev cluster holds
// N ExternalSecrets (default 10 000) in K namespaces (default 100) over M distinct remote
// secrets (default 2 000, 20 % JSON read by `property`), all of one ClusterSecretStore that
// points at the local AWS wire server. The server enforces a token bucket of R calls/s
// (default 100; ThrottlingException past it), adds a latency to every call (default 20 ms)
// and counts what it receives; the dev cluster counts Kubernetes writes.
//
// Each mode runs the same scenarios in one operator world: `shared` (the fetch path as built)
// and `direct` (`--fetch-mode direct`: merging, caching and batching off, one provider call per
// ExternalSecret per refresh, as operators without a fetch path do). Limiter, retry and
// breaker stay on in both.
//   cold start  everything applied, then the operator starts; until every ExternalSecret is Ready.
//   steady      one full refresh of the same set, nothing changed remotely: the operator is
//               restarted with every refresh due (status.refreshTime rewound by one interval),
//               until every ExternalSecret has been refreshed.
//   rotation    R_ROT remote secrets (default 100) get new values and their ExternalSecrets are
//               annotated with keyferry.io/force-sync; until all of them serve the new version.
//   outage      the provider answers 503 for OUTAGE s (default 60) while refreshes come due, then
//               recovers; Secrets deleted or changed meanwhile, and the time until all are Ready.
// Then two replicas (`--shard-index/--shard-count 2`, shared mode) cold-start the same set at a
// lower R (default 10, so the limiter sets the pace), once with the static division of the
// budget and once sharing it through a real redis-server (when installed).
//
// Lower bound of a scenario: the larger of provider calls needed ÷ R (distinct remote secrets
// involved ÷ 20, AWS batches) and Kubernetes writes needed ÷ client QPS (a Secret and a status
// write per ExternalSecret that changes). Prints a table, writes bench/results/aws-operator.json.
//
//   node --import tsx bench/aws-operator.ts [--count 10000] [--namespaces 100] [--distinct 2000]
//     [--rate 100] [--latency 20] [--qps 1000] [--concurrency 64] [--outage 60] [--rotate 100]
//     [--replica-rate 10] [--modes shared,direct] [--no-replicas] [--sources] [--cold-only]
//     [--node-args "<node flags for the operator>"]
// The operator runs from dist/ when it is built (`make bench` builds it first), else, or with
// --sources, from the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevCluster, type DevCluster, type KubeObject } from '../src/devcluster/dev-cluster.js';
import { applyCrdDirectory } from '../src/cli/dev-command.js';
import { AwsTestServer } from '../test/support/aws/aws-server.js';
import { startOperatorProcess, sumMetric, type OperatorProcess } from '../test/support/operator-process.js';
import { redisServerAvailable, startRedisServer } from '../test/fetch/support/redis-server.js';
import { numberArg, textArg } from './support/command-line.js';
import { printMarkdownTable } from './support/markdown-table.js';
import { cpuSeconds, peakRss } from './support/process-figures.js';

const root = join(import.meta.dirname, '..');
const API = 'keyferry.io/v1alpha1';
const BATCH = 20;
const HOUR_MS = 3_600_000;


const COUNT = numberArg('count', 10_000);
const NAMESPACES = numberArg('namespaces', 100);
const DISTINCT = numberArg('distinct', 2_000);
const RATE = numberArg('rate', 100);
const LATENCY_MS = numberArg('latency', 20);
const QPS = numberArg('qps', 1_000);
const CONCURRENCY = numberArg('concurrency', 64);
const OUTAGE_S = numberArg('outage', 60);
const ROTATED = Math.min(numberArg('rotate', 100), DISTINCT);
const REPLICA_RATE = numberArg('replica-rate', 10);
const MODES = textArg('modes', 'shared,direct').split(',').filter((m) => m === 'shared' || m === 'direct') as Array<'shared' | 'direct'>;
const REPLICAS = !process.argv.includes('--no-replicas');
const COLD_ONLY = process.argv.includes('--cold-only');
const NODE_ARGS = textArg('node-args', '').split(' ').filter(Boolean);
const COMPILED = !process.argv.includes('--sources') && existsSync(join(root, 'dist', 'src', 'cli', 'main.js'));
const accessKeyId = 'AKIAKEYFERRYBENCH002';
const secretAccessKey = 'benchSecretAccessKey/keyferry/0000000002';

const keyOf = (i: number) => `bench/app-${i % DISTINCT}`;
const isJson = (i: number) => i % DISTINCT < DISTINCT / 5;
const valueOf = (i: number, round: number) => (isJson(i) ? JSON.stringify({ user: `u${i}`, password: `p-${i}-${round}` }) : `value-${i}-${round}`);
const round2 = (n: number) => Math.round(n * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  mode: string;
  scenario: string;
  wallSeconds: number | null;
  lowerBoundSeconds: number | null;
  ratio: number | null;
  providerCalls: number;
  throttles: number;
  secretWrites: number;
  statusWrites: number;
  eventWrites: number;
  kubernetesWrites: number;
  note: string;
}

/** CPU seconds and peak RSS (MiB) of a process, 0 where /proc cannot say. */
async function processFigures(pid: number): Promise<{ cpuSeconds: number; peakRssMiB: number }> {
  return { cpuSeconds: (await cpuSeconds(pid)) ?? 0, peakRssMiB: round2(((await peakRss(pid)) ?? 0) / 1048576) };
}

/** A dev cluster and an AWS wire server holding the benchmark's data. */
class World {
  private constructor(readonly cluster: DevCluster, readonly aws: AwsTestServer, readonly dir: string, readonly kubeconfigPath: string) {}

  static async start(rate: number): Promise<World> {
    const cluster = await startDevCluster({ port: 0, watchHistorySize: Math.max(10_000, COUNT * 4) });
    const aws = new AwsTestServer({ users: [{ accessKeyId, secretAccessKey }], throttle: { requestsPerSecond: rate }, latencyMs: LATENCY_MS });
    await aws.start();
    const dir = await mkdtemp(join(tmpdir(), 'keyferry-bench-'));
    const world = new World(cluster, aws, dir, join(dir, 'kubeconfig'));
    for (let i = 0; i < DISTINCT; i++) aws.store.put(keyOf(i), valueOf(i, 0));
    await applyCrdDirectory(cluster, join(root, 'manifests', 'crds'));
    await cluster.writeKubeconfig(world.kubeconfigPath);
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
          rateLimit: { requestsPerSecond: rate, burst: rate, maxConcurrent: 50 },
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
    return world;
  }

  externalSecret(i: number): BenchObject {
    return this.cluster.server.store.get('keyferry.io/externalsecrets', `team-${i % NAMESPACES}`, `es-${i}`)!.obj as BenchObject;
  }

  notReady(): number {
    let n = 0;
    for (let ns = 0; ns < NAMESPACES; ns++) {
      for (const e of this.cluster.server.store.entries('keyferry.io/externalsecrets', `team-${ns}`)) if (!isReady(e.obj as BenchObject)) n++;
    }
    return n;
  }

  /** Managed Secrets by namespace/name → resourceVersion. */
  managedSecrets(): Map<string, string> {
    const out = new Map<string, string>();
    for (let ns = 0; ns < NAMESPACES; ns++) {
      for (const e of this.cluster.server.store.entries('secrets', `team-${ns}`)) {
        const m = (e.obj as BenchObject).metadata;
        if (m.labels?.['keyferry.io/external-secret']) out.set(`${m.namespace}/${m.name}`, String(m.resourceVersion));
      }
    }
    return out;
  }

  counters() {
    const { aws, cluster } = this;
    return {
      at: Date.now(),
      calls: (aws.calls.GetSecretValue ?? 0) + (aws.calls.BatchGetSecretValue ?? 0),
      throttles: aws.throttledCalls,
      secretWrites: cluster.stats.writes('secrets'),
      statusWrites: cluster.stats.writes('externalsecrets/status'),
      eventWrites: cluster.stats.writes('events'),
      writes: cluster.stats.writes(),
    };
  }

  async stop(): Promise<void> {
    await this.aws.close();
    await this.cluster.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The fields of stored objects the benchmark reads. */
interface BenchObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
  status?: { currentSecretName?: string; refreshTime?: string; conditions?: Array<{ type: string; status: string }> };
}

function isReady(o: BenchObject): boolean {
  return (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

type Counters = ReturnType<World['counters']>;

/** Operator processes of one mode, with their peak RSS and CPU summed over restarts. */
class Operators {
  private readonly running: OperatorProcess[] = [];
  peakRssMiB = 0;
  cpuSeconds = 0;
  constructor(private readonly world: World, private readonly args: string[]) {}

  async start(extra: string[] = []): Promise<OperatorProcess> {
    const op = await startOperatorProcess({
      kubeconfigPath: this.world.kubeconfigPath, logLevel: 'info', startTimeoutMs: 120_000,
      // The compiled operator, as the image runs it (tsx's loader thread adds 30-40 MiB), when built.
      env: COMPILED ? { KEYFERRY_COMPILED: '1' } : undefined,
      nodeArgs: NODE_ARGS,
      args: ['--client-qps', String(QPS), '--client-burst', String(2 * QPS), '--concurrency', String(CONCURRENCY), ...this.args, ...extra],
    });
    this.running.push(op);
    return op;
  }

  async sample(): Promise<void> {
    for (const op of this.running) this.peakRssMiB = Math.max(this.peakRssMiB, (await processFigures(op.pid)).peakRssMiB);
  }

  async stopAll(): Promise<void> {
    for (const op of this.running.splice(0)) {
      const f = await processFigures(op.pid);
      this.peakRssMiB = Math.max(this.peakRssMiB, f.peakRssMiB);
      this.cpuSeconds += f.cpuSeconds;
      const code = await op.stop(60_000);
      if (code !== 0) throw new Error(`operator exited with ${code}:\n${op.output().slice(-3000)}`);
    }
  }

  async killAll(): Promise<void> {
    for (const op of this.running.splice(0)) await op.kill();
  }
}

/** Polls `done` every 200 ms (sampling the operators' RSS) until true or the timeout; resolves to the time it became true. */
async function waitFor(done: () => boolean | Promise<boolean>, ops: Operators, timeoutMs: number): Promise<number | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    await ops.sample();
    if (await done()) return Date.now();
    await sleep(200);
  }
  return undefined;
}

function row(mode: string, scenario: string, from: Counters, to: Counters, wallMs: number | undefined, bound: number | null, note: string): Row {
  const wallSeconds = wallMs === undefined ? null : round2(wallMs / 1000);
  return {
    mode, scenario, wallSeconds, lowerBoundSeconds: bound,
    ratio: wallSeconds === null || !bound ? null : round2(wallSeconds / bound),
    providerCalls: to.calls - from.calls, throttles: to.throttles - from.throttles,
    secretWrites: to.secretWrites - from.secretWrites, statusWrites: to.statusWrites - from.statusWrites,
    eventWrites: to.eventWrites - from.eventWrites, kubernetesWrites: to.writes - from.writes, note,
  };
}

const boundFor = (distinctRemote: number, writes: number, rate = RATE, qps = QPS) => round2(Math.max(Math.ceil(distinctRemote / BATCH) / rate, writes / qps));

async function runMode(mode: 'shared' | 'direct'): Promise<{ rows: Row[]; peakRssMiB: number; cpuSeconds: number; fetchPath: Record<string, number | null> }> {
  const world = await World.start(RATE);
  const ops = new Operators(world, ['--fetch-mode', mode]);
  const rows: Row[] = [];
  let fetchPath: Record<string, number | null>;
  const minutes = (n: number) => n * 60_000;
  try {
    // Cold start.
    world.cluster.stats.reset();
    world.aws.resetCounters();
    let from = world.counters();
    let op = await ops.start();
    const readyAt = await waitFor(() => world.notReady() === 0, ops, minutes(15));
    rows.push(row(mode, 'cold start', from, world.counters(), readyAt && readyAt - from.at, boundFor(DISTINCT, 2 * COUNT),
      readyAt ? `${world.notReady()} not Ready` : `${world.notReady()} still not Ready after 15 min`));
    const metrics = await op.metrics();
    const avg = (h: string) => { const c = sumMetric(metrics, `${h}_count`); return c ? round2(((sumMetric(metrics, `${h}_sum`) ?? 0) / c) * 1000) : null; };
    fetchPath = {
      providerCallsInMetrics: sumMetric(metrics, 'externalsecret_provider_api_calls_count') ?? null,
      limiterWaitMsAvg: avg('keyferry_fetch_limiter_wait_seconds'),
      providerRequestMsAvg: avg('keyferry_provider_request_duration_seconds'),
      singleFlightMerged: sumMetric(metrics, 'keyferry_fetch_singleflight_merged_total') ?? 0,
      cacheHits: sumMetric(metrics, 'keyferry_fetch_cache_lookups_total', { result: 'hit' }) ?? 0,
      batchCalls: sumMetric(metrics, 'keyferry_fetch_batch_size_count') ?? 0,
      secretsInBatches: sumMetric(metrics, 'keyferry_fetch_batch_size_sum') ?? 0,
      throttlesInMetrics: sumMetric(metrics, 'keyferry_fetch_throttles_received_total') ?? 0,
      kubeWritesInMetrics: ['create', 'patch', 'delete'].reduce((sum, verb) => sum + (sumMetric(metrics, 'keyferry_kube_requests_total', { verb }) ?? 0), 0),
      peakRssMiBInMetrics: round2((sumMetric(metrics, 'keyferry_process_peak_resident_memory_bytes') ?? 0) / 1048576),
      cpuSecondsInMetrics: round2(sumMetric(metrics, 'process_cpu_seconds_total') ?? 0),
    };
    if (!readyAt || COLD_ONLY) {
      await ops.stopAll();
      return { rows, peakRssMiB: ops.peakRssMiB, cpuSeconds: ops.cpuSeconds, fetchPath };
    }

    // Steady: every refresh due at once after a restart, as after one interval.
    await ops.stopAll();
    const rewound = new Date(Date.now() - HOUR_MS - 1000).toISOString();
    for (let start = 0; start < COUNT; start += 1000) {
      await world.cluster.apply(Array.from({ length: Math.min(1000, COUNT - start) }, (_, j) => {
        const es = structuredClone(world.externalSecret(start + j));
        delete es.metadata.resourceVersion;
        return { ...es, status: { ...es.status, refreshTime: rewound } } as unknown as KubeObject;
      }));
    }
    world.cluster.stats.reset();
    world.aws.resetCounters();
    from = world.counters();
    op = await ops.start();
    const expectedReads = mode === 'shared' ? DISTINCT : COUNT;
    const servedAll = () => (mode === 'shared' ? world.aws.valuesServed.size : [...world.aws.valuesServed.values()].reduce((a, b) => a + b, 0)) >= expectedReads;
    let synced = -1;
    const refreshedAt = await waitFor(async () => {
      if (!servedAll()) return false;
      synced = (await op.metricValue('externalsecret_sync_calls_total')) ?? 0;
      return synced >= COUNT && (await op.metricValue('keyferry_workqueue_depth', { queue: 'externalsecrets' })) === 0;
    }, ops, minutes(10));
    const syncedLine = op.logs().find((l) => l.msg === 'caches synced; starting workers');
    const workersAt = syncedLine ? Date.parse(String(syncedLine.time)) : NaN;
    rows.push(row(mode, 'steady: one full refresh, all due at once', from, world.counters(), refreshedAt && refreshedAt - from.at, boundFor(DISTINCT, 0),
      `${synced} reconciles; ${world.notReady()} not Ready; wall from process start${refreshedAt && workersAt ? `, ${round2((refreshedAt - workersAt) / 1000)} s after caches synced` : ''}`));

    // Rotation: new values for ROTATED remote secrets, force-sync on their readers.
    const readers = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % DISTINCT < ROTATED);
    const before = new Map(readers.map((i) => [i, world.externalSecret(i).status?.currentSecretName]));
    for (let k = 0; k < ROTATED; k++) world.aws.store.put(keyOf(k), valueOf(k, 1));
    from = world.counters();
    for (let start = 0; start < readers.length; start += 500) {
      await world.cluster.apply(readers.slice(start, start + 500).map((i) => {
        const es = structuredClone(world.externalSecret(i));
        delete es.metadata.resourceVersion;
        delete es.status;
        es.metadata.annotations = { ...es.metadata.annotations, 'keyferry.io/force-sync': 'rotation-1' };
        return es as unknown as KubeObject;
      }));
    }
    const rotatedAt = await waitFor(() => readers.every((i) => {
      const es = world.externalSecret(i);
      return isReady(es) && es.status?.currentSecretName !== before.get(i);
    }), ops, minutes(5));
    rows.push(row(mode, `rotation: ${ROTATED} secrets, ${readers.length} force-synced`, from, world.counters(), rotatedAt && rotatedAt - from.at, boundFor(ROTATED, 2 * readers.length),
      `${readers.filter((i) => world.externalSecret(i).status?.currentSecretName !== before.get(i)).length}/${readers.length} on the new version`));

    // Outage: 503s for OUTAGE_S while refreshes come due (their slots), then recovery.
    const secretsBefore = world.managedSecrets();
    from = world.counters();
    world.aws.unavailable = true;
    let maxNotReady = 0;
    await waitFor(() => {
      maxNotReady = Math.max(maxNotReady, world.notReady());
      return false;
    }, ops, OUTAGE_S * 1000);
    world.aws.unavailable = false;
    const recoveredAt = Date.now();
    const backAt = await waitFor(() => world.notReady() === 0, ops, minutes(10));
    const secretsAfter = world.managedSecrets();
    const deleted = [...secretsBefore.keys()].filter((k) => !secretsAfter.has(k)).length;
    const changed = [...secretsBefore].filter(([k, rv]) => secretsAfter.has(k) && secretsAfter.get(k) !== rv).length;
    rows.push(row(mode, `outage: ${OUTAGE_S} s of 503s, then recovery`, from, world.counters(), backAt && backAt - recoveredAt, null,
      `${maxNotReady} went Stale; all Ready ${backAt ? round2((backAt - recoveredAt) / 1000) : '>600'} s after recovery; Secrets deleted ${deleted}, changed ${changed}, created ${secretsAfter.size - (secretsBefore.size - deleted)}`));
    await ops.stopAll();
    return { rows, peakRssMiB: ops.peakRssMiB, cpuSeconds: ops.cpuSeconds, fetchPath };
  } finally {
    await ops.killAll();
    await world.stop();
  }
}

/** Two shards cold-starting the set against one endpoint at REPLICA_RATE. */
async function runReplicas(label: string, extra: string[]): Promise<Row & { peakCallsPerSecond: number; meanCallsPerSecond: number; peakRssMiB: number }> {
  const world = await World.start(REPLICA_RATE);
  const ops = new Operators(world, ['--fetch-mode', 'shared', ...extra]);
  try {
    world.cluster.stats.reset();
    world.aws.resetCounters();
    const from = world.counters();
    await Promise.all([0, 1].map((i) => ops.start(['--shard-index', String(i), '--shard-count', '2'])));
    const readyAt = await waitFor(() => world.notReady() === 0, ops, 15 * 60_000);
    const to = world.counters();
    const times = world.aws.callTimes;
    const span = times.length > 1 ? (times.at(-1)! - times[0]!) / 1000 : 0;
    const peak = world.aws.peakCalls(from.at);
    const mean = span > 0 ? round2(times.length / span) : times.length;
    await ops.stopAll();
    const r = row('2 replicas', `cold start, ${label}`, from, to, readyAt && readyAt - from.at, boundFor(DISTINCT, 2 * COUNT, REPLICA_RATE, 2 * QPS),
      `R = ${REPLICA_RATE}/s: peak ${peak} calls in a 1 s window (bucket burst ${REPLICA_RATE}), mean ${mean}/s; ${world.notReady()} not Ready`);
    return { ...r, peakCallsPerSecond: peak, meanCallsPerSecond: mean, peakRssMiB: ops.peakRssMiB };
  } finally {
    await ops.killAll();
    await world.stop();
  }
}

function printTable(rows: Row[]): void {
  printMarkdownTable(['mode', 'scenario', 'wall s', 'bound s', 'ratio', 'calls', 'throttles', 'K8s writes (Secret/status/Event)', 'note'],
    rows.map((r) => [r.mode, r.scenario, r.wallSeconds, r.lowerBoundSeconds ?? '-', r.ratio ?? '-', r.providerCalls, r.throttles,
      `${r.kubernetesWrites} (${r.secretWrites}/${r.statusWrites}/${r.eventWrites})`, r.note]));
}

const started = Date.now();
const load = loadavg()[0]!;
const modes: Record<string, Awaited<ReturnType<typeof runMode>>> = {};
for (const mode of MODES) modes[mode] = await runMode(mode);
const replicas: Array<Awaited<ReturnType<typeof runReplicas>>> = [];
if (REPLICAS) {
  replicas.push(await runReplicas('static division (each R/2)', []));
  if (redisServerAvailable()) {
    const redis = await startRedisServer();
    try {
      replicas.push(await runReplicas('one budget in redis-server', ['--redis-url', redis.url]));
    } finally {
      await redis.stop();
    }
  } else {
    console.error('redis-server not installed: skipping the Redis-shared replica scenario');
  }
}
const rows = [...Object.values(modes).flatMap((m) => m.rows), ...replicas];
printTable(rows);
for (const [mode, m] of Object.entries(modes)) {
  console.log(`${mode}: operator peak RSS ${m.peakRssMiB} MiB, ${round2(m.cpuSeconds)} CPU s; fetch path at cold start (from /metrics): ${JSON.stringify(m.fetchPath)}`);
}
const comparison = modes.shared && modes.direct ? modes.shared.rows.map((r, i) => {
  const d = modes.direct!.rows[i];
  return d && {
    scenario: r.scenario,
    callsRatio: r.providerCalls ? round2(d.providerCalls / r.providerCalls) : null,
    wallRatio: r.wallSeconds && d.wallSeconds ? round2(d.wallSeconds / r.wallSeconds) : null,
  };
}).filter(Boolean) : [];
if (comparison.length) {
  console.log('\ndirect ÷ shared (provider calls, wall time):');
  for (const c of comparison) console.log(`  ${c!.scenario}: ${c!.callsRatio}× calls, ${c!.wallRatio}× wall time`);
}
const result = {
  operatorBuild: COMPILED ? 'compiled (dist/)' : 'sources through tsx',
  parameters: { count: COUNT, namespaces: NAMESPACES, distinct: DISTINCT, rate: RATE, latencyMs: LATENCY_MS, clientQps: QPS, concurrency: CONCURRENCY, outageSeconds: OUTAGE_S, rotated: ROTATED, replicaRate: REPLICA_RATE },
  rows,
  operators: Object.fromEntries(Object.entries(modes).map(([k, m]) => [k, { peakRssMiB: m.peakRssMiB, cpuSeconds: round2(m.cpuSeconds), fetchPathAtColdStart: m.fetchPath }])),
  replicas: replicas.map((r) => ({ scenario: r.scenario, peakCallsPerSecond: r.peakCallsPerSecond, meanCallsPerSecond: r.meanCallsPerSecond, peakRssMiB: r.peakRssMiB })),
  comparison,
  machine: { cpus: cpus().length, loadAverage1mAtStart: round2(load) },
  totalSeconds: Math.round((Date.now() - started) / 1000),
  date: new Date().toISOString(),
};
await mkdir(join(root, 'bench', 'results'), { recursive: true });
await writeFile(join(root, 'bench', 'results', 'aws-operator.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`\n${result.totalSeconds} s in all; bench/results/aws-operator.json written`);
if (rows.some((r) => r.wallSeconds === null)) process.exitCode = 1;
