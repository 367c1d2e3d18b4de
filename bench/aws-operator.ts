// The operator process over AWS Secrets Manager, scenario by scenario. The cluster holds N
// ExternalSecrets (default 10 000) in K namespaces (default 100) over M distinct remote secrets
// (default 2 000, 20 % JSON read by `property`), all of one ClusterSecretStore that points at
// the local AWS wire server. The server enforces a token bucket of R calls/s (default 100;
// ThrottlingException past it), adds a latency to every call (default 20 ms) and counts what it
// receives; the cluster counts Kubernetes writes.
//
// `--cluster dev` (default): the embedded dev cluster, in this process; writes are its request
// stats. `--cluster real`: a real control plane (test/support/control-plane: etcd,
// kube-apiserver, kube-controller-manager on 127.0.0.1); the benchmark creates objects over
// HTTPS, follows them with watches, and counts writes from the API server's
// apiserver_request_total less its own; the operator runs as its ServiceAccount, bound to
// exactly manifests/rbac/. Real objects carry managedFields, so they are bigger.
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
// `--unrelated-secrets N` adds N Secrets the operator has no business with (none labelled, none
// referenced by a store), each with one key of `--unrelated-size` bytes (default 10 240,
// pseudo-random, so each value is distinct), in `--unrelated-namespaces` namespaces (default 100,
// `other-<n>`) that hold no ExternalSecret. They are created before the ExternalSecrets, so before
// the operator starts; what they cost the operator is the difference in its RSS and heap against
// a run without them.
//
// Lower bound of a scenario: the larger of provider calls needed ÷ R (distinct remote secrets
// involved ÷ 20, AWS batches) and Kubernetes writes needed ÷ client QPS (a Secret and a status
// write per ExternalSecret that changes). Prints a table, writes
// bench/results/aws-operator.json (dev) or aws-operator-real.json (real).
//
//   node --import tsx bench/aws-operator.ts [--cluster dev|real] [--count 10000] [--namespaces 100]
//     [--distinct 2000] [--rate 100] [--latency 20] [--qps 1000] [--concurrency 64] [--outage 60]
//     [--rotate 100] [--replica-rate 10] [--modes shared,direct] [--no-replicas] [--sources]
//     [--cold-only] [--create-concurrency 32] [--node-args "<node flags for the operator>"]
//     [--heap-snapshot <dir>] [--unrelated-secrets 0] [--unrelated-size 10240] [--unrelated-namespaces 100]
//     [--steady-settle 10] [--steady-samples 5]
// After each cold start it reads from the operator's /metrics the V8 heap in use after the last
// full collection (forced at that scrape when `--node-args --expose-gc` is given, else the last
// one V8 chose), the heap in use, external memory and RSS then, and the event-loop delay p99 and
// maximum over the wave. Steady memory: once every ExternalSecret is Ready the benchmark waits
// `--steady-settle` seconds (default 10: the Event backlog and the last status writes drain, the
// wave's garbage becomes collectable), then scrapes /metrics `--steady-samples` times (default 5)
// 2 s apart; steady RSS is the median of process_resident_memory_bytes over those scrapes and
// steady heap after GC the median of keyferry_heap_used_after_gc_bytes (each scrape forces a
// full collection under `--expose-gc`, so both are then what the operator keeps, not what the
// wave left uncollected; without it the heap figure is the last collection V8 chose).
// `--heap-snapshot <dir>` starts the operator with
// `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>` and has it write a heap snapshot there
// once every ExternalSecret is Ready (`node --import tsx bench/heap-breakdown.ts <file>` reads it).
// The operator runs from dist/ when it is built (`make bench` builds it first), else, or with
// --sources, from the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { AwsTestServer } from '../test/support/aws/aws-server.js';
import { startOperatorProcess, sumMetric, type OperatorProcess } from '../test/support/operator-process.js';
import { redisServerAvailable, startRedisServer } from '../test/fetch/support/redis-server.js';
import type { BenchCluster, BenchObject, ClusterKind, NewObject } from './support/bench-cluster.js';
import { numberArg, textArg } from './support/command-line.js';
import { DevBenchCluster } from './support/dev-bench-cluster.js';
import { printMarkdownTable } from './support/markdown-table.js';
import { cpuSeconds, peakRss } from './support/process-figures.js';
import { RealBenchCluster } from './support/real-bench-cluster.js';
import { seededRandom } from './support/seeded-random.js';

