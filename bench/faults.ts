// The fault matrix: the operator process (compiled, as the image runs it) over N ExternalSecrets
// (default 1 000 in 10 namespaces, over 200 remote secrets of the local AWS wire server,
// test/support/aws/; refreshInterval 5m), one fault at a time. A provider fault hits the
// refreshes whose slots fall in it (about a tenth of them in 30 s), as an outage does; with
// --provider-wave it hits a wave too. Every other fault hits a sync wave: every remote value
// changes and every ExternalSecret gets a new `keyferry.io/force-sync` value, so each must
// read its remote secret again and write a new version while the fault lasts. Then the fault
// ends, and the row says:
//   lost / changed   Secrets deleted while an ExternalSecret's status named them current
//                    (sampled), or, in a row of one wave, the versions current when it began
//                    (retained as previous versions); and Secrets whose content changed
//                    (versions are immutable). Older versions pruned by the retention rules
//                    (retain, minRetention, the cap on versions) are counted apart.
//   wrong value      at the end, ExternalSecrets not Ready on a Secret of theirs holding the
//                    remote value (0 unless the row timed out).
//   false Ready      ExternalSecrets seen Ready=True while the Secret in their status is
//                    missing or not theirs (labels, immutable, owner), sampled every 0.5 s
//                    during the fault and the recovery, confirmed by a second read.
//   duplicates       versions of one ExternalSecret with the same content under two names.
//   back             seconds from the end of the fault until every ExternalSecret is Ready on
//                    a Secret that holds the new value.
//
// On the real control plane (kube-apiserver, etcd and kube-controller-manager from
// test/support/control-plane/), the operator as its ServiceAccount:
//   provider-503       every provider call answered 503 for FAULT s (default 15)
//   provider-timeout   every provider call left unanswered for FAULT s (the SDK's timeout ends it)
//   provider-refused   the provider's port closed (connection refused) for OUTAGE s (default 30)
//   provider-429       every provider call answered ThrottlingException with Retry-After: 2 for FAULT s
//   apiserver-restart  kube-apiserver stopped and started again in the middle of the wave
//   sigkill            10 SIGKILLs of the operator, each at a seeded random point of a wave
//   clock-jump         the operator's wall clock jumps 2 h forward (a wave), then 3 h back (a
//                      remote change only periodic refreshes read, then a wave);
//                      bench/support/shifted-clock.mjs shifts Date in its process
// On the dev cluster (src/devcluster/), through its fault API, for what a real API server
// cannot be made to answer:
//   api-409 api-410 api-429 api-5xx   half of the operator's writes (409, 429, 5xx) or every
//                      new watch (410 Gone, after its watches are cut) answered so for FAULT s
//   watch-drop         every watch cut mid-stream, three times, during the wave
//
//   node --import tsx bench/faults.ts [--count 1000] [--namespaces 10] [--distinct 200]
//     [--fault 15] [--outage 30] [--seed N] [--only provider-refused,api-409] [--clusters real,dev]
//     [--on dev|real] [--recovery-timeout 120] [--refresh 5m] [--provider-wave] [--operator-log <file>] [--trace] [--sources]
// Writes bench/results/faults.json. The seed (printed) fixes the SIGKILL points and the dev
// cluster's choice of which requests fail.
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsTestServer } from '../test/support/aws/aws-server.js';
import { startOperatorProcess, type OperatorProcess } from '../test/support/operator-process.js';
import type { BenchCluster, BenchObject, NewObject } from './support/bench-cluster.js';
import { numberArg, textArg } from './support/command-line.js';
import { DevBenchCluster } from './support/dev-bench-cluster.js';
import { printMarkdownTable } from './support/markdown-table.js';
import { RealBenchCluster } from './support/real-bench-cluster.js';
import { seededRandom } from './support/seeded-random.js';
import { durationMs } from '../src/controller/spec-checks.js';

