// The soak: the operator process (compiled, as the image runs it) for a long time over N
// ExternalSecrets (default 10 000 in 100 namespaces, over 2 000 remote secrets of the local AWS
// wire server, test/support/aws/, which enforces a token bucket of 100 calls/s and adds 20 ms
// to every call), every one refreshed every `--refresh` (default 1m), with remote values
// rotating and faults sprinkled in. The run (default 2 h) starts once the cold start is over
// (every ExternalSecret Ready).
//
//   rotations   at every minute, a seeded fraction (`--rotate`, default 0.01) of the remote
//               secrets get a new value; nothing tells the operator, its refreshes find them.
//               The last one is at least 2 refresh intervals (and 10 s) before the end.
//   faults      at seeded times, one at a time, none in the last 2 refresh intervals:
//                 sigkill          the operator SIGKILLed and started again (in the first
//                                  quarter, the warm-up, so the memory fit sees one process)
//                 provider-503     every provider call answered 503 for `--fault` s (default 30);
//                                  one burst per 40 minutes of run, at least one
//                 provider-429     every call ThrottlingException with Retry-After: 2, `--fault` s
//                 provider-down    the provider's port closed (connection refused), `--outage` s (30)
//               dev cluster, through its fault API (src/devcluster/fault-injector.ts):
//                 watch-drop       every watch cut mid-stream, three times 0.3 s apart
//                 api-5xx          30 % of the operator's requests 500, 30 % of the rest 503, `--fault` s
//               real control plane:
//                 apiserver-restart  kube-apiserver stopped and started again
//
// Every `--sample` (default 1m) a line: the operator's RSS and heap (process_resident_memory_bytes,
// nodejs_heap_size_used_bytes from its /metrics), event-loop delay p99 and max over the sample
// (prom-client's nodejs_eventloop_lag_p99_seconds and _max_seconds, which cover the time since
// the previous scrape: the soak is the only scraper), provider calls and throttles received by
// the wire server, ExternalSecrets not Ready, false Ready (Ready=True while the Secret named in
// status.currentSecretName is missing, not theirs or not immutable), rotations and faults.
//
// At the end, after the last rotation has had 2 refresh intervals to land, the drift check:
// every ExternalSecret Ready=True must have its status.currentSecretName Secret existing, ours
// (labelled for it, owned by it), immutable and holding the remote's current value; mismatches
// are counted by kind. Then the summary:
//   RSS flat      least-squares slope (MiB/hour) and max − min over the last 3/4 of the run
//                 (samples of the process running at the end); flat when the fitted line
//                 moves by less than 5 % of the mean RSS over the whole run's length. The
//                 retained versions grow through a run, so RSS is also fitted on the number of
//                 managed Secrets (KiB each), and what that leaves must be flat by the same
//                 rule: the exit code follows this one.
//   event loop    p99 per sample (median and worst) and the largest max; and per operator
//                 process its own figures since it started (keyferry_event_loop_delay_seconds).
//   provider calls per refresh cycle: over the run, and over the samples with no fault (the
//                 floor: one batch call per 20 remote secrets per cycle).
// Writes bench/results/soak.json (soak-real.json with --cluster real). The seed is printed.
//
//   node --import tsx bench/soak.ts [--duration 2h] [--count 10000] [--refresh 1m] [--seed N]
//     [--cluster dev|real] [--namespaces 100] [--distinct 2000] [--rotate 0.01] [--fault 30]
//     [--outage 30] [--sample 1m] [--min-retention 10m] [--no-faults] [--sources]
// `--min-retention` is the ExternalSecrets' target.versioning.minRetention: shorter than the
// default 1 h so the number of retained versions, and the memory they take, is steady before
// the warm-up ends.
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../src/api/duration.js';
import { AwsTestServer } from '../test/support/aws/aws-server.js';
import { startOperatorProcess, sumMetric, type OperatorProcess } from '../test/support/operator-process.js';
import type { BenchCluster, BenchObject, ClusterKind, NewObject } from './support/bench-cluster.js';
import { numberArg, textArg } from './support/command-line.js';
import { DevBenchCluster } from './support/dev-bench-cluster.js';
import { linearFit } from './support/linear-fit.js';
import { printMarkdownTable } from './support/markdown-table.js';
import { cpuSeconds, peakRss } from './support/process-figures.js';
import { RealBenchCluster } from './support/real-bench-cluster.js';
import { seededRandom, shuffled } from './support/seeded-random.js';