const root = join(import.meta.dirname, '..');
const API = 'keyferry.io/v1alpha1';
const BATCH = 20;
const HOUR_MS = 3_600_000;


const CLUSTER = textArg('cluster', 'dev') as ClusterKind;
if (CLUSTER !== 'dev' && CLUSTER !== 'real') throw new Error(`--cluster ${String(CLUSTER)}: dev or real`);
const COUNT = numberArg('count', 10_000);
const NAMESPACES = numberArg('namespaces', 100);
const DISTINCT = numberArg('distinct', 2_000);
const RATE = numberArg('rate', 100);
const LATENCY_MS = numberArg('latency', 20);
const QPS = numberArg('qps', 1_000);
const CONCURRENCY = numberArg('concurrency', 64);
const CREATE_CONCURRENCY = numberArg('create-concurrency', 32);
const OUTAGE_S = numberArg('outage', 60);
const ROTATED = Math.min(numberArg('rotate', 100), DISTINCT);
const REPLICA_RATE = numberArg('replica-rate', 10);
const MODES = textArg('modes', 'shared,direct').split(',').filter((m) => m === 'shared' || m === 'direct') as Array<'shared' | 'direct'>;
const REPLICAS = !process.argv.includes('--no-replicas');
const COLD_ONLY = process.argv.includes('--cold-only');
const HEAP_SNAPSHOT_DIR = textArg('heap-snapshot', '');
const NODE_ARGS = [
  ...textArg('node-args', '').split(' ').filter(Boolean),
  ...(HEAP_SNAPSHOT_DIR ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${HEAP_SNAPSHOT_DIR}`] : []),
];
const UNRELATED = numberArg('unrelated-secrets', 0);
const UNRELATED_SIZE = numberArg('unrelated-size', 10_240);
const UNRELATED_NAMESPACES = Math.max(1, Math.min(numberArg('unrelated-namespaces', 100), UNRELATED));
const STEADY_SETTLE_S = numberArg('steady-settle', 10);
const STEADY_SAMPLES = Math.max(1, numberArg('steady-samples', 5));
const COMPILED = !process.argv.includes('--sources') && existsSync(join(root, 'dist', 'src', 'cli', 'main.js'));
const accessKeyId = 'AKIAKEYFERRYBENCH002';
const secretAccessKey = 'benchSecretAccessKey/keyferry/0000000002';

const keyOf = (i: number) => `bench/app-${i % DISTINCT}`;
const isJson = (i: number) => i % DISTINCT < DISTINCT / 5;
const valueOf = (i: number, round: number) => (isJson(i) ? JSON.stringify({ user: `u${i}`, password: `p-${i}-${round}` }) : `value-${i}-${round}`);
const namespaceOf = (i: number) => `team-${i % NAMESPACES}`;
const round2 = (n: number) => Math.round(n * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (line: string) => console.error(`  [${CLUSTER}] ${line}`);

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
  /** Real cluster: the writes the audit log attributes to the operator's ServiceAccount. */
  operatorAccountWrites: number | null;
  /** Every writer but the benchmark, by resource (and subresource). */
  writesByResource: Record<string, number>;
  /** Real cluster: requests the API server answered 429 Too Many Requests. */
  tooManyRequests: number | null;
  /** Peak RSS (MiB) of the operator processes running at the end of the scenario, over their life so far. */
  operatorPeakRssMiB: number;
  note: string;
}

/** CPU seconds and peak RSS (MiB) of a process, 0 where /proc cannot say. */
async function processFigures(pid: number): Promise<{ cpuSeconds: number; peakRssMiB: number }> {
  return { cpuSeconds: (await cpuSeconds(pid)) ?? 0, peakRssMiB: round2(((await peakRss(pid)) ?? 0) / 1048576) };
}

/** A cluster and an AWS wire server holding the benchmark's data. */
class World {
  private constructor(readonly cluster: BenchCluster, readonly aws: AwsTestServer) {}

  static async start(rate: number): Promise<World> {
    const started = Date.now();
    const cluster = CLUSTER === 'real'
      ? await RealBenchCluster.start({ concurrency: CREATE_CONCURRENCY, log: progress })
      : await DevBenchCluster.start({ watchHistorySize: Math.max(10_000, COUNT * 4) + UNRELATED, crdDir: join(root, 'manifests', 'crds') });
    const aws = new AwsTestServer({ users: [{ accessKeyId, secretAccessKey }], throttle: { requestsPerSecond: rate }, latencyMs: LATENCY_MS });
    try {
      await aws.start();
      for (let i = 0; i < DISTINCT; i++) aws.store.put(keyOf(i), valueOf(i, 0));
      const ref = (key: string) => ({ name: 'aws-creds', namespace: 'keyferry-system', key });
      await cluster.create(Array.from({ length: NAMESPACES }, (_, n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${n}` } })));
      if (UNRELATED > 0) await createUnrelatedSecrets(cluster);
      await cluster.create([
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
      const creating = Date.now();
      await cluster.create(Array.from({ length: COUNT }, (_, i): NewObject => ({
        apiVersion: API, kind: 'ExternalSecret', metadata: { name: `es-${i}`, namespace: namespaceOf(i) },
        spec: {
          secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws' }, refreshInterval: '1h',
          data: [{ secretKey: 'value', remoteRef: isJson(i) ? { key: keyOf(i), property: 'password' } : { key: keyOf(i) } }],
        },
      })));
      const created = Date.now();
      await cluster.settled();
      // Only the benchmark creates Namespaces and ExternalSecrets: any counted as someone else's
      // mean its own writes are not being taken out of the cluster's counts.
      const others = (await cluster.writes()).byResource;
      if (others.namespaces || others.externalsecrets) throw new Error(`the benchmark's own writes were counted as others': ${JSON.stringify(others)}`);
      progress(`${cluster.description}: ${COUNT} ExternalSecrets created in ${round2((created - creating) / 1000)} s, world ready in ${round2((Date.now() - started) / 1000)} s`);
      return new World(cluster, aws);
    } catch (e) {
      await aws.close();
      await cluster.stop();
      throw e;
    }
  }

  externalSecret(i: number): BenchObject | undefined {
    return this.cluster.externalSecret(namespaceOf(i), `es-${i}`);
  }

  /** ExternalSecrets not Ready, those the cluster does not show yet included. */
  notReady(): number {
    let n = 0;
    for (let i = 0; i < COUNT; i++) {
      const es = this.externalSecret(i);
      if (!es || !isReady(es)) n++;
    }
    return n;
  }

  /** Managed Secrets by namespace/name → resourceVersion. */
  managedSecrets(): Map<string, string> {
    const out = new Map<string, string>();
    for (const s of this.cluster.managedSecrets()) out.set(`${s.metadata.namespace}/${s.metadata.name}`, String(s.metadata.resourceVersion));
    return out;
  }

  /** Serialized size of one ExternalSecret and one managed Secret as the cluster stores them, and their managedFields entries. */
  objectSizes(): Record<string, number> {
    const es = this.externalSecret(0);
    const secret = [...this.cluster.managedSecrets()][0];
    return {
      externalSecretBytes: es ? JSON.stringify(es).length : 0,
      externalSecretManagedFields: es?.metadata.managedFields?.length ?? 0,
      managedSecretBytes: secret ? JSON.stringify(secret).length : 0,
      managedSecretManagedFields: secret?.metadata.managedFields?.length ?? 0,
    };
  }

  async counters() {
    const writes = await this.cluster.writes();
    const { aws } = this;
    return {
      at: Date.now(),
      calls: (aws.calls.GetSecretValue ?? 0) + (aws.calls.BatchGetSecretValue ?? 0),
      throttles: aws.throttledCalls,
      secretWrites: writes.byResource.secrets ?? 0,
      statusWrites: writes.byResource['externalsecrets/status'] ?? 0,
      eventWrites: writes.byResource.events ?? 0,
      writes: writes.total,
      byResource: writes.byResource,
      operatorAccountWrites: writes.byOperatorAccount,
      tooManyRequests: writes.tooManyRequests,
    };
  }

  async stop(): Promise<void> {
    await this.aws.close();
    await this.cluster.stop();
  }
}