const root = join(import.meta.dirname, '..');
const API = 'keyferry.io/v1alpha1';
const COUNT = numberArg('count', 1_000);
const NAMESPACES = numberArg('namespaces', 10);
const DISTINCT = numberArg('distinct', 200);
const FAULT_S = numberArg('fault', 15);
const OUTAGE_S = numberArg('outage', 30);
const SEED = numberArg('seed', randomInt(1, 2 ** 31 - 1));
const ONLY = textArg('only', '').split(',').filter(Boolean);
const CLUSTERS = textArg('clusters', 'real,dev').split(',');
/** Runs every fault chosen on this cluster instead (those that need the other one fail). */
const ON = textArg('on', '');
const REFRESH = textArg('refresh', '5m');
/** Provider faults over a wave too (by default they hit only the refreshes whose slots fall in the fault). */
const PROVIDER_WAVE = process.argv.includes('--provider-wave');
/** Prints, every 0.5 s of a recovery, how many are not done, the operator's circuit state and the provider calls so far. */
const TRACE = process.argv.includes('--trace');
const COMPILED = !process.argv.includes('--sources') && existsSync(join(root, 'dist', 'src', 'cli', 'main.js'));
const OPERATOR_ARGS = ['--client-qps', '1000', '--client-burst', '2000', '--concurrency', '32'];
const RECOVERY_TIMEOUT_MS = numberArg('recovery-timeout', 120) * 1000;
const accessKeyId = 'AKIAKEYFERRYFAULTS01';
const secretAccessKey = 'faultsSecretAccessKey/keyferry/00000001';

