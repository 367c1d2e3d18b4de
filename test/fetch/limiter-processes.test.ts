// Two limiter instances in two processes against one endpoint: with a real redis-server
// they share one budget; without Redis, static division keeps their sum within it.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { redisServerAvailable, startRedisServer, type RedisServer } from './support/redis-server.js';

const childScript = join(import.meta.dirname, 'support', 'limiter-child.ts');
const rateLimit = { requestsPerSecond: 20, burst: 4, maxConcurrent: 10 };
const jobsPerProcess = 20;

interface Child {
  process: ChildProcess;
  lines: string[];
  waitFor(predicate: (line: string) => boolean): Promise<string>;
}

function startChild(config: object): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: Array<{ predicate: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => w.predicate(line))) w.resolve(line);
    }
  });
  return {
    process: child,
    lines,
    waitFor: (predicate) =>
      new Promise((resolve, reject) => {
        const found = lines.find(predicate);
        if (found) return resolve(found);
        waiters.push({ predicate, resolve });
        child.once('exit', (code) => reject(new Error(`child exited (${code}) before the expected line`)));
      }),
  };
}

/** Largest number of starts inside any window of `windowMs`. */
function maxInWindow(starts: number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function runPair(config: object): Promise<number[]> {
  const children = [startChild(config), startChild(config)];
  try {
    await Promise.all(children.map((c) => c.waitFor((l) => l === 'ready')));
    for (const c of children) c.process.stdin!.write('go\n');
    const results = await Promise.all(children.map((c) => c.waitFor((l) => l.startsWith('{'))));
    return results.flatMap((line) => (JSON.parse(line) as { starts: number[] }).starts);
  } finally {
    for (const c of children) if (c.process.exitCode === null) c.process.kill();
  }
}

describe('endpoint limiters across processes', function () {
  this.timeout(30_000);

  describe('with --redis-url (bottleneck ioredis datastore on a real redis-server)', () => {
    let redis: RedisServer | undefined;

    before(async function () {
      if (!redisServerAvailable()) {
        console.warn('redis-server binary not found: skipping the shared-budget test (install redis-server to run it)');
        this.skip();
      }
      redis = await startRedisServer();
    });
    after(async () => redis?.stop());

    it('two processes share one budget: their combined rate stays within it', async () => {
      const starts = await runPair({ redisUrl: redis!.url, jobs: jobsPerProcess, rateLimit });
      assert.equal(starts.length, 2 * jobsPerProcess);
      const span = Math.max(...starts) - Math.min(...starts);
      // One shared bucket: burst 4, then 20/s, so 40 calls need at least (40-4)/20 = 1.8 s.
      // Two separate buckets would finish in about 0.8 s.
      assert.ok(span >= 1_500, `40 calls took ${span} ms; a shared budget needs about 1800 ms`);
      const peak = maxInWindow(starts, 1_000);
      assert.ok(peak <= rateLimit.burst + rateLimit.requestsPerSecond + 2, `${peak} calls in one second`);
    });
  });

  describe('with static division (--shard-count 2)', () => {
    it('two processes each take half, so the sum stays within the budget', async () => {
      const starts = await runPair({ shardCount: 2, jobs: jobsPerProcess, rateLimit });
      assert.equal(starts.length, 2 * jobsPerProcess);
      const span = Math.max(...starts) - Math.min(...starts);
      // Each process: burst 2 then 10/s, so 20 calls take at least 1.8 s.
      assert.ok(span >= 1_500, `40 calls took ${span} ms`);
      const peak = maxInWindow(starts, 1_000);
      assert.ok(peak <= rateLimit.burst + rateLimit.requestsPerSecond + 2, `${peak} calls in one second`);
    });
  });
});