/** UNRELATED Secrets of UNRELATED_SIZE bytes in namespaces without ExternalSecrets, 1 000 objects at a time. */
async function createUnrelatedSecrets(cluster: BenchCluster): Promise<void> {
  const started = Date.now();
  await cluster.create(Array.from({ length: UNRELATED_NAMESPACES }, (_, n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `other-${n}` } })));
  const random = seededRandom(15);
  const base = Buffer.from(Array.from({ length: UNRELATED_SIZE }, () => Math.floor(random() * 256)));
  for (let start = 0; start < UNRELATED; start += 1000) {
    await cluster.create(Array.from({ length: Math.min(1000, UNRELATED - start) }, (_, k): NewObject => {
      const j = start + k;
      const value = Buffer.from(base);
      // The index in the first bytes: every value differs, so nothing can share one.
      value.write(`${j}:`.slice(0, UNRELATED_SIZE), 0, 'latin1');
      return {
        apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
        metadata: { name: `unrelated-${j}`, namespace: `other-${j % UNRELATED_NAMESPACES}` },
        data: { blob: value.toString('base64') },
      };
    }));
  }
  progress(`${UNRELATED} unrelated Secrets of ${UNRELATED_SIZE} B in ${UNRELATED_NAMESPACES} namespaces created in ${round2((Date.now() - started) / 1000)} s`);
}

