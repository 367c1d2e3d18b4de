// The fetch path against the AWS wire server: the real AWS provider (SDK over HTTP, SigV4)
// talks to a local Secrets Manager that enforces a token bucket of R requests/s (default
// 100), answers ThrottlingException past it, counts every call and adds a latency to each
// (default 20 ms). N fetches (one per ExternalSecret, default 10 000) over M distinct
// remote secrets (default 2 000, 20 % JSON read by property) go through `FetchPath`, once
// with merging, caching and batching on and once with them off (one call per fetch, as
// operators without a fetch path do), in the same run.
//
// Scenarios: cold start; steady refresh (after the "latest" TTL); rotation of 100 secrets
// (force-sync reads); an outage (503s, then recovery); two sharded instances sharing the
// endpoint, by static division and through a real redis-server when one is installed.
// This measures the fetch path alone: no controller, no Kubernetes writes.
// Prints a table and writes bench/results/fetch-path.json.
//
//   node --import tsx bench/fetch-path.ts [--count 10000] [--distinct 2000] [--rate 100] [--latency 20] [--outage 5000]
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createAwsProvider, type AwsConfig } from '../providers/aws/index.js';
import { selectProperty, type ProviderClient, type RemoteSecret } from '../providers/contract/index.js';
import { FetchPath, type FetchPathSwitches } from '../src/fetch/fetch-path.js';
import type { StoreHandle } from '../src/fetch/remote-fetcher.js';
import { AwsTestServer } from '../test/support/aws/aws-server.js';
import { makeTestDeps } from '../test/support/aws/provider-deps.js';
import { redisServerAvailable, startRedisServer } from '../test/fetch/support/redis-server.js';
import { numberArg } from './support/command-line.js';
import { printMarkdownTable } from './support/markdown-table.js';


const COUNT = numberArg('count', 10_000);
const DISTINCT = numberArg('distinct', 2_000);
const RATE = numberArg('rate', 100);
const LATENCY_MS = numberArg('latency', 20);
const OUTAGE_MS = numberArg('outage', 5_000);
const ROTATED = Math.min(100, DISTINCT);
const LATEST_TTL_MS = 2_000;
const BATCH = 20;
const accessKeyId = 'AKIAKEYFERRYBENCH001';
const secretAccessKey = 'benchSecretAccessKey/keyferry/0000000001';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keyOf = (externalSecret: number) => `bench/app-${externalSecret % DISTINCT}`;
const isJson = (externalSecret: number) => externalSecret % DISTINCT < DISTINCT / 5;

interface Row {
  mode: string;
  scenario: string;
  wallSeconds: number;
  lowerBoundSeconds: number;
  ratio: number;
  callsReceived: number;
  throttles: number;
  failedFetches: number;
  note?: string;
}

class Harness {
  server!: AwsTestServer;
  client!: ProviderClient;
  private samples: Array<{ at: number; calls: number }> = [];
  private sampler?: ReturnType<typeof setInterval>;

  async start(): Promise<void> {
    this.server = new AwsTestServer({ users: [{ accessKeyId, secretAccessKey }], throttle: { requestsPerSecond: RATE }, latencyMs: LATENCY_MS });
    await this.server.start();
    for (let i = 0; i < DISTINCT; i++) {
      this.server.store.put(keyOf(i), isJson(i) ? JSON.stringify({ user: `u${i}`, password: `p-${i}-v1` }) : `value-${i}-v1`);
    }
    this.client = await this.connect();
    this.sampler = setInterval(() => this.samples.push({ at: Date.now(), calls: this.calls() }), 100);
  }

  async connect(): Promise<ProviderClient> {
    const config: AwsConfig = {
      region: 'us-east-1',
      endpoint: this.server.url,
      auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws', key: 'id' }, secretAccessKeySecretRef: { name: 'aws', key: 'secret' } } },
    };
    const deps = makeTestDeps({ secrets: { 'team-a/aws': { id: accessKeyId, secret: secretAccessKey } } });
    return createAwsProvider({ maxAttempts: 1 }).connect(config, deps);
  }

  calls(): number {
    return (this.server.calls.GetSecretValue ?? 0) + (this.server.calls.BatchGetSecretValue ?? 0);
  }

  /** Most calls the server received in any one-second window since `sinceMs`. */
  peakPerSecond(sinceMs: number): number {
    const s = this.samples.filter((x) => x.at >= sinceMs);
    let peak = 0;
    for (let i = 0, j = 0; i < s.length; i++) {
      while (s[i]!.at - s[j]!.at > 1_000) j++;
      peak = Math.max(peak, s[i]!.calls - s[j]!.calls);
    }
    return peak;
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    await this.client.close();
    await this.server.close();
  }
}

