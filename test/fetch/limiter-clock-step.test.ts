// bottleneck times its buckets with Date.now(): after the wall clock steps back, the endpoint
// limiters are made again instead of holding every call for as long as the step.
import { strict as assert } from 'node:assert';
import { EndpointLimiters } from '../../src/fetch/endpoint-limiters.js';
import { systemFetchClock } from '../../src/fetch/fetch-clock.js';

describe('EndpointLimiters: a wall clock that steps back', function () {
  this.timeout(15_000);
  const realNow = Date.now;
  afterEach(() => {
    Date.now = realNow;
  });

  for (const stepMs of [3 * 3_600_000, 5_000]) {
    it(`keeps calls flowing after a step back of ${stepMs / 1000} s`, async () => {
      const limiters = new EndpointLimiters({ clock: systemFetchClock });
      try {
        const budget = { requestsPerSecond: 20, burst: 5, maxConcurrent: 5 };
        const run = (n: number) => Promise.all(Array.from({ length: n }, () => limiters.schedule('aws:local', budget, async () => 'ok', { maxWaitMs: 5_000 })));
        // Past the burst, so the bucket has been drawn on and refilled on the real clock.
        await run(10);
        Date.now = () => realNow() - stepMs;
        const started = performance.now();
        const results = await run(10);
        assert.equal(results.length, 10);
        const tookMs = performance.now() - started;
        assert.ok(tookMs < 2_000, `10 calls after the step took ${Math.round(tookMs)} ms`);
      } finally {
        Date.now = realNow;
        await limiters.close();
      }
    });
  }
});
