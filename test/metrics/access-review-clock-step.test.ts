// A cached access decision ages on a monotonic clock: after the wall clock steps back, an
// "allowed" answer must not outlive its TTL by the length of the step.
import assert from 'node:assert/strict';
import { MetricsAccessReviewer } from '../../src/metrics/access-review.js';

const HOUR = 3_600_000;

describe('MetricsAccessReviewer and wall-clock steps', () => {
  const realDateNow = Date.now;
  const realPerfNow = performance.now.bind(performance);
  afterEach(() => {
    Date.now = realDateNow;
    performance.now = realPerfNow;
  });

  it('reviews a token again once its allowed TTL has passed, though the wall clock stepped back 3 h', async () => {
    let reviews = 0;
    const reviewer = new MetricsAccessReviewer({
      createTokenReview: async () => {
        reviews++;
        return { status: { authenticated: true, user: { username: 'system:serviceaccount:monitoring:prometheus' } } };
      },
      createSubjectAccessReview: async () => ({ status: { allowed: true } }),
    }, { path: '/metrics', allowTtlMs: 60_000 });
    assert.equal((await reviewer.review('token')).outcome, 'allowed');
    assert.equal((await reviewer.review('token')).outcome, 'allowed');
    assert.equal(reviews, 1, 'cached within its TTL');
    // 61 s of real time pass, and the wall clock steps back 3 h meanwhile.
    performance.now = () => realPerfNow() + 61_000;
    Date.now = () => realDateNow() - 3 * HOUR + 61_000;
    await reviewer.review('token');
    assert.equal(reviews, 2, 'reviewed again after its TTL');
  });
});
