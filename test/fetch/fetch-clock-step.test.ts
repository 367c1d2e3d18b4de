// The fetch path's clock measures durations, so a stepped wall clock must not move it: after
// a step back, a cached "latest" read must not look younger than it is, and an open circuit
// must not stay open for the length of the step.
import assert from 'node:assert/strict';
import { UnavailableError } from '../../providers/contract/index.js';
import { FetchCache } from '../../src/fetch/fetch-cache.js';
import { systemFetchClock } from '../../src/fetch/fetch-clock.js';
import { StoreBreakers, type BreakerState } from '../../src/fetch/store-breakers.js';

const HOUR = 3_600_000;

describe('fetch clock and wall-clock steps', () => {
  const realNow = Date.now;
  afterEach(() => {
    Date.now = realNow;
  });

  it('does not move when the wall clock steps back or forward', () => {
    const before = systemFetchClock.now();
    Date.now = () => realNow() - 3 * HOUR;
    const back = systemFetchClock.now();
    Date.now = () => realNow() + 2 * HOUR;
    const forward = systemFetchClock.now();
    assert.ok(back >= before && back - before < 60_000, `${back - before} ms after a 3 h step back`);
    assert.ok(forward >= back && forward - back < 60_000, `${forward - back} ms after a 2 h step forward`);
  });

  it('a cached latest read stored before a step back is not served as fresh after it', () => {
    const cache = new FetchCache({ maxBytes: 1 << 20, clock: systemFetchClock });
    const key = FetchCache.key('store', 'db', undefined);
    cache.set(key, { value: Buffer.from('v1') }, 10_000);
    Date.now = () => realNow() - 3 * HOUR;
    // An age of 0 accepts nothing cached: whatever the wall clock says, the entry is at least that old.
    assert.equal(cache.get(key, 0), undefined);
    assert.ok(cache.get(key, 60_000), 'a younger-than-60 s entry is still served');
  });
});

describe('store breakers and wall-clock steps', () => {
  const realNow = Date.now;
  afterEach(() => {
    Date.now = realNow;
  });

  it('an open circuit does not stay open for the length of a step back', async () => {
    const changes: BreakerState[] = [];
    const breakers = new StoreBreakers({ threshold: 2, halfOpenAfterMs: 1_000 }, (_id, s) => changes.push(s));
    const failing = () => Promise.reject(new UnavailableError('503 Service Unavailable', { reason: 'ServiceUnavailable', code: '503' }));
    for (let i = 0; i < 2; i++) await assert.rejects(breakers.execute('s1', 'ns/store', failing), /503/);
    assert.equal(breakers.state('s1'), 'open');
    Date.now = () => realNow() - 3 * HOUR;
    // Real time goes on past the open period; the wall clock now reads 3 h earlier.
    const later = Date.now;
    Date.now = () => later() + 1_500;
    assert.equal(await breakers.execute('s1', 'ns/store', () => Promise.resolve('ok')), 'ok');
    assert.equal(breakers.state('s1'), 'closed');
    assert.deepEqual(changes, ['open', 'closed']);
  });
});