const keyOf = (i: number) => `faults/app-${i % DISTINCT}`;
const valueOf = (i: number, round: number) => `value-${i % DISTINCT}-${round}`;
const namespaceOf = (i: number) => `team-${i % NAMESPACES}`;
const nameOf = (i: number) => `es-${i}`;
const round2 = (n: number) => Math.round(n * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.error(`  ${line}`);

// Seeded: the SIGKILL points repeat with the seed.
const random = seededRandom(SEED);

interface SecretView extends BenchObject {
  immutable?: boolean;
  data?: Record<string, string>;
  metadata: BenchObject['metadata'] & { ownerReferences?: Array<{ uid?: string }>; uid?: string };
}

interface Row {
  cluster: string;
  fault: string;
  lost: number;
  pruned: number;
  changed: number;
  wrongValue: number;
  falseReady: number;
  duplicates: number;
  versionsWritten: number;
  maxNotReady: number;
  backSeconds: number | null;
  note: string;
}

const readyOf = (o: BenchObject | undefined) => (o?.status?.conditions ?? []).find((c) => c.type === 'Ready');
const contentOf = (s: SecretView) => JSON.stringify(Object.entries(s.data ?? {}).sort(([a], [b]) => a.localeCompare(b)));

/** A cluster, the AWS wire server, the operator, and the benchmark's view of them. */
class World {
  round = 0;
  operator?: OperatorProcess;
  private clockFile?: string;
  private clockDir?: string;

  private constructor(readonly cluster: BenchCluster, readonly aws: AwsTestServer) {}

  static async start(kind: 'dev' | 'real'): Promise<World> {
    const started = Date.now();
    const cluster = kind === 'real'
      ? await RealBenchCluster.start({ concurrency: 32, log })
      : await DevBenchCluster.start({ watchHistorySize: Math.max(10_000, COUNT * 20), crdDir: join(root, 'manifests', 'crds') });
    if (cluster instanceof DevBenchCluster) cluster.cluster.server.faults.reseed(SEED);
    const aws = new AwsTestServer({ users: [{ accessKeyId, secretAccessKey }], latencyMs: 20 });
    try {
      await aws.start();
      for (let i = 0; i < DISTINCT; i++) aws.store.put(keyOf(i), valueOf(i, 0));
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
            rateLimit: { requestsPerSecond: 100, burst: 100, maxConcurrent: 50 },
            provider: { aws: { region: 'us-east-1', endpoint: aws.url, auth: { secretRef: { accessKeyIDSecretRef: ref('id'), secretAccessKeySecretRef: ref('secret') } } } },
          },
        },
      ]);
      await cluster.create(Array.from({ length: COUNT }, (_, i): NewObject => ({
        apiVersion: API, kind: 'ExternalSecret', metadata: { name: nameOf(i), namespace: namespaceOf(i) },
        spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws' }, refreshInterval: REFRESH, data: [{ secretKey: 'value', remoteRef: { key: keyOf(i) } }] },
      })));
      await cluster.settled();
      log(`${cluster.description}: ${COUNT} ExternalSecrets, world ready in ${round2((Date.now() - started) / 1000)} s`);
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

  async startOperator(options: { shiftedClock?: boolean } = {}): Promise<OperatorProcess> {
    let env: Record<string, string> = { ...this.cluster.operator.env, ...(COMPILED ? { KEYFERRY_COMPILED: '1' } : {}) };
    const nodeArgs: string[] = [];
    if (options.shiftedClock) {
      this.clockDir ??= await mkdtemp(join(tmpdir(), 'keyferry-faults-'));
      this.clockFile = join(this.clockDir, 'clock-offset');
      await writeFile(this.clockFile, '0');
      env = { ...env, KEYFERRY_CLOCK_OFFSET_FILE: this.clockFile };
      nodeArgs.push('--import', join(import.meta.dirname, 'support', 'shifted-clock.mjs'));
    }
    this.operator = await startOperatorProcess({
      kubeconfigPath: this.cluster.operator.kubeconfigPath, logLevel: textArg('log-level', 'info'), startTimeoutMs: 120_000, env, nodeArgs, args: OPERATOR_ARGS,
    });
    return this.operator;
  }

  async setClockOffset(ms: number): Promise<void> {
    if (!this.clockFile) throw new Error('the operator runs on the real clock');
    await writeFile(this.clockFile, String(ms));
    await sleep(300);
  }

  async stopOperator(): Promise<void> {
    const op = this.operator;
    this.operator = undefined;
    if (op) await op.stop(30_000);
  }

  /** New remote values for every remote secret, and nothing else: only periodic refreshes read them. */
  remoteChange(): void {
    this.round++;
    for (let i = 0; i < DISTINCT; i++) this.aws.store.put(keyOf(i), valueOf(i, this.round));
  }

  /** New remote values for every remote secret, and a force-sync on every ExternalSecret. */
  async wave(): Promise<void> {
    this.round++;
    for (let i = 0; i < DISTINCT; i++) this.aws.store.put(keyOf(i), valueOf(i, this.round));
    await this.cluster.patchExternalSecrets(Array.from({ length: COUNT }, (_, i) => ({
      namespace: namespaceOf(i), name: nameOf(i), annotations: { 'keyferry.io/force-sync': `wave-${this.round}` },
    })));
  }

  secrets(): Map<string, SecretView> {
    const out = new Map<string, SecretView>();
    for (const s of this.cluster.managedSecrets()) out.set(`${s.metadata.namespace}/${s.metadata.name}`, s as SecretView);
    return out;
  }

  /** A Secret is the ExternalSecret's own: labelled for it, immutable, owned by it. */
  static ours(es: BenchObject & { metadata: { uid?: string } }, s: SecretView | undefined): boolean {
    if (!s) return false;
    if (s.metadata.labels?.['keyferry.io/external-secret'] !== es.metadata.name || s.immutable !== true) return false;
    const uid = es.metadata.uid;
    return !uid || (s.metadata.ownerReferences ?? []).some((o) => o.uid === uid);
  }

  /** ExternalSecrets Ready=True on a Secret that is missing or not theirs, as the benchmark's view shows them. */
  suspects(secrets = this.secrets()): number[] {
    const out: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      const es = this.cluster.externalSecret(namespaceOf(i), nameOf(i));
      if (!es || readyOf(es)?.status !== 'True') continue;
      const current = es.status?.currentSecretName;
      if (!current || !World.ours(es, secrets.get(`${namespaceOf(i)}/${current}`))) out.push(i);
    }
    return out;
  }

  /** Reads a suspect again from the API server itself: Ready=True and its Secret missing or not its own. */
  async confirmFalseReady(i: number): Promise<boolean> {
    const ns = namespaceOf(i);
    if (this.cluster instanceof DevBenchCluster) {
      const es = this.cluster.externalSecret(ns, nameOf(i));
      const current = es?.status?.currentSecretName;
      if (!es || readyOf(es)?.status !== 'True') return false;
      return !current || !World.ours(es, this.cluster.cluster.server.store.get('/secrets', ns, current)?.obj as SecretView | undefined);
    }
    const client = this.real.cp.client;
    const read = async () => {
      const es = await client.get(API, 'ExternalSecret', nameOf(i), ns) as (BenchObject & { metadata: { uid?: string } }) | undefined;
      if (!es || readyOf(es)?.status !== 'True') return false;
      const current = es.status?.currentSecretName;
      return !current || !World.ours(es, await client.get('v1', 'Secret', current, ns) as SecretView | undefined);
    };
    for (;;) {
      try {
        return await read();
      } catch {
        // The API server is restarting: ask again.
        await sleep(500);
      }
    }
  }

  /** Reads again from the API server: the ExternalSecret still names `current`, and it does not exist. */
  async confirmCurrentMissing(i: number, current: string): Promise<boolean> {
    const ns = namespaceOf(i);
    if (this.cluster instanceof DevBenchCluster) {
      return this.cluster.externalSecret(ns, nameOf(i))?.status?.currentSecretName === current && !this.cluster.cluster.server.store.get('/secrets', ns, current);
    }
    const client = this.real.cp.client;
    for (;;) {
      try {
        const es = await client.get(API, 'ExternalSecret', nameOf(i), ns) as BenchObject | undefined;
        return es?.status?.currentSecretName === current && !(await client.get('v1', 'Secret', current, ns));
      } catch {
        await sleep(500);
      }
    }
  }

  /** ExternalSecrets not yet Ready on a Secret of theirs that holds the current round's value. */
  notDone(secrets = this.secrets()): number {
    let n = 0;
    for (let i = 0; i < COUNT; i++) {
      const es = this.cluster.externalSecret(namespaceOf(i), nameOf(i));
      const s = es?.status?.currentSecretName ? secrets.get(`${namespaceOf(i)}/${es.status.currentSecretName}`) : undefined;
      if (!es || readyOf(es)?.status !== 'True' || !World.ours(es, s) || s!.data?.value !== Buffer.from(valueOf(i, this.round)).toString('base64')) n++;
    }
    return n;
  }

  notReady(): number {
    let n = 0;
    for (let i = 0; i < COUNT; i++) if (readyOf(this.cluster.externalSecret(namespaceOf(i), nameOf(i)))?.status !== 'True') n++;
    return n;
  }

  async stop(): Promise<void> {
    const logs = textArg('operator-log', '');
    if (logs && this.operator) await writeFile(logs, this.operator.output());
    await this.operator?.kill();
    await this.aws.close();
    await this.cluster.stop();
    if (this.clockDir) await rm(this.clockDir, { recursive: true, force: true });
  }
}

