import { strict as assert } from 'node:assert';
import { FetchCache } from '../../src/fetch/fetch-cache.js';
import { isPinnedVersion } from '../../src/fetch/pinned-version.js';
import { FakeFetchClock } from './support/fake-clock.js';

const secret = (bytes: number) => ({ value: Buffer.alloc(bytes, 1) });

describe('FetchCache', () => {
  it('stays within its byte bound, evicting the least recently used', () => {
    const cache = new FetchCache({ maxBytes: 1_000, clock: new FakeFetchClock() });
    const keys = ['a', 'b', 'c', 'd'].map((k) => FetchCache.key('store', k, '1'));
    cache.set(keys[0]!, secret(300), undefined);
    cache.set(keys[1]!, secret(300), undefined);
    assert.ok(cache.get(keys[0]!)); // a is now more recent than b
    cache.set(keys[2]!, secret(300), undefined);
    assert.ok(cache.bytes <= 1_000, `${cache.bytes} bytes cached`);
    assert.equal(cache.get(keys[1]!), undefined, 'least recently used entry evicted');
    assert.ok(cache.get(keys[0]!));
    assert.ok(cache.get(keys[2]!));
    cache.set(keys[3]!, secret(5_000), undefined);
    assert.equal(cache.get(keys[3]!), undefined, 'an entry larger than the cache is not kept');
  });

  it('keeps a "latest" read only for its TTL, and a pinned one without expiry', () => {
    const clock = new FakeFetchClock();
    const cache = new FetchCache({ maxBytes: 10_000, clock });
    const latest = FetchCache.key('store', 'k', undefined);
    const pinned = FetchCache.key('store', 'k', '7');
    cache.set(latest, secret(10), 5_000);
    cache.set(pinned, secret(10), undefined);
    clock.tick(4_999);
    assert.ok(cache.get(latest));
    clock.tick(2);
    assert.equal(cache.get(latest), undefined);
    clock.tick(24 * 3600_000);
    assert.ok(cache.get(pinned));
  });

  it('serves a reader only what is younger than the age it accepts', () => {
    const clock = new FakeFetchClock();
    const cache = new FetchCache({ maxBytes: 10_000, clock });
    const latest = FetchCache.key('store', 'k', undefined);
    cache.set(latest, secret(10), 10_000);
    clock.tick(3_000);
    assert.ok(cache.get(latest, 5_000), '3 s old, 5 s accepted');
    assert.equal(cache.get(latest, 1_000), undefined, '3 s old, 1 s accepted');
    assert.ok(cache.get(latest), 'still there for readers without a limit');
  });

  it('does not keep anything with a TTL of 0', () => {
    const cache = new FetchCache({ maxBytes: 10_000, clock: new FakeFetchClock() });
    cache.set(FetchCache.key('s', 'k', undefined), secret(10), 0);
    assert.equal(cache.size, 0);
  });

  it('forgetStore drops that store only', () => {
    const cache = new FetchCache({ maxBytes: 10_000, clock: new FakeFetchClock() });
    cache.set(FetchCache.key('s1', 'k', '1'), secret(10), undefined);
    cache.set(FetchCache.key('s1', 'j', undefined), secret(10), 1_000);
    cache.set(FetchCache.key('s2', 'k', '1'), secret(10), undefined);
    cache.forgetStore('s1');
    assert.equal(cache.size, 1);
    assert.ok(cache.get(FetchCache.key('s2', 'k', '1')));
  });
});

describe('isPinnedVersion', () => {
  it('treats version ids as pinned and moving aliases or stages as not', () => {
    assert.equal(isPinnedVersion('aws', 'AWSCURRENT'), false);
    assert.equal(isPinnedVersion('aws', 'uuid/01234567-89ab-cdef-0123-456789abcdef'), true);
    assert.equal(isPinnedVersion('aws', 'my-custom-label'), false);
    assert.equal(isPinnedVersion('onepassword', '3'), false);
    assert.equal(isPinnedVersion('gcpsm', 'latest'), false);
    assert.equal(isPinnedVersion('gcpsm', '12'), true);
    assert.equal(isPinnedVersion('vault', '3'), true);
    assert.equal(isPinnedVersion('azurekv', '0123456789abcdef0123456789abcdef'), true);
    assert.equal(isPinnedVersion('fake', undefined), false);
  });
});
