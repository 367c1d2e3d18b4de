// The end of a provider outage is seen within 2 s, with the fetch path's default breaker,
// whatever its callers do meanwhile. Callers turned away by the open circuit come back on
// their own schedule (the controller: the CircuitOpen error's retryAfterMs); before the fetch
// path probed by itself, a provider back a moment after a failed probe went unseen until a
// caller happened to come back after the next half-open time: up to twice the open time.
import { strict as assert } from 'node:assert';
import { Registry } from 'prom-client';
import { UnavailableError, isUnavailable } from '../../providers/contract/index.js';
import { FetchPath } from '../../src/fetch/fetch-path.js';
import type { StoreHandle } from '../../src/fetch/remote-fetcher.js';
import { countingClient } from './support/counting-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FetchPath: recovery after a provider outage', function () {
  this.timeout(20_000);
  const paths: FetchPath[] = [];
  afterEach(async () => {
    await Promise.all(paths.splice(0).map((p) => p.close()));
  });

  function setUp(batchSize?: number) {
    const client = countingClient({ batchSize });
    client.values.set('db', 'x');
    const state = { down: true, calls: 0 };
    // Connection refused while down: an instant failure, as from a closed port.
    const refused = () => new UnavailableError('connect ECONNREFUSED 127.0.0.1:1', { reason: 'Unavailable', code: 'ECONNREFUSED' });
    const fetch = client.fetch.bind(client);
    client.fetch = async (ref, ctx) => {
      state.calls++;
      if (state.down) throw refused();
      return fetch(ref, ctx);
    };
    if (client.fetchMany) {
      const fetchMany = client.fetchMany.bind(client);
      client.fetchMany = async (refs, ctx) => {
        state.calls++;
        if (state.down) throw refused();
        return fetchMany(refs, ctx);
      };
    }
    // The default breaker, as the operator runs it; short retries inside a call.
    const path = new FetchPath({ registry: new Registry(), switches: { cache: false }, retry: { maxRetries: 4, initialDelayMs: 5, maxDelayMs: 20 } });
    paths.push(path);
    const store: StoreHandle = {
      id: 'ClusterSecretStore/aws#1', label: 'aws', provider: 'aws', endpoint: 'aws:local', client,
      rateLimit: { requestsPerSecond: 1000, burst: 1000, maxConcurrent: 50 },
    };
    const recoveredAt: number[] = [];
    path.onStoreRecovered(() => recoveredAt.push(Date.now()));
    return { client, state, path, store, recoveredAt };
  }

  for (const batchSize of [undefined, 20]) {
    it(`notices the provider is back within 2 s with no caller asking (${batchSize ? 'batch reads' : 'single reads'})`, async () => {
      const { state, path, store, recoveredAt } = setUp(batchSize);
      await assert.rejects(path.fetch(store, { key: 'db' }), (e: unknown) => isUnavailable(e));
      assert.equal(path.breakerState(store.id), 'open');
      // Down a while longer, with probes failing; then back, and nobody asks.
      await sleep(1_500);
      state.down = false;
      const backAt = Date.now();
      while (recoveredAt.length === 0 && Date.now() - backAt < 6_000) await sleep(20);
      assert.equal(recoveredAt.length, 1, 'the recovery was announced');
      assert.ok(recoveredAt[0]! - backAt <= 2_000, `announced ${recoveredAt[0]! - backAt} ms after the provider came back`);
      assert.equal(path.breakerState(store.id), 'closed');
    });
  }

  it('a caller that keeps to the retry-after of CircuitOpen is not what the recovery waits for', async () => {
    const { state, path, store, recoveredAt } = setUp();
    // The caller: after a CircuitOpen answer, back after its retryAfterMs (as the controller requeues).
    let stopped = false;
    const caller = (async () => {
      while (!stopped) {
        const error = await path.fetch(store, { key: 'db' }).then(() => undefined, (e: unknown) => e);
        const wait = isUnavailable(error) && error.reason === 'CircuitOpen' ? Math.max(1000, error.retryAfterMs ?? 0) : 1000;
        for (let t = 0; t < wait && !stopped; t += 20) await sleep(20);
      }
    })();
    await sleep(2_500);
    state.down = false;
    const backAt = Date.now();
    while (recoveredAt.length === 0 && Date.now() - backAt < 12_000) await sleep(20);
    stopped = true;
    await caller;
    assert.equal(recoveredAt.length, 1, 'the recovery was announced');
    assert.ok(recoveredAt[0]! - backAt <= 2_000, `announced ${recoveredAt[0]! - backAt} ms after the provider came back`);
  });

  it('probes once per open period while the provider stays down, and not at all once forgotten', async () => {
    const { state, path, store } = setUp();
    await assert.rejects(path.fetch(store, { key: 'db' }));
    const before = state.calls;
    await sleep(3_300);
    const probes = state.calls - before;
    assert.ok(probes >= 2 && probes <= 4, `${probes} probe calls in 3.3 s`);
    path.forgetStore(store.id);
    const after = state.calls;
    await sleep(1_500);
    assert.equal(state.calls, after, 'no probe of a forgotten store');
  });
});
