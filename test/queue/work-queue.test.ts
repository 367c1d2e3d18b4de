import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WorkQueue } from '../../src/queue/work-queue.js';
import { runWorkers } from '../../src/queue/workers.js';
import { FakeTimers } from './fake-timers.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('WorkQueue', () => {
  it('queues a key added twice once', async () => {
    const q = new WorkQueue({ timers: new FakeTimers() });
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
  });

  it('never hands a key being processed to a second worker, and re-queues it on done', async () => {
    const q = new WorkQueue({ timers: new FakeTimers() });
    q.add('a');
    const first = await q.get();
    q.add('a');
    assert.equal(q.length, 0, 'a re-add while processing waits');
    q.done(first!);
    assert.equal(q.length, 1);
    assert.equal(await q.get(), 'a');
  });

  it('addAfter keeps the earliest time', async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers });
    q.addAfter('a', 1000);
    q.addAfter('a', 100);
    q.addAfter('a', 5000);
    assert.equal(q.pendingAt('a'), 100);
    assert.equal(timers.count, 1);
    timers.advance(99);
    assert.equal(q.length, 0);
    timers.advance(1);
    assert.equal(q.length, 1);
    timers.advance(10_000);
    assert.equal(q.length, 1, 'the later adds were dropped');
  });

  it('backs off exponentially per key up to a cap, and forget resets it', () => {
    const timers = new FakeTimers();
    let retries = 0;
    const q = new WorkQueue({ timers, baseDelayMs: 10, maxDelayMs: 50, observer: { retry: () => retries++ } });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => q.addRateLimited('a')), [10, 20, 40, 50, 50]);
    assert.equal(q.addRateLimited('b'), 10);
    assert.equal(q.retries('a'), 5);
    q.forget('a');
    assert.equal(q.addRateLimited('a'), 10);
    assert.equal(retries, 7);
  });

  it('reports depth', () => {
    const depths: number[] = [];
    const q = new WorkQueue({ timers: new FakeTimers(), observer: { depth: (n) => depths.push(n) } });
    q.add('a');
    q.add('b');
    assert.deepEqual(depths, [1, 2]);
  });

  it('shutDown wakes idle getters, cancels delayed adds and waits for in-flight keys', async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers });
    q.add('a');
    const key = await q.get();
    const idle = q.get();
    q.addAfter('b', 100);
    let drained = false;
    const done = q.shutDown().then(() => { drained = true; });
    assert.equal(await idle, undefined);
    assert.equal(timers.count, 0);
    await tick();
    assert.equal(drained, false);
    q.done(key!);
    await done;
    assert.equal(drained, true);
    q.add('c');
    assert.equal(q.length, 0, 'no adds after shutdown');
  });

  it('keeps one platform timer for any number of delayed adds, and adds them in due order (equal times in arrival order)', async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers });
    const delays = [500, 100, 300, 100, 900, 200, 300];
    delays.forEach((ms, i) => q.addAfter(`k${i}`, ms));
    q.addAfter('k4', 50);
    assert.equal(timers.count, 1);
    timers.advance(100);
    assert.equal(q.length, 3, 'k4 (moved to 50) and both at 100');
    timers.advance(1000);
    assert.equal(timers.count, 0);
    const order: string[] = [];
    while (q.length > 0) order.push((await q.get())!);
    assert.deepEqual(order, ['k4', 'k1', 'k3', 'k5', 'k2', 'k6', 'k0']);
  });

  it('holds a pending requeue in at most 120 B of heap (measured ~70 B; a timer each took ~540 B), and drops superseded times', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // 50 000 keys: other allocations of the test process during the measurement (some hundred
    // KiB at times) come to a few bytes per key, not tens.
    const keys = Array.from({ length: 50_000 }, (_, i) => `team-${i % 100}/es-${i}`);
    gc(); gc();
    const before = process.memoryUsage().heapUsed;
    const q = new WorkQueue();
    keys.forEach((key, i) => q.addAfter(key, 3_600_000 + i));
    gc(); gc();
    const perKey = (process.memoryUsage().heapUsed - before) / keys.length;
    assert.ok(perKey <= 120, `${Math.round(perKey)} B per pending requeue`);
    // A key moved sooner again and again leaves no trail of superseded times.
    for (let i = 1; i <= 50_000; i++) q.addAfter(keys[0]!, 3_000_000 - i);
    assert.ok((q as unknown as { due: { size: number } }).due.size <= 2 * keys.length + 64);
    void q.shutDown();
  });
});

