import { strict as assert } from 'node:assert';
import { Registry } from 'prom-client';
import { ThrottledError, UnavailableError, isNotFound, isUnavailable, type RemoteRef } from '../../providers/contract/index.js';
import { FetchPath, type FetchPathSwitches } from '../../src/fetch/fetch-path.js';
import { STORE_REMOVED_REASON, type StoreHandle } from '../../src/fetch/remote-fetcher.js';
import { countingClient, type CountingClient } from './support/counting-client.js';
import { compileUserPattern } from '../../src/controller/user-pattern.js';

const plantedValue = 'planted-value-7f3a9c';

function storeOf(client: CountingClient, id = 'SecretStore/ns/aws'): StoreHandle {
  return {
    id,
    label: id.split('/').slice(1).join('/'),
    provider: 'aws',
    endpoint: 'aws:123456789012:eu-west-1',
    client,
    rateLimit: { requestsPerSecond: 1000, burst: 1000, maxConcurrent: 50 },
    latestTtlMs: 60_000,
  };
}

describe('FetchPath', () => {
  const paths: FetchPath[] = [];
  function fetchPath(switches: Partial<FetchPathSwitches> = {}, registry = new Registry()): FetchPath {
    const path = new FetchPath({
      registry,
      switches,
      batchWindowMs: 2,
      retry: { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 5 },
      breaker: { threshold: 3, halfOpenAfterMs: 60_000 },
    });
    paths.push(path);
    return path;
  }
  afterEach(async () => {
    await Promise.all(paths.splice(0).map((p) => p.close()));
  });

  it('merges identical fetches in flight and serves the next ones from cache', async () => {
    const client = countingClient({ delayMs: 5 });
    client.values.set('db', plantedValue);
    const path = fetchPath();
    const store = storeOf(client);
    const results = await Promise.all(Array.from({ length: 10 }, () => path.fetch(store, { key: 'db' })));
    assert.equal(client.fetchCalls.length, 1);
    for (const r of results) assert.equal(r.value.toString(), plantedValue);
    await path.fetch(store, { key: 'db' });
    assert.equal(client.fetchCalls.length, 1, 'second round served from cache');
  });

  it('counts merges and cache hits, and a fresh read joins a call in flight', async () => {
    const client = countingClient({ delayMs: 5 });
    client.values.set('db', 'x');
    const registry = new Registry();
    const path = fetchPath({}, registry);
    const store = storeOf(client);
    await Promise.all([path.fetch(store, { key: 'db' }), path.fetch(store, { key: 'db' }, { fresh: true })]);
    assert.equal(client.fetchCalls.length, 1);
    await path.fetch(store, { key: 'db' });
    const metrics = await registry.metrics();
    assert.match(metrics, /keyferry_fetch_singleflight_merged_total\{provider="aws"\} 1/);
    assert.match(metrics, /keyferry_fetch_cache_lookups_total\{provider="aws",result="hit"\} 1/);
    assert.match(metrics, /keyferry_fetch_cache_lookups_total\{provider="aws",result="bypass"\} 1/);
  });

  it('fresh reads bypass the cache', async () => {
    const client = countingClient();
    client.values.set('db', 'one');
    const path = fetchPath();
    const store = storeOf(client);
    await path.fetch(store, { key: 'db' });
    client.values.set('db', 'two');
    assert.equal((await path.fetch(store, { key: 'db' })).value.toString(), 'one');
    assert.equal((await path.fetch(store, { key: 'db' }, { fresh: true })).value.toString(), 'two');
    assert.equal(client.fetchCalls.length, 2);
  });

  it('forgetStore drops what was cached for a store', async () => {
    const client = countingClient();
    client.values.set('db', 'one');
    const path = fetchPath();
    const store = storeOf(client);
    await path.fetch(store, { key: 'db' });
    path.forgetStore(store.id);
    await path.fetch(store, { key: 'db' });
    assert.equal(client.fetchCalls.length, 2);
  });

  it('batches concurrent fetches of one store at the client batch size, errors per item', async () => {
    const client = countingClient({ batchSize: 20 });
    for (let i = 0; i < 44; i++) client.values.set(`k${i}`, `v${i}`);
    const path = fetchPath();
    const store = storeOf(client);
    const results = await Promise.allSettled(Array.from({ length: 45 }, (_, i) => path.fetch(store, { key: `k${i}` })));
    assert.deepEqual(client.batchCalls.map((b) => b.length).sort((a, b) => b - a), [20, 20, 5]);
    assert.equal(client.fetchCalls.length, 0);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 44);
    const failed = results[44]!;
    assert.ok(failed.status === 'rejected' && isNotFound(failed.reason));
  });

  it('reads again for a caller that accepts only a younger value; pinned versions never age', async () => {
    const client = countingClient();
    client.values.set('db', 'x');
    const path = fetchPath();
    const store = { ...storeOf(client), latestTtlMs: undefined };
    await path.fetch(store, { key: 'db' }, { maxAgeMs: 60_000 });
    await path.fetch(store, { key: 'db' }, { maxAgeMs: 60_000 });
    assert.equal(client.fetchCalls.length, 1, 'kept as long as its reader accepts');
    await path.fetch(store, { key: 'db' }, { maxAgeMs: 0 });
    assert.equal(client.fetchCalls.length, 2, 'a reader accepting nothing cached reads the provider');
    await path.fetch(store, { key: 'db', version: 'uuid/v1' });
    await path.fetch(store, { key: 'db', version: 'uuid/v1' }, { maxAgeMs: 0 });
    assert.equal(client.fetchCalls.length, 3, 'a pinned version is read once');
  });

  it('a metadata read is its own call: merged and cached apart from the value, never batched, never taken as pinned', async () => {
    const client = countingClient({ batchSize: 20, delayMs: 2 });
    client.values.set('db', plantedValue);
    const metadataCalls: RemoteRef[] = [];
    client.fetchMetadata = async (ref) => {
      metadataCalls.push(ref);
      return { value: Buffer.alloc(0), userMetadata: { team: 'a' } };
    };
    const path = fetchPath();
    const store = storeOf(client);
    const [value, tags, again] = await Promise.all([
      path.fetch(store, { key: 'db' }),
      path.fetch(store, { key: 'db', metadata: true }),
      path.fetch(store, { key: 'db', metadata: true }),
    ]);
    assert.equal(value.value.toString(), plantedValue);
    assert.deepEqual([tags.userMetadata, again.userMetadata], [{ team: 'a' }, { team: 'a' }]);
    assert.equal(metadataCalls.length, 1, 'identical metadata reads merge');
    assert.deepEqual(client.batchCalls.flat().map((r) => r.metadata), [], 'nothing of a metadata read goes into a batch');
    assert.equal(client.fetchCalls.length + client.batchCalls.length, 1, 'the value is one call of its own');
    await path.fetch(store, { key: 'db', metadata: true });
    assert.equal(metadataCalls.length, 1, 'cached for the store\'s latest TTL');
    // A pinned version's value never changes; its tags may.
    await path.fetch(store, { key: 'db', version: 'uuid/v1', metadata: true });
    await path.fetch(store, { key: 'db', version: 'uuid/v1', metadata: true }, { maxAgeMs: 0 });
    assert.equal(metadataCalls.length, 3);
  });

  it('switched off, makes one call per fetch', async () => {
    const client = countingClient({ batchSize: 20, delayMs: 2 });
    client.values.set('db', 'x');
    const path = fetchPath({ merge: false, cache: false, batch: false });
    const store = storeOf(client);
    await Promise.all(Array.from({ length: 10 }, () => path.fetch(store, { key: 'db' })));
    await path.fetch(store, { key: 'db' });
    assert.equal(client.fetchCalls.length, 11);
    assert.equal(client.batchCalls.length, 0);
  });

  it('retries a throttle, counts it, and the caller gets the value', async () => {
    const client = countingClient();
    client.values.set('db', plantedValue);
    client.failNext.push(new ThrottledError('Rate exceeded', { retryAfterMs: 1 }));
    const registry = new Registry();
    const path = fetchPath({}, registry);
    assert.equal((await path.fetch(storeOf(client), { key: 'db' })).value.toString(), plantedValue);
    assert.equal(client.fetchCalls.length, 2);
    const metrics = await registry.metrics();
    assert.match(metrics, /keyferry_fetch_throttles_received_total\{provider="aws",store="ns\/aws"\} 1/);
    assert.match(metrics, /keyferry_fetch_retries_total\{provider="aws",store="ns\/aws",kind="Throttled"\} 1/);
    assert.match(metrics, /externalsecret_provider_api_calls_count\{provider="aws",call="GetSecret",status="success"\} 1/);
    assert.match(metrics, /externalsecret_provider_api_calls_count\{provider="aws",call="GetSecret",status="error"\} 1/);
    assert.ok(!metrics.includes(plantedValue), 'no secret value in metrics');
  });

  it('opens the store circuit after repeated outages and then fails fast with CircuitOpen', async () => {
    const client = countingClient();
    client.values.set('db', 'x');
    for (let i = 0; i < 20; i++) client.failNext.push(new UnavailableError('503 Service Unavailable'));
    const registry = new Registry();
    const path = fetchPath({ cache: false }, registry);
    const store = storeOf(client);
    await assert.rejects(path.fetch(store, { key: 'db' }), (e: unknown) => isUnavailable(e));
    assert.equal(path.breakerState(store.id), 'open');
    const callsBefore = client.fetchCalls.length;
    await assert.rejects(path.fetch(store, { key: 'db' }), (e: unknown) => isUnavailable(e) && e.reason === 'CircuitOpen');
    assert.equal(client.fetchCalls.length, callsBefore, 'no provider call while open');
    assert.match(await registry.metrics(), /keyferry_fetch_circuit_state\{provider="aws",store="ns\/aws"\} 2/);
  });

  it('tells listeners when a store\'s circuit closes again after an outage', async () => {
    const client = countingClient();
    client.values.set('db', 'x');
    for (let i = 0; i < 2; i++) client.failNext.push(new UnavailableError('503 Service Unavailable'));
    // Half-open at once, so the next call is the probe.
    const path = new FetchPath({ registry: new Registry(), switches: { cache: false }, retry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1 }, breaker: { threshold: 2, halfOpenAfterMs: 0 } });
    paths.push(path);
    const recovered: string[] = [];
    path.onStoreRecovered((id) => recovered.push(id));
    const store = storeOf(client);
    for (let i = 0; i < 2; i++) await assert.rejects(path.fetch(store, { key: 'db' }), (e: unknown) => isUnavailable(e));
    assert.equal(path.breakerState(store.id), 'open');
    assert.deepEqual(recovered, []);
    assert.equal((await path.fetch(store, { key: 'db' })).value.toString(), 'x');
    assert.equal(path.breakerState(store.id), 'closed');
    assert.deepEqual(recovered, [store.id]);
  });

  it('a caller that aborts stops waiting without cancelling the merged call for others', async () => {
    const client = countingClient({ delayMs: 20 });
    client.values.set('db', 'x');
    const path = fetchPath();
    const store = storeOf(client);
    const controller = new AbortController();
    const aborted = path.fetch(store, { key: 'db' }, { signal: controller.signal });
    const other = path.fetch(store, { key: 'db' });
    controller.abort(new Error('reconcile cancelled'));
    await assert.rejects(aborted, /reconcile cancelled/);
    assert.equal((await other).value.toString(), 'x');
  });

  it('find goes to the client through the same path, and returns nothing where the client cannot list', async () => {
    const client = countingClient();
    let queries = 0;
    const lister = Object.assign(client, { find: async () => (queries++, ['a', 'b']) });
    const registry = new Registry();
    const path = fetchPath({}, registry);
    assert.deepEqual(await path.find(storeOf(lister), { name: compileUserPattern('.*') }), ['a', 'b']);
    assert.equal(queries, 1);
    assert.match(await registry.metrics(), /externalsecret_provider_api_calls_count\{provider="aws",call="FindSecrets",status="success"\} 1/);
    assert.deepEqual(await path.find(storeOf(countingClient(), 'SecretStore/ns/other'), {}), []);
  });

  it('a store forgotten (deleted or changed) stops the calls waiting in its limiter at once, with StoreRemoved', async () => {
    const path = new FetchPath({ registry: new Registry(), switches: { cache: false, merge: false, batch: false }, maxLimiterWaitMs: 60_000 });
    paths.push(path);
    const client = countingClient();
    client.values.set('a', '1');
    client.values.set('b', '2');
    // One call a second, burst 1: the second call waits for its token.
    const slow = { ...storeOf(client, 'SecretStore/attacker/slow'), endpoint: 'slow', rateLimit: { requestsPerSecond: 1, burst: 1, maxConcurrent: 1 } };
    await path.fetch(slow, { key: 'a' });
    const waiting = path.fetch(slow, { key: 'b' }).then(() => undefined, (e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    path.forgetStore(slow.id);
    const error = await waiting;
    assert.ok(isUnavailable(error) && error.reason === STORE_REMOVED_REASON, String(error));
    assert.deepEqual(client.fetchCalls.map((r) => r.key), ['a'], 'the waiting call was never made');
  });
});
