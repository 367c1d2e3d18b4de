import { strict as assert } from 'node:assert';
import { EndpointLimiters, tokenBucketFor } from '../../src/fetch/endpoint-limiters.js';
import { systemFetchClock } from '../../src/fetch/fetch-clock.js';
import { FakeFetchClock } from './support/fake-clock.js';
import { isThrottled } from '../../providers/contract/index.js';
import { LIMITER_BUSY_REASON } from '../../src/fetch/remote-fetcher.js';

const budget = { requestsPerSecond: 100, burst: 20, maxConcurrent: 10 };

describe('EndpointLimiters', () => {
  it('gives stores with the same endpoint identity one limiter, and other endpoints their own', async () => {
    const limiters = new EndpointLimiters({ clock: new FakeFetchClock() });
    try {
      const a = limiters.limiterFor('aws:123456789012:eu-west-1:role/a', budget);
      const b = limiters.limiterFor('aws:123456789012:eu-west-1:role/a', { ...budget, requestsPerSecond: 5 });
      const c = limiters.limiterFor('aws:123456789012:us-east-1:role/a', budget);
      assert.equal(a, b);
      assert.notEqual(a, c);
      assert.equal(limiters.size, 2);
      limiters.release('aws:123456789012:eu-west-1:role/a');
      assert.equal(limiters.limiterFor('aws:123456789012:eu-west-1:role/a', budget), a, 'same budget after a spec change: same limiter');
      limiters.release('aws:123456789012:eu-west-1:role/a');
      const d = limiters.limiterFor('aws:123456789012:eu-west-1:role/a', { ...budget, requestsPerSecond: 5 });
      assert.notEqual(d, a, 'a changed budget after a spec change gets a new limiter');
    } finally {
      await limiters.close();
    }
  });

  it('turns a budget into a token bucket, divided by the shard count', () => {
    assert.deepEqual(tokenBucketFor(budget), {
      reservoir: 20,
      reservoirIncreaseAmount: 5,
      reservoirIncreaseInterval: 50,
      reservoirIncreaseMaximum: 20,
      maxConcurrent: 10,
    });
    const half = tokenBucketFor(budget, 2);
    assert.equal(half.reservoir, 10);
    assert.equal((half.reservoirIncreaseAmount * 1000) / half.reservoirIncreaseInterval, 50);
    assert.equal(half.maxConcurrent, 5);
    const slow = tokenBucketFor({ requestsPerSecond: 0.5, burst: 1, maxConcurrent: 1 }, 4);
    assert.ok(slow.reservoir >= 1 && slow.maxConcurrent >= 1, 'a divided budget never drops to zero');
  });

  it('two stores on one endpoint draw from one budget', async () => {
    const limiters = new EndpointLimiters({ clock: systemFetchClock });
    try {
      const small = { requestsPerSecond: 20, burst: 2, maxConcurrent: 5 };
      const started: number[] = [];
      const t0 = Date.now();
      const run = () => limiters.schedule('vault:https://vault.example:8200:ns1', small, async () => void started.push(Date.now() - t0));
      await Promise.all([run(), run(), run(), run(), run(), run()]);
      // Burst 2, then one every 50 ms: the sixth starts about 200 ms in.
      assert.ok(Math.max(...started) >= 150, `six calls started within ${Math.max(...started)} ms`);
    } finally {
      await limiters.close();
    }
  });

  it('reports queue depth and wait, and slows an endpoint down for a while after a throttle', async () => {
    const clock = new FakeFetchClock();
    let depth = 0;
    const waits: number[] = [];
    const limiters = new EndpointLimiters({
      clock,
      throttleCooldownMs: 5_000,
      onQueue: (_e, d) => (depth += d),
      onWait: (_e, ms) => waits.push(ms),
    });
    try {
      await limiters.schedule('e', budget, async () => undefined);
      assert.equal(depth, 0);
      assert.equal(waits.length, 1);
      limiters.slowDown('e', 8_000);
      assert.equal(limiters.isSlowed('e'), true);
      clock.tick(7_999);
      assert.equal(limiters.isSlowed('e'), true, 'Retry-After longer than the cooldown is honoured');
      clock.tick(1);
      assert.equal(limiters.isSlowed('e'), false);
    } finally {
      await limiters.close();
    }
  });

  it('after a throttle, drops the tokens left and runs at half rate', async () => {
    const limiters = new EndpointLimiters({ clock: systemFetchClock, throttleCooldownMs: 60_000 });
    try {
      const small = { requestsPerSecond: 20, burst: 5, maxConcurrent: 5 };
      await limiters.schedule('e', small, async () => undefined);
      limiters.slowDown('e');
      const t0 = Date.now();
      await Promise.all([1, 2, 3].map(() => limiters.schedule('e', small, async () => undefined)));
      // Unthrottled, the 4 tokens left would run these at once; drained and at two tokens
      // a call with one token per 50 ms, the third starts about 300 ms in.
      const took = Date.now() - t0;
      assert.ok(took >= 240, `three calls after a throttle took ${took} ms`);
    } finally {
      await limiters.close();
    }
  });

  it('rejects a --redis-url that is not a redis URL', () => {
    assert.throws(() => new EndpointLimiters({ clock: systemFetchClock, redisUrl: 'http://127.0.0.1:6379' }), /redis:\/\//);
  });
});

describe('EndpointLimiters: a slow budget never holds its caller', () => {
  // The attack: rateLimit.requestsPerSecond 0.001 (the least the CRD admits) and several ExternalSecrets on it. Every
  // call past the burst would wait hours inside the limiter, and with it a reconcile worker.
  const glacial = { requestsPerSecond: 0.001, burst: 1, maxConcurrent: 1 };

  it('refuses at once, without queueing, a call the budget would start later than maxWaitMs, saying when', async () => {
    const clock = new FakeFetchClock();
    const limiters = new EndpointLimiters({ clock });
    try {
      let calls = 0;
      const work = async () => { calls++; return 'value'; };
      assert.equal(await limiters.schedule('slow', glacial, work, { maxWaitMs: 5_000 }), 'value', 'the burst token is spent at once');
      const refused = await limiters.schedule('slow', glacial, work, { maxWaitMs: 5_000 }).then(() => undefined, (e: unknown) => e);
      assert.ok(isThrottled(refused), String(refused));
      assert.equal(refused.reason, LIMITER_BUSY_REASON);
      // One token per 1 000 s.
      assert.ok(refused.retryAfterMs! > 900_000 && refused.retryAfterMs! <= 1_000_000, String(refused.retryAfterMs));
      assert.match(refused.message, /rate limit \(spec\.rateLimit\) allows this call in about 17 min/);
      assert.equal(calls, 1, 'the refused call never reached the provider');
    } finally {
      await limiters.close();
    }
  });

  it('gives up a queued call at maxWaitMs (the caller goes, the call is never made) and stops waiting on abort', async () => {
    const clock = new FakeFetchClock();
    // Resolves when the next call has entered the limiter's queue (its wait timer is set by then).
    let onQueued: () => void = () => undefined;
    const queuedNow = () => new Promise<void>((r) => { onQueued = r; });
    const limiters = new EndpointLimiters({ clock, onQueue: (_e, delta) => { if (delta > 0) onQueued(); } });
    try {
      // Concurrency 1 and a call that does not finish: the next one queues with tokens to spare.
      const budget = { requestsPerSecond: 100, burst: 10, maxConcurrent: 1 };
      let release!: () => void;
      let running!: () => void;
      const isRunning = new Promise<void>((r) => { running = r; });
      const blocking = limiters.schedule('busy', budget, () => new Promise<void>((r) => { release = r; running(); }));
      await isRunning;
      let made = 0;
      let entered = queuedNow();
      const queued = limiters.schedule('busy', budget, async () => { made++; }, { maxWaitMs: 1_000 }).then(() => undefined, (e: unknown) => e);
      await entered;
      clock.tick(1_000);
      const gaveUp = await queued;
      assert.ok(isThrottled(gaveUp) && gaveUp.reason === LIMITER_BUSY_REASON, String(gaveUp));
      const controller = new AbortController();
      entered = queuedNow();
      const aborted = limiters.schedule('busy', budget, async () => { made++; }, { signal: controller.signal }).then(() => undefined, (e: unknown) => e);
      await entered;
      controller.abort(new Error('store deleted'));
      assert.match(String(await aborted), /store deleted/);
      let last!: () => void;
      const lastRan = new Promise<void>((r) => { last = r; });
      const after = limiters.schedule('busy', budget, async () => { last(); });
      release();
      await blocking;
      // Calls run in order: once a later one has run, the abandoned ones have had their turn.
      await lastRan;
      await after;
      assert.equal(made, 0, 'a call whose caller left is not made');
    } finally {
      await limiters.close();
    }
  });
});