describe('runWorkers', () => {
  it('forgets on success, requeues after requeueAfter, backs off on error', async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers, baseDelayMs: 10 });
    const calls: string[] = [];
    let failB = 2;
    const running = runWorkers(q, 2, async (key) => {
      calls.push(key);
      if (key === 'b' && failB-- > 0) throw new Error('boom');
      return key === 'a' ? { requeueAfter: 1000 } : {};
    });
    q.add('a');
    q.add('b');
    await tick();
    assert.deepEqual(calls.sort(), ['a', 'b']);
    assert.equal(q.pendingAt('a'), 1000);
    assert.equal(q.pendingAt('b'), 10);
    timers.advance(10);
    await tick();
    assert.equal(q.pendingAt('b'), 10 + 20, 'second failure doubles the delay');
    timers.advance(20);
    await tick();
    assert.equal(calls.filter((k) => k === 'b').length, 3);
    assert.equal(q.retries('b'), 0, 'success forgets');
    await q.shutDown();
    await running;
  });

  it('never runs one key on two workers at once', async () => {
    const q = new WorkQueue({ timers: new FakeTimers() });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const running = runWorkers(q, 4, async () => {
      active++;
      runs++;
      maxActive = Math.max(maxActive, active);
      if (runs === 1) await gate;
      active--;
    });
    q.add('k');
    await tick();
    q.add('k');
    q.add('k');
    await tick();
    assert.equal(maxActive, 1);
    release();
    await tick();
    await tick();
    assert.equal(runs, 2, 'the re-adds collapse into one more run');
    assert.equal(maxActive, 1);
    await q.shutDown();
    await running;
  });
});

describe('WorkQueue fairness between namespaces', () => {
  const byNamespace = (key: string) => key.split('/')[0]!;

  it('takes from the namespaces in turn, so one namespace\'s thousand keys do not queue ahead of another\'s one', async () => {
    const q = new WorkQueue({ timers: new FakeTimers(), groupOf: byNamespace });
    for (let i = 0; i < 1000; i++) q.add(`noisy/es-${i}`);
    q.add('quiet/db');
    const first = [await q.get(), await q.get()];
    assert.deepEqual(first, ['noisy/es-0', 'quiet/db']);
    assert.equal(q.length, 999);
  });

  it('gives a namespace at its cap no further worker while another namespace waits, and every worker while none does', async () => {
    const q = new WorkQueue({ timers: new FakeTimers(), groupOf: byNamespace, maxInFlightPerGroup: 2 });
    for (let i = 0; i < 6; i++) q.add(`slow/es-${i}`);
    // Nobody else waits: the slow namespace may use every worker (work-conserving).
    const held = [await q.get(), await q.get(), await q.get()];
    assert.deepEqual(held, ['slow/es-0', 'slow/es-1', 'slow/es-2']);
    q.add('other/db');
    q.done(held[0]!);
    // A freed worker goes to the namespace under its cap.
    assert.equal(await q.get(), 'other/db');
    // slow holds 2 (its cap) and comes first in turn; other's next key goes first anyway.
    q.add('other/api');
    q.done('other/db');
    assert.equal(await q.get(), 'other/api');
    q.done('other/api');
    assert.equal(await q.get(), 'slow/es-3', 'with nobody else waiting, slow gets the worker again');
  });
});

describe('WorkQueue stall detection', () => {
  it('counts time only while keys wait and none finishes', async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers });
    assert.equal(q.stalledForMs(), 0);
    q.add('a');
    q.add('b');
    const a = await q.get();
    timers.advance(30_000);
    assert.equal(q.stalledForMs(), 30_000, 'b has waited 30 s and nothing finished');
    q.done(a!);
    assert.equal(q.stalledForMs(), 0, 'a key finished: progress');
    await q.get();
    assert.equal(q.stalledForMs(), 0, 'nothing waits');
  });
});

describe('runWorkers deadline', () => {
  it('aborts a reconcile\'s signal at the deadline, so whatever it waits on ends and the worker is free', async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers });
    const seen: string[] = [];
    const running = runWorkers(q, 1, async (key, { signal }) => {
      if (key === 'tarpit') {
        // Waits for a provider that never answers, until the signal gives up.
        await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }
      seen.push(key);
    }, { deadlineMs: 30_000, timers, onError: (key, error) => seen.push(`${key}: ${(error as Error).message}`) });
    q.add('tarpit');
    q.add('next');
    await tick();
    assert.deepEqual(seen, []);
    timers.advance(30_000);
    await tick();
    await tick();
    assert.deepEqual(seen, ['tarpit: no answer within 30 s; given up for now', 'next']);
    await q.shutDown();
    await running;
  });
});
