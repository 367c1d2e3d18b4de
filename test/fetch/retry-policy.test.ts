// cockatiel schedules its backoff with the global setTimeout, so these tests drive it with
// Node's mock timers.
import { strict as assert } from 'node:assert';
import { mock } from 'node:test';
import { AuthError, ConfigError, InvalidDataError, NotFoundError, ThrottledError, UnavailableError } from '../../providers/contract/index.js';
import { createRetryPolicy } from '../../src/fetch/retry-policy.js';
import { settle } from './support/fake-clock.js';

describe('retry policy', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  async function advance(ms: number): Promise<void> {
    mock.timers.tick(ms);
    await settle();
  }

  it('waits at least the Retry-After of a throttle before the next attempt', async () => {
    const policy = createRetryPolicy({ maxRetries: 3, initialDelayMs: 10, maxDelayMs: 100 });
    const attemptsAt: number[] = [];
    const result = policy.execute(async () => {
      attemptsAt.push(Date.now());
      if (attemptsAt.length === 1) throw new ThrottledError('rate exceeded', { retryAfterMs: 3_000 });
      return 'ok';
    });
    await settle();
    assert.equal(attemptsAt.length, 1);
    await advance(2_999);
    assert.equal(attemptsAt.length, 1, 'retried before Retry-After');
    await advance(1);
    assert.equal(await result, 'ok');
    assert.deepEqual(attemptsAt, [0, 3_000]);
  });

  it('does not wait inside the call for a Retry-After longer than maxRetryAfterMs', async () => {
    const policy = createRetryPolicy({ maxRetries: 3, initialDelayMs: 10, maxDelayMs: 100, maxRetryAfterMs: 30_000 });
    let attempts = 0;
    const result = policy.execute(async () => {
      attempts++;
      throw new ThrottledError('rate limit quota exceeded', { retryAfterMs: 1_000_000 });
    });
    await assert.rejects(result, (e: unknown) => e instanceof ThrottledError && e.retryAfterMs === 1_000_000);
    assert.equal(attempts, 1);
  });

  it('backs off exponentially with full jitter, capped, and gives up after maxRetries', async () => {
    const policy = createRetryPolicy({ maxRetries: 3, initialDelayMs: 100, maxDelayMs: 250 });
    const attemptsAt: number[] = [];
    const result = policy.execute(async () => {
      attemptsAt.push(Date.now());
      throw new UnavailableError('503');
    });
    const rejected = assert.rejects(result, (e: unknown) => e instanceof UnavailableError);
    for (let i = 0; i < 150; i++) await advance(10);
    await rejected;
    assert.equal(attemptsAt.length, 4);
    const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]!);
    for (const gap of gaps) assert.ok(gap >= 0 && gap <= 260, `gap ${gap} ms outside full jitter [0, cap] (10 ms steps)`);
  });

  for (const error of [
    new NotFoundError('missing'),
    new AuthError('denied'),
    new ConfigError('bad region'),
    new InvalidDataError('not JSON'),
    new UnavailableError('circuit open', { reason: 'CircuitOpen' }),
  ]) {
    it(`does not retry ${error.name}${error.reason === 'CircuitOpen' ? ' (CircuitOpen)' : ''}`, async () => {
      const policy = createRetryPolicy({ maxRetries: 3, initialDelayMs: 1, maxDelayMs: 1 });
      let attempts = 0;
      await assert.rejects(
        policy.execute(async () => {
          attempts++;
          throw error;
        }),
        (e: unknown) => e === error,
      );
      assert.equal(attempts, 1);
    });
  }
});