/** Samples false Ready and the most ExternalSecrets not Ready while `work` runs. */
class Watcher {
  readonly falseReady = new Set<number>();
  /** Secrets (namespace/name) found missing while their ExternalSecret still named them current. */
  readonly lostCurrent = new Set<string>();
  maxNotReady = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly world: World) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.maxNotReady = Math.max(this.maxNotReady, this.world.notReady());
      const missing = () => {
        const secrets = this.world.secrets();
        const out: Array<[number, string]> = [];
        for (let i = 0; i < COUNT; i++) {
          const current = this.world.cluster.externalSecret(namespaceOf(i), nameOf(i))?.status?.currentSecretName;
          if (current && !secrets.has(`${namespaceOf(i)}/${current}`) && !this.lostCurrent.has(`${namespaceOf(i)}/${current}`)) out.push([i, current]);
        }
        return out;
      };
      const suspects = () => this.world.suspects().filter((i) => !this.falseReady.has(i));
      // The benchmark's two watches (ExternalSecrets, Secrets) may be a moment apart: what
      // looks wrong is looked at again a little later, then read from the API server itself.
      if (missing().length || suspects().length) {
        await sleep(1000);
        for (const [i, current] of missing()) {
          if (await this.world.confirmCurrentMissing(i, current)) {
            this.lostCurrent.add(`${namespaceOf(i)}/${current}`);
            log(`current Secret missing: ${namespaceOf(i)}/${current}`);
          }
        }
        for (const i of suspects()) {
          if (await this.world.confirmFalseReady(i)) {
            this.falseReady.add(i);
            log(`false Ready: ${namespaceOf(i)}/${nameOf(i)}`);
          }
        }
      }
      await sleep(500);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * Runs one row: `fault` applies the fault (starting the wave itself, at the point it wants)
 * and resolves when the fault is over; then waits for every ExternalSecret to be done.
 */
