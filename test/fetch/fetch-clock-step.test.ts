// The fetch path's clock measures durations, so a stepped wall clock must not move it: after
// a step back, a cached "latest" read must not look younger than it is.
import assert from 'node:assert/strict';
import { FetchCache } from '../../src/fetch/fetch-cache.js';
import { systemFetchClock } from '../../src/fetch/fetch-clock.js';

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