function storeHandle(client: ProviderClient, id = 'SecretStore/team-a/aws'): StoreHandle {
  return {
    id,
    label: id.split('/').slice(1).join('/'),
    provider: 'aws',
    endpoint: `aws:us-east-1:bench`,
    client,
    rateLimit: { requestsPerSecond: RATE, burst: RATE, maxConcurrent: 50 },
    latestTtlMs: LATEST_TTL_MS,
  };
}

/** Fetches for the given ExternalSecrets at once; returns the failures. */
async function fetchAll(path: FetchPath, store: StoreHandle, externalSecrets: number[], fresh = false): Promise<{ failed: number; values: string[] }> {
  const results = await Promise.allSettled(
    externalSecrets.map(async (i) => {
      const secret: RemoteSecret = await path.fetch(store, { key: keyOf(i) }, { fresh });
      return isJson(i) ? selectProperty(secret, keyOf(i), 'password').toString() : secret.value.toString();
    }),
  );
  return {
    failed: results.filter((r) => r.status === 'rejected').length,
    values: results.map((r) => (r.status === 'fulfilled' ? r.value : '')),
  };
}

const range = (n: number, start = 0) => Array.from({ length: n }, (_, i) => start + i);

async function measure(
  harness: Harness,
  row: Omit<Row, 'wallSeconds' | 'ratio' | 'callsReceived' | 'throttles' | 'failedFetches'>,
  run: () => Promise<number>,
): Promise<Row> {
  const calls0 = harness.calls();
  const throttles0 = harness.server.throttledCalls;
  const t0 = performance.now();
  const failedFetches = await run();
  const wallSeconds = (performance.now() - t0) / 1000;
  return {
    ...row,
    wallSeconds: round(wallSeconds),
    ratio: round(wallSeconds / row.lowerBoundSeconds),
    callsReceived: harness.calls() - calls0,
    throttles: harness.server.throttledCalls - throttles0,
    failedFetches,
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
/** The physical limit: distinct remote secrets ÷ 20 per batch call, at R calls/s. */
const boundFor = (distinct: number) => Math.max(Math.ceil(distinct / BATCH) / RATE, LATENCY_MS / 1000);

async function runMode(mode: string, switches: Partial<FetchPathSwitches>): Promise<{ rows: Row[]; metricsCalls: number }> {
  const harness = new Harness();
  await harness.start();
  const registry = new Registry();
  // Fetches here are not ExternalSecrets a controller could requeue: they wait in the limiter
  // as long as it takes (the operator refuses waits past 5 s instead).
  const path = new FetchPath({ registry, switches, maxLimiterWaitMs: Number.POSITIVE_INFINITY });
  const store = storeHandle(harness.client);
  const all = range(COUNT);
  const rows: Row[] = [];
  try {
    rows.push(await measure(harness, { mode, scenario: 'cold start', lowerBoundSeconds: boundFor(DISTINCT) }, async () => (await fetchAll(path, store, all)).failed));
    await sleep(LATEST_TTL_MS + 100);
    rows.push(await measure(harness, { mode, scenario: 'steady refresh', lowerBoundSeconds: boundFor(DISTINCT) }, async () => (await fetchAll(path, store, all)).failed));

    // Rotation: new versions of ROTATED secrets, read with force-sync by every ExternalSecret using them.
    const rotatedKeys = range(ROTATED);
    for (const i of rotatedKeys) harness.server.store.put(keyOf(i), isJson(i) ? JSON.stringify({ user: `u${i}`, password: `p-${i}-v2` }) : `value-${i}-v2`);
    const users = all.filter((i) => i % DISTINCT < ROTATED);
    rows.push(
      await measure(harness, { mode, scenario: `rotation (${ROTATED} secrets)`, lowerBoundSeconds: boundFor(ROTATED) }, async () => {
        const { failed, values } = await fetchAll(path, store, users, true);
        const stale = values.filter((v) => !v.endsWith('-v2')).length;
        return failed + stale;
      }),
    );

    // Outage: every call answered 503 for OUTAGE_MS while ExternalSecrets keep refreshing
    // (force-sync, 100 of them every 500 ms); then time until a full round succeeds again.
    const probe = range(Math.min(100, COUNT));
    const outage = await measure(harness, { mode, scenario: `outage ${OUTAGE_MS / 1000} s + recovery`, lowerBoundSeconds: OUTAGE_MS / 1000 }, async () => {
      harness.server.unavailable = true;
      const until = Date.now() + OUTAGE_MS;
      const inFlight: Array<Promise<unknown>> = [];
      while (Date.now() < until) {
        inFlight.push(fetchAll(path, store, probe, true));
        await sleep(500);
      }
      harness.server.unavailable = false;
      await Promise.all(inFlight);
      const recoveredAt = Date.now();
      for (;;) {
        const { failed } = await fetchAll(path, store, probe, true);
        if (failed === 0) break;
        await sleep(200);
      }
      return Date.now() - recoveredAt;
    });
    outage.note = `all back ${round(outage.failedFetches / 1000)} s after recovery`;
    outage.failedFetches = 0;
    rows.push(outage);
    const metricsCalls = (await registry.getSingleMetric('externalsecret_provider_api_calls_count')!.get()).values.reduce((sum, v) => sum + v.value, 0);
    return { rows, metricsCalls };
  } finally {
    await path.close();
    await harness.stop();
  }
}

/** Two instances (shards) fetching half the ExternalSecrets each against one endpoint; together they need the same calls as one. */
async function runShards(label: string, limiter: { shardCount?: number; redisUrl?: string }): Promise<Row & { peakCallsPerSecond: number }> {
  const harness = new Harness();
  await harness.start();
  const paths = [0, 1].map(() => new FetchPath({ registry: new Registry(), limiter, maxLimiterWaitMs: Number.POSITIVE_INFINITY }));
  const stores = [storeHandle(harness.client), storeHandle(await harness.connect())];
  const since = Date.now();
  try {
    const row = await measure(harness, { mode: 'keyferry', scenario: `two shards, ${label}`, lowerBoundSeconds: boundFor(DISTINCT) }, async () => {
      const halves = [0, 1].map((shard) => range(COUNT).filter((i) => i % 2 === shard));
      const results = await Promise.all(paths.map((p, shard) => fetchAll(p, stores[shard]!, halves[shard]!)));
      return results.reduce((sum, r) => sum + r.failed, 0);
    });
    await sleep(150);
    return { ...row, peakCallsPerSecond: harness.peakPerSecond(since), note: `peak ${harness.peakPerSecond(since)} calls/s (R = ${RATE})` };
  } finally {
    await Promise.all(paths.map((p) => p.close()));
    await stores[1]!.client.close();
    await harness.stop();
  }
}

function printTable(rows: Row[]): void {
  printMarkdownTable(['mode', 'scenario', 'wall s', 'bound s', 'ratio', 'calls', 'throttles', 'failed', 'note'],
    rows.map((r) => [r.mode, r.scenario, r.wallSeconds, r.lowerBoundSeconds, r.ratio, r.callsReceived, r.throttles, r.failedFetches, r.note ?? '']));
}

const started = performance.now();
const cpu0 = process.cpuUsage();
const keyferry = await runMode('keyferry', {});
const switchedOff = await runMode('switched off', { merge: false, cache: false, batch: false });
const shards = [await runShards('static division', { shardCount: 2 })];
if (redisServerAvailable()) {
  const redis = await startRedisServer();
  try {
    shards.push(await runShards('Redis-shared budget', { redisUrl: redis.url }));
  } finally {
    await redis.stop();
  }
} else {
  console.error('redis-server not installed: skipping the Redis-shared shard scenario');
}
const rows = [...keyferry.rows, ...switchedOff.rows, ...shards];
printTable(rows);
const comparison = keyferry.rows.map((r, i) => ({
  scenario: r.scenario,
  callsRatio: round(switchedOff.rows[i]!.callsReceived / Math.max(1, r.callsReceived)),
  wallRatio: round(switchedOff.rows[i]!.wallSeconds / r.wallSeconds),
}));
console.log('\nswitched off ÷ keyferry (calls, wall time):');
for (const c of comparison) console.log(`  ${c.scenario}: ${c.callsRatio}× calls, ${c.wallRatio}× wall time`);
const cpu = process.cpuUsage(cpu0);
const result = {
  parameters: { count: COUNT, distinct: DISTINCT, rate: RATE, latencyMs: LATENCY_MS, outageMs: OUTAGE_MS, latestTtlMs: LATEST_TTL_MS },
  machine: { cpus: cpus().length, loadavg: loadavg() },
  rows,
  comparison,
  metricsApiCalls: { keyferry: keyferry.metricsCalls, switchedOff: switchedOff.metricsCalls },
  process: { peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), cpuSeconds: round((cpu.user + cpu.system) / 1e6), totalSeconds: round((performance.now() - started) / 1000) },
};
console.log(`\nbench process (server, provider and fetch path together): peak RSS ${result.process.peakRssMb} MB, ${result.process.cpuSeconds} CPU s`);
await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
await writeFile(join(import.meta.dirname, 'results', 'fetch-path.json'), `${JSON.stringify(result, null, 2)}\n`);