async function runRow(world: World, name: string, fault: () => Promise<string | void>): Promise<Row> {
  log(`${world.cluster.kind}: ${name}`);
  const before = world.secrets();
  const currentAtStart = new Set<string>();
  for (let i = 0; i < COUNT; i++) {
    const current = world.cluster.externalSecret(namespaceOf(i), nameOf(i))?.status?.currentSecretName;
    if (current) currentAtStart.add(`${namespaceOf(i)}/${current}`);
  }
  const beforeContent = new Map([...before].map(([k, s]) => [k, contentOf(s)]));
  const watcher = new Watcher(world);
  let note: string;
  let endedAt: number;
  let backAt: number | undefined;
  try {
    note = (await fault()) ?? '';
    endedAt = Date.now();
    log(`  fault over at ${new Date(endedAt).toISOString()}`);
    const until = endedAt + RECOVERY_TIMEOUT_MS;
    let traced = endedAt;
    while (Date.now() < until) {
      if (world.notDone() === 0) {
        backAt = Date.now();
        break;
      }
      if (TRACE && Date.now() - traced >= 500) {
        traced = Date.now();
        const circuit = await world.operator?.metricValue('keyferry_fetch_circuit_state').catch(() => undefined);
        const calls = (world.aws.calls.GetSecretValue ?? 0) + (world.aws.calls.BatchGetSecretValue ?? 0);
        log(`  +${round2((traced - endedAt) / 1000)} s: ${world.notDone()} not done, circuit ${circuit}, provider calls ${calls}`);
      }
      await sleep(100);
    }
  } finally {
    await watcher.stop();
  }
  const after = world.secrets();
  const deleted = [...before.keys()].filter((k) => !after.has(k));
  // Older versions may go by the retention rules (retain 2, minRetention, the cap on versions); a
  // current one never may, nor, after a single wave, the one it replaced (one of the 2 retained).
  const singleWave = after.size - (before.size - deleted.length) <= COUNT;
  const lostKeys = new Set([...watcher.lostCurrent, ...(singleWave ? deleted.filter((k) => currentAtStart.has(k)) : [])]);
  const lost = lostKeys.size;
  const changed = [...beforeContent].filter(([k, c]) => after.has(k) && contentOf(after.get(k)!) !== c).length;
  const byOwner = new Map<string, string[]>();
  for (const [k, s] of after) {
    const owner = `${s.metadata.namespace}/${s.metadata.labels?.['keyferry.io/external-secret'] ?? ''}`;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), contentOf(s)]);
    void k;
  }
  let duplicates = 0;
  for (const contents of byOwner.values()) duplicates += contents.length - new Set(contents).size;
  const row: Row = {
    cluster: world.cluster.kind, fault: name, lost, pruned: deleted.filter((k) => !lostKeys.has(k)).length, changed, wrongValue: backAt ? 0 : world.notDone(after),
    falseReady: watcher.falseReady.size, duplicates, versionsWritten: after.size - (before.size - deleted.length), maxNotReady: watcher.maxNotReady,
    backSeconds: backAt === undefined ? null : round2((backAt - endedAt) / 1000), note,
  };
  log(`  ${JSON.stringify(row)}`);
  return row;
}

/** Holds the world in a state for `ms` while the wave runs. */
async function during(world: World, ms: number, wave = true): Promise<void> {
  const start = Date.now();
  if (wave) await world.wave();
  await sleep(Math.max(0, ms - (Date.now() - start)));
}

type Fault = { name: string; cluster: 'real' | 'dev'; run: (world: World) => Promise<string | void> };