const root = join(import.meta.dirname, '..');
const API = 'keyferry.io/v1alpha1';
const MIB = 1048576;
const BATCH = 20;

const CLUSTER = textArg('cluster', 'dev') as ClusterKind;
if (CLUSTER !== 'dev' && CLUSTER !== 'real') throw new Error(`--cluster ${String(CLUSTER)}: dev or real`);
const DURATION_MS = parseDuration(textArg('duration', '2h'));
const COUNT = numberArg('count', 10_000);
const NAMESPACES = numberArg('namespaces', 100);
const DISTINCT = Math.min(numberArg('distinct', 2_000), COUNT);
const REFRESH = textArg('refresh', '1m');
const REFRESH_MS = parseDuration(REFRESH);
const SEED = numberArg('seed', randomInt(1, 2 ** 31 - 1));
const ROTATE_FRACTION = numberArg('rotate', 0.01);
const FAULT_S = numberArg('fault', 30);
const OUTAGE_S = numberArg('outage', 30);
const SAMPLE_MS = parseDuration(textArg('sample', '1m'));
const MIN_RETENTION = textArg('min-retention', '10m');
const FAULTS = !process.argv.includes('--no-faults');
const RATE = 100;
const LATENCY_MS = 20;
const OPERATOR_ARGS = ['--client-qps', '1000', '--client-burst', '2000', '--concurrency', '64'];
const COMPILED = !process.argv.includes('--sources') && existsSync(join(root, 'dist', 'src', 'cli', 'main.js'));
const ROTATION_MS = 60_000;
/** Faults and rotations stop this long before the end, so the last of them has 2 refresh intervals to land. */
const QUIET_MS = 2 * REFRESH_MS + 10_000;
const accessKeyId = 'AKIAKEYFERRYSOAK0001';
const secretAccessKey = 'soakSecretAccessKey/keyferry/000000001';
if (!(DURATION_MS > QUIET_MS + ROTATION_MS)) throw new Error(`--duration must be longer than 2 refresh intervals + 70 s (${(QUIET_MS + ROTATION_MS) / 1000} s)`);

const keyOf = (k: number) => `soak/app-${k}`;
const valueOf = (k: number, round: number) => `value-${k}-${round}`;
const namespaceOf = (i: number) => `team-${i % NAMESPACES}`;
const nameOf = (i: number) => `es-${i}`;
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.error(`  ${line}`);
const random = seededRandom(SEED);

interface SecretView extends BenchObject {
  immutable?: boolean;
  data?: Record<string, string>;
  metadata: BenchObject['metadata'] & { ownerReferences?: Array<{ uid?: string }>; uid?: string };
}

interface Check {
  ready: number;
  notReady: number;
  /** Ready=True and the Secret in status missing. */
  missing: number;
  /** Ready=True and the Secret not labelled for it or not owned by it. */
  notOurs: number;
  /** Ready=True and the Secret not immutable. */
  mutable: number;
  /** Ready=True on its own immutable Secret, which does not hold the remote's current value (checked at the end only). */
  wrongValue: number;
}

interface Sample {
  minute: number;
  pid: number | null;
  rssMiB: number | null;
  heapUsedMiB: number | null;
  loopP99Ms: number | null;
  loopMaxMs: number | null;
  providerCalls: number;
  throttled: number;
  notReady: number;
  falseReady: number;
  rotated: number;
  faults: string[];
  managedSecrets: number;
}

/** A cluster, the AWS wire server, the operator process and what the soak did to them. */
class World {
  readonly rounds: number[] = new Array<number>(DISTINCT).fill(0);
  op?: OperatorProcess;
  readonly processes: Array<{
    pid: number; cpuSeconds: number; peakRssMiB: number; loopP99Ms: number | null; loopMaxMs: number | null; loopSamples: number | null;
    /** What it wrote to stdout and stderr (held by the soak for the whole run). */
    logBytes: number;
  }> = [];
  private constructor(readonly cluster: BenchCluster, readonly aws: AwsTestServer) {}