function isReady(o: BenchObject): boolean {
  return (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

type Counters = Awaited<ReturnType<World['counters']>>;

/** Operator processes of one mode, with their peak RSS and CPU summed over restarts. */
class Operators {
  private readonly running: OperatorProcess[] = [];
  peakRssMiB = 0;
  cpuSeconds = 0;
  constructor(private readonly world: World, private readonly args: string[]) {}

  async start(extra: string[] = []): Promise<OperatorProcess> {
    const op = await startOperatorProcess({
      kubeconfigPath: this.world.cluster.operator.kubeconfigPath, logLevel: 'info', startTimeoutMs: 120_000,
      // The compiled operator, as the image runs it (tsx's loader thread adds 30-40 MiB), when built.
      env: { ...this.world.cluster.operator.env, ...(COMPILED ? { KEYFERRY_COMPILED: '1' } : {}) },
      nodeArgs: NODE_ARGS,
      args: ['--client-qps', String(QPS), '--client-burst', String(2 * QPS), '--concurrency', String(CONCURRENCY), ...this.args, ...extra],
    });
    this.running.push(op);
    return op;
  }

  async sample(): Promise<void> {
    this.peakRssMiB = Math.max(this.peakRssMiB, await this.runningPeakRss());
  }

  /** The largest peak RSS (MiB) among the processes running now. */
  async runningPeakRss(): Promise<number> {
    let peak = 0;
    for (const op of this.running) peak = Math.max(peak, (await processFigures(op.pid)).peakRssMiB);
    return peak;
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

function row(mode: string, scenario: string, from: Counters, to: Counters, wallMs: number | undefined, bound: number | null, note: string, operatorPeakRssMiB: number): Row {
  const wallSeconds = wallMs === undefined ? null : round2(wallMs / 1000);
  progress(`${mode}, ${scenario}: ${wallSeconds ?? '-'} s (bound ${bound ?? '-'} s), ${to.calls - from.calls} provider calls, ${to.writes - from.writes} writes; ${note}`);
  return {
    mode, scenario, wallSeconds, lowerBoundSeconds: bound,
    ratio: wallSeconds === null || !bound ? null : round2(wallSeconds / bound),
    providerCalls: to.calls - from.calls, throttles: to.throttles - from.throttles,
    secretWrites: to.secretWrites - from.secretWrites, statusWrites: to.statusWrites - from.statusWrites,
    eventWrites: to.eventWrites - from.eventWrites, kubernetesWrites: to.writes - from.writes,
    operatorAccountWrites: to.operatorAccountWrites === undefined || from.operatorAccountWrites === undefined ? null : to.operatorAccountWrites - from.operatorAccountWrites,
    writesByResource: Object.fromEntries(Object.entries(to.byResource).map(([k, n]) => [k, n - (from.byResource[k] ?? 0)]).filter(([, n]) => n !== 0)),
    tooManyRequests: to.tooManyRequests === undefined || from.tooManyRequests === undefined ? null : to.tooManyRequests - from.tooManyRequests,
    operatorPeakRssMiB,
    note,
  };
}

const boundFor = (distinctRemote: number, writes: number, rate = RATE, qps = QPS) => round2(Math.max(Math.ceil(distinctRemote / BATCH) / rate, writes / qps));

interface ModeResult {
  rows: Row[];
  peakRssMiB: number;
  cpuSeconds: number;
  fetchPath: Record<string, number | null>;
  objectSizes: Record<string, number>;
  server?: Record<string, { cpuSeconds: number; peakRssMiB: number }>;
  /** Memory once the cold start has settled (null when it did not finish). */
  steady: SteadyMemory | null;
}

interface SteadyMemory {
  rssMiB: number | null;
  heapAfterGcMiB: number | null;
  rssSamplesMiB: Array<number | null>;
  heapAfterGcSamplesMiB: Array<number | null>;
  secondsAfterReady: number;
}

function median(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (!known.length) return null;
  const mid = known.length >> 1;
  return known.length % 2 ? known[mid]! : round2((known[mid - 1]! + known[mid]!) / 2);
}

/** STEADY_SETTLE_S after `readyAt`, STEADY_SAMPLES scrapes of /metrics 2 s apart: the medians of RSS and heap after GC. */
async function steadyMemory(op: OperatorProcess, ops: Operators, readyAt: number): Promise<SteadyMemory> {
  await waitFor(() => Date.now() >= readyAt + STEADY_SETTLE_S * 1000, ops, STEADY_SETTLE_S * 1000 + 1000);
  const rssSamplesMiB: Array<number | null> = [];
  const heapAfterGcSamplesMiB: Array<number | null> = [];
  for (let i = 0; i < STEADY_SAMPLES; i++) {
    if (i > 0) await sleep(2000);
    const text = await op.metrics();
    rssSamplesMiB.push(mib(sumMetric(text, 'process_resident_memory_bytes')));
    heapAfterGcSamplesMiB.push(mib(sumMetric(text, 'keyferry_heap_used_after_gc_bytes')));
  }
  await ops.sample();
  return {
    rssMiB: median(rssSamplesMiB), heapAfterGcMiB: median(heapAfterGcSamplesMiB), rssSamplesMiB, heapAfterGcSamplesMiB,
    secondsAfterReady: round2((Date.now() - readyAt) / 1000),
  };
}

const mib = (bytes: number | undefined) => (bytes === undefined ? null : round2(bytes / 1048576));
const ms = (seconds: number | undefined) => (seconds === undefined ? null : round2(seconds * 1000));

/** Resident anonymous memory (heap, malloc, buffers) and file-backed memory (mapped code), MiB. */
async function rssParts(pid: number): Promise<{ anon: number | null; file: number | null }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (field: string) => { const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status); return m ? round2(Number(m[1]) / 1024) : null; };
  return { anon: kb('RssAnon'), file: kb('RssFile') };
}

/** Has the operator write a heap snapshot into HEAP_SNAPSHOT_DIR; resolves to its path once written. */
async function heapSnapshot(pid: number): Promise<string> {
  const before = new Set(await readdir(HEAP_SNAPSHOT_DIR));
  process.kill(pid, 'SIGUSR2');
  let last = -1;
  for (const until = Date.now() + 300_000; Date.now() < until; await sleep(1000)) {
    const file = (await readdir(HEAP_SNAPSHOT_DIR)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    // Node writes the file in pieces: done when its size stops changing.
    const size = (await stat(join(HEAP_SNAPSHOT_DIR, file))).size;
    if (size > 0 && size === last) return join(HEAP_SNAPSHOT_DIR, file);
    last = size;
  }
  throw new Error('no heap snapshot within 300 s');
}

async function runMode(mode: 'shared' | 'direct'): Promise<ModeResult> {
  const world = await World.start(RATE);
  const ops = new Operators(world, ['--fetch-mode', mode]);
  const rows: Row[] = [];
  let fetchPath: Record<string, number | null>;
  const minutes = (n: number) => n * 60_000;
  try {
    // Cold start.
    world.aws.resetCounters();
    let from = await world.counters();
    let op = await ops.start();
    const readyAt = await waitFor(() => world.notReady() === 0, ops, minutes(15));
    rows.push(row(mode, 'cold start', from, await world.counters(), readyAt && readyAt - from.at, boundFor(DISTINCT, 2 * COUNT),
      readyAt ? `${world.notReady()} not Ready` : `${world.notReady()} still not Ready after 15 min`, await ops.runningPeakRss()));
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
      heapAfterGcMiB: mib(sumMetric(metrics, 'keyferry_heap_used_after_gc_bytes')),
      heapUsedMiB: mib(sumMetric(metrics, 'nodejs_heap_size_used_bytes')),
      externalMemoryMiB: mib(sumMetric(metrics, 'nodejs_external_memory_bytes')),
      rssMiB: mib(sumMetric(metrics, 'process_resident_memory_bytes')),
      eventLoopP99Ms: ms(sumMetric(metrics, 'keyferry_event_loop_delay_seconds', { quantile: '0.99' })),
      eventLoopMaxMs: ms(sumMetric(metrics, 'keyferry_event_loop_delay_seconds', { quantile: '1' })),
    };
    const rss = await rssParts(op.pid);
    fetchPath.rssAnonMiB = rss.anon;
    fetchPath.rssFileMiB = rss.file;
    progress(`${mode}, cold start: RSS now ${rss.anon} MiB anonymous + ${rss.file} MiB file-backed (code of node and its libraries); heap after GC ${fetchPath.heapAfterGcMiB} MiB, heap used ${fetchPath.heapUsedMiB} MiB, external ${fetchPath.externalMemoryMiB} MiB, RSS now ${fetchPath.rssMiB} MiB (peak ${fetchPath.peakRssMiBInMetrics}), event-loop p99 ${fetchPath.eventLoopP99Ms} ms, max ${fetchPath.eventLoopMaxMs} ms`);
    const steady = readyAt ? await steadyMemory(op, ops, readyAt) : null;
    if (steady) progress(`${mode}, steady ${steady.secondsAfterReady} s after all Ready: RSS ${steady.rssMiB} MiB, heap after GC ${steady.heapAfterGcMiB} MiB (medians of ${STEADY_SAMPLES} scrapes: RSS ${steady.rssSamplesMiB.join(', ')}; heap ${steady.heapAfterGcSamplesMiB.join(', ')})`);
    // Writing a snapshot takes memory of its own: the peak is the one before it.
    const peakBeforeSnapshot = ops.peakRssMiB;
    if (HEAP_SNAPSHOT_DIR) progress(`heap snapshot: ${await heapSnapshot(op.pid)}`);
    const objectSizes = world.objectSizes();
    const finish = async (): Promise<ModeResult> => {
      await ops.stopAll();
      return { rows, peakRssMiB: HEAP_SNAPSHOT_DIR && COLD_ONLY ? peakBeforeSnapshot : ops.peakRssMiB, cpuSeconds: ops.cpuSeconds, fetchPath, objectSizes, server: await world.cluster.serverFigures(), steady };
    };
    if (!readyAt || COLD_ONLY) return await finish();

    // Steady: every refresh due at once after a restart, as after one interval.
    await ops.stopAll();
    const rewound = new Date(Date.now() - HOUR_MS - 1000).toISOString();
    await world.cluster.patchExternalSecrets(Array.from({ length: COUNT }, (_, i) => ({ namespace: namespaceOf(i), name: `es-${i}`, status: { refreshTime: rewound } })));
    world.aws.resetCounters();
    from = await world.counters();
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
    rows.push(row(mode, 'steady: one full refresh, all due at once', from, await world.counters(), refreshedAt && refreshedAt - from.at, boundFor(DISTINCT, 0),
      `${synced} reconciles; ${world.notReady()} not Ready; wall from process start${refreshedAt && workersAt ? `, ${round2((refreshedAt - workersAt) / 1000)} s after caches synced` : ''}`, await ops.runningPeakRss()));

    // Rotation: new values for ROTATED remote secrets, force-sync on their readers.
    const readers = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % DISTINCT < ROTATED);
    const before = new Map(readers.map((i) => [i, world.externalSecret(i)?.status?.currentSecretName]));
    for (let k = 0; k < ROTATED; k++) world.aws.store.put(keyOf(k), valueOf(k, 1));
    from = await world.counters();
    await world.cluster.patchExternalSecrets(readers.map((i) => ({ namespace: namespaceOf(i), name: `es-${i}`, annotations: { 'keyferry.io/force-sync': 'rotation-1' } })));
    const rotated = (i: number) => {
      const es = world.externalSecret(i);
      return !!es && isReady(es) && es.status?.currentSecretName !== before.get(i);
    };
    const rotatedAt = await waitFor(() => readers.every(rotated), ops, minutes(5));
    rows.push(row(mode, `rotation: ${ROTATED} secrets, ${readers.length} force-synced`, from, await world.counters(), rotatedAt && rotatedAt - from.at, boundFor(ROTATED, 2 * readers.length),
      `${readers.filter(rotated).length}/${readers.length} on the new version`, await ops.runningPeakRss()));

    // Outage: 503s for OUTAGE_S while refreshes come due (their slots), then recovery.
    const secretsBefore = world.managedSecrets();
    from = await world.counters();
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
    rows.push(row(mode, `outage: ${OUTAGE_S} s of 503s, then recovery`, from, await world.counters(), backAt && backAt - recoveredAt, null,
      `${maxNotReady} went Stale; all Ready ${backAt ? round2((backAt - recoveredAt) / 1000) : '>600'} s after recovery; Secrets deleted ${deleted}, changed ${changed}, created ${secretsAfter.size - (secretsBefore.size - deleted)} (of ${secretsBefore.size} before)`, await ops.runningPeakRss()));
    return await finish();
  } finally {
    await ops.killAll();
    await world.stop();
  }
}

interface ReplicaMemory {
  peakRssMiB: number;
  steadyRssMiB: number | null;
  heapAfterGcMiB: number | null;
}

/** Two shards cold-starting the set against one endpoint at REPLICA_RATE. */
async function runReplicas(label: string, extra: string[]): Promise<Row & { peakCallsPerSecond: number; meanCallsPerSecond: number; peakRssMiB: number; perReplica: ReplicaMemory[] }> {
  const world = await World.start(REPLICA_RATE);
  const ops = new Operators(world, ['--fetch-mode', 'shared', ...extra]);
  try {
    world.aws.resetCounters();
    const from = await world.counters();
    const replicas = await Promise.all([0, 1].map((i) => ops.start(['--shard-index', String(i), '--shard-count', '2'])));
    const readyAt = await waitFor(() => world.notReady() === 0, ops, 15 * 60_000);
    const to = await world.counters();
    // Each replica's own figures: how the memory splits between shards.
    const perReplica: ReplicaMemory[] = [];
    for (const op of replicas) {
      const steady = readyAt ? await steadyMemory(op, ops, readyAt) : null;
      perReplica.push({ peakRssMiB: (await processFigures(op.pid)).peakRssMiB, steadyRssMiB: steady?.rssMiB ?? null, heapAfterGcMiB: steady?.heapAfterGcMiB ?? null });
    }
    progress(`2 replicas, ${label}: ${perReplica.map((r, i) => `shard ${i}: peak RSS ${r.peakRssMiB} MiB, steady RSS ${r.steadyRssMiB} MiB, heap after GC ${r.heapAfterGcMiB} MiB`).join('; ')}`);
    const times = world.aws.callTimes;
    const span = times.length > 1 ? (times.at(-1)! - times[0]!) / 1000 : 0;
    const peak = world.aws.peakCalls(from.at);
    const mean = span > 0 ? round2(times.length / span) : times.length;
    await ops.stopAll();
    const r = row('2 replicas', `cold start, ${label}`, from, to, readyAt && readyAt - from.at, boundFor(DISTINCT, 2 * COUNT, REPLICA_RATE, 2 * QPS),
      `R = ${REPLICA_RATE}/s: peak ${peak} calls in a 1 s window (bucket burst ${REPLICA_RATE}), mean ${mean}/s; ${world.notReady()} not Ready`, ops.peakRssMiB);
    return { ...r, peakCallsPerSecond: peak, meanCallsPerSecond: mean, peakRssMiB: ops.peakRssMiB, perReplica };
  } finally {
    await ops.killAll();
    await world.stop();
  }
}

function printTable(rows: Row[]): void {
  printMarkdownTable(['mode', 'scenario', 'wall s', 'bound s', 'ratio', 'calls', 'throttles', 'K8s writes (Secret/status/Event)', 'operator peak RSS MiB', 'note'],
    rows.map((r) => [r.mode, r.scenario, r.wallSeconds, r.lowerBoundSeconds ?? '-', r.ratio ?? '-', r.providerCalls, r.throttles,
      `${r.kubernetesWrites} (${r.secretWrites}/${r.statusWrites}/${r.eventWrites})`, r.operatorPeakRssMiB,
      r.operatorAccountWrites === null ? r.note : `${r.note}; audit log: ${r.operatorAccountWrites} writes by the operator's ServiceAccount`]));
}

const started = Date.now();
// The machine may be shared: the load when the run began goes into the result.
const load = loadavg();
console.log(`cluster: ${CLUSTER}; load average at start ${load.map(round2).join(' ')} on ${cpus().length} CPUs`);
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
  if (m.steady) console.log(`${mode}: steady after the cold start (${m.steady.secondsAfterReady} s after all Ready): RSS ${m.steady.rssMiB} MiB, heap after GC ${m.steady.heapAfterGcMiB} MiB`);
  console.log(`${mode}: objects as stored ${JSON.stringify(m.objectSizes)}${m.server ? `; control plane ${JSON.stringify(m.server)}` : ''}`);
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
  cluster: CLUSTER,
  clusterDescription: CLUSTER === 'real' ? 'kube-apiserver, etcd and kube-controller-manager from test/support/control-plane' : 'embedded dev cluster',
  operatorBuild: COMPILED ? 'compiled (dist/)' : 'sources through tsx',
  parameters: {
    count: COUNT, namespaces: NAMESPACES, distinct: DISTINCT, rate: RATE, latencyMs: LATENCY_MS, clientQps: QPS, concurrency: CONCURRENCY, outageSeconds: OUTAGE_S,
    rotated: ROTATED, replicaRate: REPLICA_RATE, modes: MODES, coldOnly: COLD_ONLY, replicas: REPLICAS, createConcurrency: CREATE_CONCURRENCY,
    unrelatedSecrets: UNRELATED, unrelatedSizeBytes: UNRELATED_SIZE, unrelatedNamespaces: UNRELATED ? UNRELATED_NAMESPACES : 0,
    nodeArgs: NODE_ARGS, steadySettleSeconds: STEADY_SETTLE_S, steadySamples: STEADY_SAMPLES,
  },
  rows,
  operators: Object.fromEntries(Object.entries(modes).map(([k, m]) => [k, {
    peakRssMiB: m.peakRssMiB, cpuSeconds: round2(m.cpuSeconds), fetchPathAtColdStart: m.fetchPath, steadyAfterColdStart: m.steady, objectSizes: m.objectSizes, controlPlane: m.server,
  }])),
  replicas: replicas.map((r) => ({ scenario: r.scenario, peakCallsPerSecond: r.peakCallsPerSecond, meanCallsPerSecond: r.meanCallsPerSecond, peakRssMiB: r.peakRssMiB, perReplica: r.perReplica })),
  comparison,
  machine: { cpus: cpus().length, loadAverage1mAtStart: round2(load[0]!), loadAverage5mAtStart: round2(load[1]!), loadAverage15mAtStart: round2(load[2]!) },
  totalSeconds: Math.round((Date.now() - started) / 1000),
  date: new Date().toISOString(),
};
const resultFile = CLUSTER === 'real' ? 'aws-operator-real.json' : 'aws-operator.json';
await mkdir(join(root, 'bench', 'results'), { recursive: true });
await writeFile(join(root, 'bench', 'results', resultFile), `${JSON.stringify(result, null, 2)}\n`);
console.log(`\n${result.totalSeconds} s in all; bench/results/${resultFile} written`);
if (rows.some((r) => r.wallSeconds === null)) process.exitCode = 1;