const faults: Fault[] = [
  {
    name: 'provider-503', cluster: 'real', run: async (w) => {
      w.aws.unavailable = true;
      try { await during(w, FAULT_S * 1000, PROVIDER_WAVE); } finally { w.aws.unavailable = false; }
      return `${FAULT_S} s of 503`;
    },
  },
  {
    name: 'provider-timeout', cluster: 'real', run: async (w) => {
      w.aws.stalled = true;
      try { await during(w, FAULT_S * 1000, PROVIDER_WAVE); } finally { w.aws.endStall(); }
      return `${FAULT_S} s unanswered`;
    },
  },
  {
    name: 'provider-refused', cluster: 'real', run: async (w) => {
      await w.aws.refuseConnections();
      try { await during(w, OUTAGE_S * 1000, PROVIDER_WAVE); } finally { await w.aws.acceptConnections(); }
      return `${OUTAGE_S} s of connection refused`;
    },
  },
  {
    name: 'provider-429', cluster: 'real', run: async (w) => {
      w.aws.answerEveryCall = { status: 400, type: 'ThrottlingException', message: 'Rate exceeded', headers: { 'Retry-After': '2' } };
      try { await during(w, FAULT_S * 1000, PROVIDER_WAVE); } finally { w.aws.answerEveryCall = undefined; }
      return `${FAULT_S} s of ThrottlingException, Retry-After: 2`;
    },
  },
  {
    name: 'apiserver-restart', cluster: 'real', run: async (w) => {
      await w.wave();
      await sleep(500);
      const down = Date.now();
      await w.real.cp.restartApiServer();
      return `kube-apiserver restarted 0.5 s into the wave, ready again after ${round2((Date.now() - down) / 1000)} s`;
    },
  },
  {
    name: 'sigkill', cluster: 'real', run: async (w) => {
      const points: number[] = [];
      for (let k = 0; k < 10; k++) {
        await w.wave();
        const at = Math.round(random() * 3000);
        points.push(at);
        await sleep(at);
        await w.operator!.kill();
        await w.startOperator();
      }
      return `SIGKILL 10× at ${points.join(', ')} ms into waves (seed ${SEED}); back measured from the last restart's caches synced`;
    },
  },
  {
    name: 'clock-jump', cluster: 'real', run: async (w) => {
      await w.stopOperator();
      await w.startOperator({ shiftedClock: true });
      await w.setClockOffset(2 * 3_600_000);
      await w.wave();
      const start = Date.now();
      while (w.notDone() > 0 && Date.now() - start < RECOVERY_TIMEOUT_MS) await sleep(100);
      const forward = round2((Date.now() - start) / 1000);
      await w.setClockOffset(-3_600_000);
      // Periodic refreshes after the step back: remote values change with no force-sync, so
      // only the refresh schedule reads them; each is due within one refreshInterval.
      w.remoteChange();
      const backAt = Date.now();
      const refreshMs = durationMs(REFRESH) ?? 0;
      while (w.notDone() > 0 && Date.now() - backAt < refreshMs + RECOVERY_TIMEOUT_MS) await sleep(250);
      const periodic = w.notDone() === 0 ? `${round2((Date.now() - backAt) / 1000)} s` : `not within ${round2((refreshMs + RECOVERY_TIMEOUT_MS) / 1000)} s (${w.notDone()} left)`;
      await w.wave();
      return `wall clock +2 h (that wave done in ${forward} s), then 3 h back to -1 h: a remote change read by periodic refreshes alone in ${periodic} (refreshInterval ${REFRESH}), then a wave; back measured from that wave`;
    },
  },
  {
    name: 'api-409', cluster: 'dev', run: async (w) => apiFault(w, { status: 409, errorRate: 0.5, match: { verb: ['create', 'update', 'patch'] } }),
  },
  {
    name: 'api-410', cluster: 'dev', run: async (w) => {
      const { faults, stats } = w.dev.cluster;
      const lists = stats.count('list');
      const id = faults.add({ status: 410, match: { verb: 'watch' } });
      try {
        w.dev.cluster.dropWatches({ graceful: false });
        await during(w, FAULT_S * 1000);
      } finally {
        faults.remove(id);
      }
      return `every watch cut, then every new watch answered 410 Gone for ${FAULT_S} s (${stats.count('list') - lists} lists)`;
    },
  },
  {
    name: 'relist-429', cluster: 'dev', run: async (w) => {
      const { faults, stats } = w.dev.cluster;
      const injected = faults.injected;
      const lists = stats.count('list');
      const watchLists = faults.add({ status: 429, retryAfterSeconds: 1, match: { verb: 'watch', watchList: true } });
      const watches = faults.add({ status: 410, match: { verb: 'watch', watchList: false } });
      try {
        w.dev.cluster.dropWatches({ graceful: false });
        await during(w, FAULT_S * 1000);
      } finally {
        faults.remove(watches);
        faults.remove(watchLists);
      }
      return `every watch cut, then for ${FAULT_S} s every watch answered 410 Gone and every watch-list 429 (each re-list falls back to pages; ${faults.injected - injected} injected, ${stats.count('list') - lists} lists)`;
    },
  },
  {
    name: 'api-429', cluster: 'dev', run: async (w) => apiFault(w, { status: 429, retryAfterSeconds: 1, errorRate: 0.5, match: { verb: ['create', 'update', 'patch', 'delete', 'get', 'list'] } }),
  },
  {
    name: 'api-5xx', cluster: 'dev', run: async (w) => {
      const faults = w.dev.cluster.faults;
      const ids = [500, 503].map((status) => faults.add({ status, errorRate: 0.3, match: { verb: ['create', 'update', 'patch', 'delete', 'get', 'list'] } }));
      try { await during(w, FAULT_S * 1000); } finally { for (const id of ids) faults.remove(id); }
      return `30 % of requests 500 and 30 % of the rest 503 for ${FAULT_S} s`;
    },
  },
  {
    name: 'watch-drop', cluster: 'dev', run: async (w) => {
      await w.wave();
      let dropped = 0;
      for (let k = 0; k < 3; k++) {
        await sleep(300);
        dropped += w.dev.cluster.dropWatches({ graceful: false });
      }
      return `${dropped} watches cut mid-stream, three times 0.3 s apart, during the wave`;
    },
  },
];