  static async start(): Promise<World> {
    const started = Date.now();
    const cluster = CLUSTER === 'real'
      ? await RealBenchCluster.start({ concurrency: 32, log })
      : await DevBenchCluster.start({ watchHistorySize: Math.max(10_000, COUNT * 4), crdDir: join(root, 'manifests', 'crds') });
    if (cluster instanceof DevBenchCluster) cluster.cluster.server.faults.reseed(SEED);
    const aws = new AwsTestServer({ users: [{ accessKeyId, secretAccessKey }], throttle: { requestsPerSecond: RATE }, latencyMs: LATENCY_MS });
    try {
      await aws.start();
      for (let k = 0; k < DISTINCT; k++) aws.store.put(keyOf(k), valueOf(k, 0));
      const ref = (key: string) => ({ name: 'aws-creds', namespace: 'keyferry-system', key });
      await cluster.create(Array.from({ length: NAMESPACES }, (_, n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${n}` } })));
      await cluster.create([
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
      await cluster.create(Array.from({ length: COUNT }, (_, i): NewObject => ({
        apiVersion: API, kind: 'ExternalSecret', metadata: { name: nameOf(i), namespace: namespaceOf(i) },
        spec: {
          secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws' }, refreshInterval: REFRESH,
          data: [{ secretKey: 'value', remoteRef: { key: keyOf(i % DISTINCT) } }],
          target: { versioning: { minRetention: MIN_RETENTION } },
        },
      })));
      await cluster.settled();
      log(`${cluster.description}: ${COUNT} ExternalSecrets over ${DISTINCT} remote secrets, world ready in ${round2((Date.now() - started) / 1000)} s`);
      return new World(cluster, aws);
    } catch (e) {
      await aws.close();
      await cluster.stop();
      throw e;
    }
  }

  get dev(): DevBenchCluster {
    if (!(this.cluster instanceof DevBenchCluster)) throw new Error('this fault needs the dev cluster');
    return this.cluster;
  }

  get real(): RealBenchCluster {
    if (!(this.cluster instanceof RealBenchCluster)) throw new Error('this fault needs the real control plane');
    return this.cluster;
  }

  async startOperator(): Promise<OperatorProcess> {
    this.op = await startOperatorProcess({
      kubeconfigPath: this.cluster.operator.kubeconfigPath, logLevel: 'info', startTimeoutMs: 120_000,
      env: { ...this.cluster.operator.env, ...(COMPILED ? { KEYFERRY_COMPILED: '1' } : {}) }, args: OPERATOR_ARGS,
    });
    return this.op;
  }

  /** Figures of the running operator kept before it goes: CPU, peak RSS and its event-loop delay since it started. */
  async retire(op: OperatorProcess): Promise<void> {
    let text: string | undefined;
    try { text = await op.metrics(); } catch { text = undefined; }
    const q = (quantile: string) => {
      const v = text === undefined ? undefined : sumMetric(text, 'keyferry_event_loop_delay_seconds', { quantile });
      return v === undefined ? null : round1(v * 1000);
    };
    this.processes.push({
      pid: op.pid, cpuSeconds: round2((await cpuSeconds(op.pid)) ?? 0), peakRssMiB: round1(((await peakRss(op.pid)) ?? 0) / MIB),
      loopP99Ms: q('0.99'), loopMaxMs: q('1'), loopSamples: (text === undefined ? undefined : sumMetric(text, 'keyferry_event_loop_delay_samples')) ?? null,
      logBytes: op.output().length,
    });
  }

  /** New values for the remote secrets `keys`. */
  rotate(keys: number[]): void {
    for (const k of keys) this.aws.store.put(keyOf(k), valueOf(k, ++this.rounds[k]!));
  }

  providerCalls(): number {
    return Object.values(this.aws.calls).reduce((a, b) => a + b, 0);
  }

  /** Every ExternalSecret against the Secret its status names; with `values`, that Secret's value against the remote's current one. */
  check(values: boolean): Check & { managedSecrets: number } {
    const secrets = new Map<string, SecretView>();
    for (const s of this.cluster.managedSecrets()) secrets.set(`${s.metadata.namespace}/${s.metadata.name}`, s as SecretView);
    const c: Check & { managedSecrets: number } = { ready: 0, notReady: 0, missing: 0, notOurs: 0, mutable: 0, wrongValue: 0, managedSecrets: secrets.size };
    for (let i = 0; i < COUNT; i++) {
      const es = this.cluster.externalSecret(namespaceOf(i), nameOf(i)) as (BenchObject & { metadata: { uid?: string } }) | undefined;
      const ready = (es?.status?.conditions ?? []).find((x) => x.type === 'Ready')?.status === 'True';
      if (!es || !ready) { c.notReady++; continue; }
      c.ready++;
      const current = es.status?.currentSecretName;
      const s = current ? secrets.get(`${namespaceOf(i)}/${current}`) : undefined;
      if (!s) { c.missing++; continue; }
      const uid = es.metadata.uid;
      if (s.metadata.labels?.['keyferry.io/external-secret'] !== es.metadata.name || (uid && !(s.metadata.ownerReferences ?? []).some((o) => o.uid === uid))) { c.notOurs++; continue; }
      if (s.immutable !== true) { c.mutable++; continue; }
      // The value is compared, never printed.
      if (values && Buffer.from(s.data?.value ?? '', 'base64').toString() !== valueOf(i % DISTINCT, this.rounds[i % DISTINCT]!)) c.wrongValue++;
    }
    return c;
  }

  async stop(): Promise<void> {
    if (this.op) await this.op.kill();
    await this.aws.close();
    await this.cluster.stop();
  }
}

interface Fault {
  name: string;
  /** How long it lasts, for the schedule. */
  seconds: number;
  run(w: World): Promise<string>;
}

function faultList(): { warmup: Fault; spread: Fault[] } {
  const held = (seconds: number, begin: (w: World) => void | Promise<void>, end: (w: World) => void | Promise<void>, note: string): Fault['run'] => async (w) => {
    await begin(w);
    try { await sleep(seconds * 1000); } finally { await end(w); }
    return note;
  };
  const bursts = Math.max(1, Math.round(DURATION_MS / (40 * 60_000)));
  const spread: Fault[] = [];
  for (let b = 1; b <= bursts; b++) {
    spread.push({ name: `provider-503${bursts > 1 ? ` #${b}` : ''}`, seconds: FAULT_S, run: held(FAULT_S, (w) => { w.aws.unavailable = true; }, (w) => { w.aws.unavailable = false; }, `every provider call 503 for ${FAULT_S} s`) });
  }
  spread.push({
    name: 'provider-429', seconds: FAULT_S,
    run: held(FAULT_S, (w) => { w.aws.answerEveryCall = { status: 400, type: 'ThrottlingException', message: 'Rate exceeded', headers: { 'Retry-After': '2' } }; },
      (w) => { w.aws.answerEveryCall = undefined; }, `every provider call ThrottlingException, Retry-After: 2, for ${FAULT_S} s`),
  });
  spread.push({ name: 'provider-down', seconds: OUTAGE_S, run: held(OUTAGE_S, (w) => w.aws.refuseConnections(), (w) => w.aws.acceptConnections(), `provider port closed (connections refused) for ${OUTAGE_S} s`) });
  if (CLUSTER === 'dev') {
    spread.push({
      name: 'watch-drop', seconds: 1, run: async (w) => {
        let dropped = 0;
        for (let k = 0; k < 3; k++) {
          dropped += w.dev.cluster.dropWatches({ graceful: false });
          await sleep(300);
        }
        return `${dropped} watches cut mid-stream, three times 0.3 s apart`;
      },
    });
    spread.push({
      name: 'api-5xx', seconds: FAULT_S, run: async (w) => {
        const faults = w.dev.cluster.faults;
        const before = faults.injected;
        const ids = [500, 503].map((status) => faults.add({ status, errorRate: 0.3, match: { verb: ['create', 'update', 'patch', 'delete', 'get', 'list'] } }));
        try { await sleep(FAULT_S * 1000); } finally { for (const id of ids) faults.remove(id); }
        return `30 % of API requests 500, 30 % of the rest 503, for ${FAULT_S} s (${faults.injected - before} injected)`;
      },
    });
  } else {
    spread.push({
      name: 'apiserver-restart', seconds: 15, run: async (w) => {
        const down = Date.now();
        await w.real.cp.restartApiServer();
        return `kube-apiserver restarted, ready again after ${round2((Date.now() - down) / 1000)} s`;
      },
    });
  }
  const warmup: Fault = {
    name: 'sigkill', seconds: 10, run: async (w) => {
      const op = w.op!;
      await w.retire(op);
      await op.kill();
      const killed = Date.now();
      await w.startOperator();
      return `operator SIGKILLed, its successor's caches synced ${round2((Date.now() - killed) / 1000)} s later`;
    },
  };
  return { warmup, spread };
}

interface Scheduled { fault: Fault; atMs: number; note?: string; endedMs?: number }

/** The SIGKILL at a seeded point of the warm-up quarter; the rest shuffled, one per equal slot between the warm-up and the quiet end. */
function schedule(): Scheduled[] {
  if (!FAULTS) return [];
  const { warmup, spread } = faultList();
  const quarter = DURATION_MS / 4;
  const out: Scheduled[] = [{ fault: warmup, atMs: Math.round(quarter * (0.2 + 0.5 * random())) }];
  const windowMs = DURATION_MS - QUIET_MS - quarter;
  const slot = windowMs / spread.length;
  shuffled(spread, random).forEach((fault, n) => {
    const room = slot - fault.seconds * 1000;
    if (room < 0) log(`warning: ${fault.name} (${fault.seconds} s) is longer than its slot (${round1(slot / 1000)} s) and may overlap the next fault`);
    out.push({ fault, atMs: Math.round(quarter + n * slot + Math.max(0, room) * random()) });
  });
  return out;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const started = Date.now();
const load = loadavg();
console.log(`soak: ${COUNT} ExternalSecrets over ${DISTINCT} remote secrets, refresh ${REFRESH}, ${DURATION_MS / 60_000} min on the ${CLUSTER} cluster; seed ${SEED}; load average at start ${load.map(round2).join(' ')} on ${cpus().length} CPUs`);
const world = await World.start();
const samples: Sample[] = [];
const plan = schedule();
let finalCheck: (Check & { managedSecrets: number }) | undefined;
/** Filled in by the run; read by the summary. */
const run = { coldStartSeconds: null as number | null, endedMs: 0 };
let falseReadySeen = 0;
let rotationsDone = 0;
let lastRotationMs = 0;
try {
  const coldFrom = Date.now();
  await world.startOperator();
  while (world.check(false).notReady > 0) {
    if (Date.now() - coldFrom > 20 * 60_000) throw new Error(`cold start: ${world.check(false).notReady} not Ready after 20 min`);
    await sleep(500);
  }
  run.coldStartSeconds = round2((Date.now() - coldFrom) / 1000);
  log(`cold start: all ${COUNT} Ready in ${run.coldStartSeconds} s`);
  for (const p of plan) log(`fault at ${round1(p.atMs / 60_000)} min: ${p.fault.name}`);

  // A scrape now, so the first sample's event-loop figures cover the run, not the cold start.
  await world.op!.metrics();
  const t0 = Date.now();
  const active = new Set<string>();
  const running: Array<Promise<void>> = [];
  let nextSample = SAMPLE_MS;
  let nextRotation = ROTATION_MS;
  let rotatedSinceSample = 0;
  let faultsSinceSample = new Set<string>();
  let lastCalls = world.providerCalls();
  let lastThrottled = world.aws.throttledCalls;
  const pending = [...plan].sort((a, b) => a.atMs - b.atMs);
  const perRotation = Math.max(1, Math.round(DISTINCT * ROTATE_FRACTION));

  const takeSample = async (minute: number) => {
    const op = world.op;
    let text: string | undefined;
    try { text = op ? await op.metrics() : undefined; } catch { text = undefined; }
    const m = (name: string) => (text === undefined ? undefined : sumMetric(text, name));
    const mib = (name: string) => { const v = m(name); return v === undefined ? null : round1(v / MIB); };
    const ms = (name: string) => { const v = m(name); return v === undefined ? null : round1(v * 1000); };
    const calls = world.providerCalls();
    const throttled = world.aws.throttledCalls;
    const c = world.check(false);
    const falseReady = c.missing + c.notOurs + c.mutable;
    falseReadySeen = Math.max(falseReadySeen, falseReady);
    const s: Sample = {
      minute: round2(minute), pid: text === undefined ? null : op!.pid,
      rssMiB: mib('process_resident_memory_bytes'), heapUsedMiB: mib('nodejs_heap_size_used_bytes'),
      loopP99Ms: ms('nodejs_eventloop_lag_p99_seconds'), loopMaxMs: ms('nodejs_eventloop_lag_max_seconds'),
      providerCalls: calls - lastCalls, throttled: throttled - lastThrottled, notReady: c.notReady, falseReady,
      rotated: rotatedSinceSample, faults: [...new Set([...faultsSinceSample, ...active])], managedSecrets: c.managedSecrets,
    };
    lastCalls = calls;
    lastThrottled = throttled;
    rotatedSinceSample = 0;
    faultsSinceSample = new Set();
    samples.push(s);
    const f = (v: number | null, unit: string) => (v === null ? '-' : `${v} ${unit}`);
    console.log(`[soak] ${s.minute.toFixed(2)} min  rss ${f(s.rssMiB, 'MiB')}  heap ${f(s.heapUsedMiB, 'MiB')}  loop p99 ${f(s.loopP99Ms, 'ms')} max ${f(s.loopMaxMs, 'ms')}  `
      + `provider calls ${s.providerCalls} (throttled ${s.throttled})  not Ready ${s.notReady}  false Ready ${s.falseReady}  versions ${s.managedSecrets}  rotated ${s.rotated}`
      + `${s.faults.length ? `  faults: ${s.faults.join(', ')}` : ''}`);
  };

  while (Date.now() - t0 < DURATION_MS) {
    const now = Date.now() - t0;
    const nextFault = pending[0]?.atMs ?? Infinity;
    const next = Math.min(nextSample, nextRotation <= DURATION_MS - QUIET_MS ? nextRotation : Infinity, nextFault, DURATION_MS);
    if (next > now) { await sleep(next - now); continue; }
    if (nextFault <= now) {
      const p = pending.shift()!;
      active.add(p.fault.name);
      faultsSinceSample.add(p.fault.name);
      log(`${round1(now / 60_000)} min: ${p.fault.name} begins`);
      running.push(p.fault.run(world).then((note) => { p.note = note; }, (e: unknown) => { p.note = `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`; })
        .finally(() => { p.endedMs = Date.now() - t0; active.delete(p.fault.name); log(`${round1(p.endedMs / 60_000)} min: ${p.fault.name} over: ${p.note}`); }));
      continue;
    }
    if (nextRotation <= now && nextRotation <= DURATION_MS - QUIET_MS) {
      const keys = shuffled(Array.from({ length: DISTINCT }, (_, k) => k), random).slice(0, perRotation);
      world.rotate(keys);
      rotationsDone += keys.length;
      rotatedSinceSample += keys.length;
      lastRotationMs = now;
      nextRotation += ROTATION_MS;
      continue;
    }
    if (nextSample <= now) {
      await takeSample(nextSample / 60_000);
      nextSample += SAMPLE_MS;
    }
  }
  await Promise.all(running);
  // The last rotation gets 2 refresh intervals to land, whatever the run's length.
  const landBy = lastRotationMs + 2 * REFRESH_MS;
  if (Date.now() - t0 < landBy) await sleep(landBy - (Date.now() - t0));
  await takeSample((Date.now() - t0) / 60_000);
  finalCheck = world.check(true);
  run.endedMs = Date.now() - t0;
  await world.retire(world.op!);
} finally {
  await world.stop();
}

// RSS: samples of the last process, over the last 3/4 of the run.
const lastPid = world.processes.at(-1)?.pid;
const fitFromMinute = DURATION_MS / 4 / 60_000;
const fitSamples = samples.filter((s) => s.rssMiB !== null && s.pid === lastPid && s.minute >= fitFromMinute);
const fitted = fitSamples.map((s) => [s.minute / 60, s.rssMiB!] as const);
const fit = linearFit(fitted);
const rssValues = fitted.map(([, y]) => y);
const meanRss = rssValues.length ? rssValues.reduce((a, b) => a + b, 0) / rssValues.length : 0;
const slope = fit ? fit.slope : null;
const flat = slope === null ? null : Math.abs(slope * (DURATION_MS / 3_600_000)) < 0.05 * meanRss;
// The retained versions grow through a run (each ExternalSecret keeps up to `retain` previous
// ones, and a remote secret rotates about once per 1/rotate minutes), and each costs memory: RSS
// fitted on the number of managed Secrets, then the trend of what that fit leaves over time. A
// leak shows there; state that grows with the cluster does not.
const perVersion = linearFit(fitSamples.map((s) => [s.managedSecrets, s.rssMiB!] as const));
const residualFit = perVersion ? linearFit(fitSamples.map((s) => [s.minute / 60, s.rssMiB! - (perVersion.intercept + perVersion.slope * s.managedSecrets)] as const)) : undefined;
const flatBeyondVersions = residualFit ? Math.abs(residualFit.slope * (DURATION_MS / 3_600_000)) < 0.05 * meanRss : null;
const rss = {
  warmupMinutes: round1(fitFromMinute),
  samplesInFit: fitted.length,
  slopeMiBPerHour: slope === null ? null : round2(slope),
  maxMinusMinMiB: rssValues.length ? round1(Math.max(...rssValues) - Math.min(...rssValues)) : null,
  meanMiB: round1(meanRss),
  minMiB: rssValues.length ? Math.min(...rssValues) : null,
  maxMiB: rssValues.length ? Math.max(...rssValues) : null,
  flat,
  criterion: 'least-squares slope over the last 3/4 of the run (the process running at the end), times the run length, under 5 % of the mean RSS',
  managedSecretsFirst: fitSamples[0]?.managedSecrets ?? null,
  managedSecretsLast: fitSamples.at(-1)?.managedSecrets ?? null,
  kibPerManagedSecret: perVersion ? round2(perVersion.slope * 1024) : null,
  slopeBeyondVersionsMiBPerHour: residualFit ? round2(residualFit.slope) : null,
  flatBeyondVersions,
};

// Event loop.
const p99s = samples.map((s) => s.loopP99Ms).filter((v): v is number => v !== null);
const maxes = samples.map((s) => s.loopMaxMs).filter((v): v is number => v !== null);
const eventLoop = {
  perSampleP99MsMedian: median(p99s),
  perSampleP99MsWorst: p99s.length ? Math.max(...p99s) : null,
  maxMs: maxes.length ? Math.max(...maxes) : null,
  byProcess: world.processes.map((p) => ({ pid: p.pid, p99MsSinceStart: p.loopP99Ms, maxMsSinceStart: p.loopMaxMs, samples: p.loopSamples })),
};

// Provider calls per refresh cycle.
const totalCalls = samples.reduce((a, s) => a + s.providerCalls, 0);
const runMinutes = run.endedMs / 60_000;
const quiet = samples.filter((s, n) => n > 0 && s.faults.length === 0 && !samples[n - 1]!.faults.length);
const quietMinutes = quiet.length * (SAMPLE_MS / 60_000);
const providerCalls = {
  total: totalCalls,
  throttled: samples.reduce((a, s) => a + s.throttled, 0),
  perCycle: round1(totalCalls / (run.endedMs / REFRESH_MS)),
  perCycleWithoutFaults: quiet.length ? round1(quiet.reduce((a, s) => a + s.providerCalls, 0) / (quietMinutes * 60_000 / REFRESH_MS)) : null,
  samplesWithoutFaults: quiet.length,
  floorPerCycle: Math.ceil(DISTINCT / BATCH),
};

const drift = {
  final: finalCheck,
  falseReadyWorstSample: falseReadySeen,
  mismatches: finalCheck ? finalCheck.missing + finalCheck.notOurs + finalCheck.mutable + finalCheck.wrongValue : null,
  lastRotationMinute: round2(lastRotationMs / 60_000),
  checkedAtMinute: round2(run.endedMs / 60_000),
};

console.log('');
printMarkdownTable(['measure', 'value'], [
  ['cold start (all Ready)', `${run.coldStartSeconds} s`],
  ['run', `${round1(runMinutes)} min after the cold start, ${samples.length} samples, ${rotationsDone} rotations, seed ${SEED}`],
  ['RSS over the last 3/4', `${rss.minMiB}–${rss.maxMiB} MiB (max − min ${rss.maxMinusMinMiB}), slope ${rss.slopeMiBPerHour} MiB/h over ${rss.samplesInFit} samples: ${flat === null ? 'too few samples' : flat ? 'flat' : 'NOT flat'}`],
  ['RSS beyond the retained versions', `managed Secrets ${rss.managedSecretsFirst} → ${rss.managedSecretsLast}, ${rss.kibPerManagedSecret} KiB each; what that leaves moves ${rss.slopeBeyondVersionsMiBPerHour} MiB/h: ${flatBeyondVersions === null ? 'too few samples' : flatBeyondVersions ? 'flat' : 'NOT flat'}`],
  ['event-loop delay p99 per sample', `median ${eventLoop.perSampleP99MsMedian} ms, worst ${eventLoop.perSampleP99MsWorst} ms`],
  ['event-loop delay max', `${eventLoop.maxMs} ms`],
  ['event-loop delay since start, by process', eventLoop.byProcess.map((p) => `p99 ${p.p99MsSinceStart} ms, max ${p.maxMsSinceStart} ms`).join('; ')],
  ['provider calls per refresh cycle', `${providerCalls.perCycle} over the run, ${providerCalls.perCycleWithoutFaults ?? '-'} without faults (floor ${providerCalls.floorPerCycle}); ${providerCalls.total} calls, ${providerCalls.throttled} throttled`],
  ['false Ready, worst sample', falseReadySeen],
  ['drift at the end (missing / not ours / mutable / wrong value)', finalCheck ? `${drift.mismatches} (${finalCheck.missing} / ${finalCheck.notOurs} / ${finalCheck.mutable} / ${finalCheck.wrongValue}); ${finalCheck.notReady} not Ready; last rotation at ${drift.lastRotationMinute} min, checked at ${drift.checkedAtMinute} min` : '-'],
  ['operator processes', world.processes.map((p) => `CPU ${p.cpuSeconds} s, peak RSS ${p.peakRssMiB} MiB, ${round1(p.logBytes / 1024)} KiB of log`).join('; ')],
]);
printMarkdownTable(['fault', 'at min', 'ended min', 'what happened'], plan.map((p) => [p.fault.name, round2(p.atMs / 60_000), p.endedMs === undefined ? '-' : round2(p.endedMs / 60_000), p.note ?? '-']));

const result = {
  cluster: CLUSTER,
  operatorBuild: COMPILED ? 'compiled (dist/)' : 'sources through tsx',
  parameters: {
    durationMinutes: DURATION_MS / 60_000, count: COUNT, namespaces: NAMESPACES, distinct: DISTINCT, refresh: REFRESH, seed: SEED, rotateFraction: ROTATE_FRACTION,
    faultSeconds: FAULT_S, outageSeconds: OUTAGE_S, sampleSeconds: SAMPLE_MS / 1000, minRetention: MIN_RETENTION, faults: FAULTS, providerRate: RATE, providerLatencyMs: LATENCY_MS,
  },
  coldStartSeconds: run.coldStartSeconds,
  runMinutes: round2(runMinutes),
  rotations: rotationsDone,
  rss,
  eventLoop,
  providerCalls,
  drift,
  faults: plan.map((p) => ({ name: p.fault.name, atMinute: round2(p.atMs / 60_000), endedMinute: p.endedMs === undefined ? null : round2(p.endedMs / 60_000), note: p.note ?? null })),
  operators: world.processes.map(({ pid: _pid, ...rest }) => rest),
  samples,
  machine: { cpus: cpus().length, loadAverage1mAtStart: round2(load[0]!), loadAverage5mAtStart: round2(load[1]!), loadAverage15mAtStart: round2(load[2]!) },
  totalSeconds: Math.round((Date.now() - started) / 1000),
  date: new Date().toISOString(),
};
const resultFile = CLUSTER === 'real' ? 'soak-real.json' : 'soak.json';
await mkdir(join(root, 'bench', 'results'), { recursive: true });
await writeFile(join(root, 'bench', 'results', resultFile), `${JSON.stringify(result, null, 2)}\n`);
console.log(`\n${result.totalSeconds} s in all; bench/results/${resultFile} written`);
// Memory fails the run when it grows beyond what the retained versions explain.
if (!finalCheck || (drift.mismatches ?? 0) > 0 || falseReadySeen > 0 || flatBeyondVersions === false) process.exitCode = 1;
