// The fetch path's series as /metrics shows them: a store's series start at zero, the
// circuit gauge follows the breaker, limiter depth and wait are labelled so a dashboard can
// group them, and a store's series go when its last connection does.
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { UnavailableError, isUnavailable } from '../../providers/contract/index.js';
import { FetchPath } from '../../src/fetch/fetch-path.js';
import type { StoreHandle } from '../../src/fetch/remote-fetcher.js';
import { countingClient, type CountingClient } from '../fetch/support/counting-client.js';

function storeOf(client: CountingClient, id = 'SecretStore/ns/aws#1'): StoreHandle {
  return {
    id, label: 'ns/aws', provider: 'aws', endpoint: 'aws:eu-west-1', client,
    rateLimit: { requestsPerSecond: 1000, burst: 1000, maxConcurrent: 50 }, latestTtlMs: 60_000,
  };
}

/** The samples of one family: `{labels} value` lines. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('fetch path metrics', () => {
  const paths: FetchPath[] = [];
  const fetchPath = (registry: Registry) => {
    const path = new FetchPath({ registry, retry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1 }, breaker: { threshold: 2, halfOpenAfterMs: 60_000 } });
    paths.push(path);
    return path;
  };
  afterEach(async () => {
    await Promise.all(paths.splice(0).map((p) => p.close()));
  });

  it('starts a store\'s series at zero when it is first used', async () => {
    const registry = new Registry();
    const path = fetchPath(registry);
    assert.deepEqual(samples(await registry.metrics(), 'keyferry_fetch_circuit_state'), [], 'no store, no series');
    const client = countingClient();
    client.values.set('db', 'x');
    await path.fetch(storeOf(client), { key: 'db' });
    const text = await registry.metrics();
    assert.deepEqual(samples(text, 'keyferry_fetch_circuit_state'), ['keyferry_fetch_circuit_state{provider="aws",store="ns/aws"} 0']);
    assert.deepEqual(samples(text, 'keyferry_fetch_throttles_received_total'), ['keyferry_fetch_throttles_received_total{provider="aws",store="ns/aws"} 0']);
    assert.deepEqual(samples(text, 'keyferry_fetch_singleflight_merged_total'), ['keyferry_fetch_singleflight_merged_total{provider="aws"} 0']);
    assert.deepEqual(samples(text, 'keyferry_fetch_cache_lookups_total').sort(), [
      'keyferry_fetch_cache_lookups_total{provider="aws",result="hit"} 0',
      'keyferry_fetch_cache_lookups_total{provider="aws",result="miss"} 1',
    ]);
  });

  it('reports the limiter queue by provider and endpoint, and every wait in the histogram', async () => {
    const registry = new Registry();
    const path = fetchPath(registry);
    const client = countingClient({ delayMs: 5 });
    for (const k of ['a', 'b', 'c']) client.values.set(k, k);
    const store = { ...storeOf(client), rateLimit: { requestsPerSecond: 1000, burst: 1000, maxConcurrent: 1 } };
    await Promise.all(['a', 'b', 'c'].map((key) => path.fetch(store, { key })));
    const text = await registry.metrics();
    assert.deepEqual(samples(text, 'keyferry_fetch_limiter_queue_depth'), ['keyferry_fetch_limiter_queue_depth{provider="aws",endpoint="aws:eu-west-1"} 0'], 'queued, then drained');
    assert.deepEqual(samples(text, 'keyferry_fetch_limiter_wait_seconds_count'), [`keyferry_fetch_limiter_wait_seconds_count{provider="aws"} ${client.fetchCalls.length}`]);
  });

  it('shows an open circuit as 2, and drops the store\'s series once its last connection is forgotten', async () => {
    const registry = new Registry();
    const path = fetchPath(registry);
    const client = countingClient();
    client.failNext.push(new UnavailableError('503'), new UnavailableError('503'));
    const first = storeOf(client);
    for (let i = 0; i < 2; i++) await assert.rejects(path.fetch(first, { key: `k${i}` }), (e: unknown) => isUnavailable(e));
    assert.equal(path.breakerState(first.id), 'open');
    assert.deepEqual(samples(await registry.metrics(), 'keyferry_fetch_circuit_state'), ['keyferry_fetch_circuit_state{provider="aws",store="ns/aws"} 2']);

    // A changed spec connects again under the same label: the new connection starts closed,
    // and forgetting the old one keeps the label's series.
    client.values.set('db', 'x');
    const second = storeOf(client, 'SecretStore/ns/aws#2');
    await path.fetch(second, { key: 'db' });
    path.forgetStore(first.id);
    assert.deepEqual(samples(await registry.metrics(), 'keyferry_fetch_circuit_state'), ['keyferry_fetch_circuit_state{provider="aws",store="ns/aws"} 0']);
    path.forgetStore(second.id);
    const text = await registry.metrics();
    assert.deepEqual(samples(text, 'keyferry_fetch_circuit_state'), []);
    assert.deepEqual(samples(text, 'keyferry_fetch_throttles_received_total'), []);
  });
});