async function apiFault(w: World, rule: Parameters<DevBenchCluster['cluster']['faults']['add']>[0]): Promise<string> {
  const faults = w.dev.cluster.faults;
  const injected = faults.injected;
  const id = faults.add(rule);
  try { await during(w, FAULT_S * 1000); } finally { faults.remove(id); }
  return `${Math.round((rule.errorRate ?? 1) * 100)} % of ${[rule.match?.verb ?? 'all'].flat().join('/')} answered ${rule.status} for ${FAULT_S} s (${faults.injected - injected} injected)`;
}

const started = Date.now();
const load = loadavg();
console.log(`fault matrix: ${COUNT} ExternalSecrets over ${DISTINCT} remote secrets; seed ${SEED}; load average at start ${load.map(round2).join(' ')} on ${cpus().length} CPUs`);
const rows: Row[] = [];
const coldStarts: Record<string, number> = {};
for (const kind of CLUSTERS as Array<'real' | 'dev'>) {
  const mine = faults.filter((f) => (ON || f.cluster) === kind && (ONLY.length === 0 || ONLY.includes(f.name)));
  if (!mine.length) continue;
  const world = await World.start(kind);
  try {
    const t0 = Date.now();
    await world.startOperator();
    while (world.notDone() > 0) {
      if (Date.now() - t0 > RECOVERY_TIMEOUT_MS) throw new Error(`cold start: ${world.notDone()} not Ready after ${RECOVERY_TIMEOUT_MS} ms`);
      await sleep(100);
    }
    coldStarts[kind] = round2((Date.now() - t0) / 1000);
    log(`${kind}: cold start ${coldStarts[kind]} s`);
    for (const fault of mine) rows.push(await runRow(world, fault.name, () => fault.run(world)));
  } finally {
    await world.stop();
  }
}
printMarkdownTable(['cluster', 'fault', 'Secrets lost / changed', 'wrong value at end', 'false Ready', 'duplicate versions', 'versions written / pruned', 'most not Ready', 'all Ready after (s)', 'note'],
  rows.map((r) => [r.cluster, r.fault, `${r.lost} / ${r.changed}`, r.wrongValue, r.falseReady, r.duplicates, `${r.versionsWritten} / ${r.pruned}`, r.maxNotReady, r.backSeconds ?? `>${RECOVERY_TIMEOUT_MS / 1000}`, r.note]));
const result = {
  parameters: { count: COUNT, namespaces: NAMESPACES, distinct: DISTINCT, faultSeconds: FAULT_S, outageSeconds: OUTAGE_S, seed: SEED, operatorArgs: OPERATOR_ARGS },
  operatorBuild: COMPILED ? 'compiled (dist/)' : 'sources through tsx',
  coldStartSeconds: coldStarts,
  rows,
  machine: { cpus: cpus().length, loadAverage1mAtStart: round2(load[0]!) },
  totalSeconds: Math.round((Date.now() - started) / 1000),
  date: new Date().toISOString(),
};
await mkdir(join(root, 'bench', 'results'), { recursive: true });
await writeFile(join(root, 'bench', 'results', 'faults.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`\n${result.totalSeconds} s in all; seed ${SEED}; bench/results/faults.json written`);
const bad = rows.filter((r) => r.lost || r.changed || r.wrongValue || r.falseReady || r.duplicates || r.backSeconds === null);
if (bad.length) {
  console.error(`faults broke the rules: ${bad.map((r) => r.fault).join(', ')}`);
  process.exitCode = 1;
}
