import { strict as assert } from 'node:assert';
import { Registry } from 'prom-client';
import { FetchPath } from '../../src/fetch/fetch-path.js';
import type { StoreHandle } from '../../src/fetch/remote-fetcher.js';
import { countingClient, type CountingClient } from './support/counting-client.js';
import { FakeFetchClock } from './support/fake-clock.js';

// Refreshes on spread slots: readers of "a", "b" and "c" come once every 30 s, 1 s apart, and
// accept a cached value up to 3 s old (a tenth of the interval), as the reconciler asks.
const PERIOD = 30_000;
const MAX_AGE = 3_000;
const WINDOW = 5;
const OFFSETS: Record<string, number> = { a: 0, b: 1_000, c: 2_000 };

function storeOf(client: CountingClient): StoreHandle {
  return {
    id: 'ClusterSecretStore/aws',
    label: 'aws',
    provider: 'aws',
    endpoint: 'aws:123456789012:eu-west-1',
    client,
    rateLimit: { requestsPerSecond: 1000, burst: 1000, maxConcurrent: 50 },
  };
}

describe('FetchPath: batch calls take along reads due soon', () => {
  const paths: FetchPath[] = [];
  afterEach(async () => {
    await Promise.all(paths.splice(0).map((p) => p.close()));
  });

  function setup(switches: { batch?: boolean } = {}, offsets: Record<string, number> = OFFSETS) {
    const clock = new FakeFetchClock(0);
    const client = countingClient({ batchSize: 20 });
    for (const key of Object.keys(offsets)) client.values.set(key, `${key}-1`);
    const path = new FetchPath({ registry: new Registry(), clock, switches, batchWindowMs: WINDOW });
    paths.push(path);
    const store = storeOf(client);
    const calls = () => client.fetchCalls.length + client.batchCalls.length;
    const read = async (key: string, at: number) => {
      clock.tick(at - clock.now());
      const pending = path.fetch(store, { key }, { maxAgeMs: MAX_AGE });
      clock.tick(WINDOW);
      return (await pending).value.toString();
    };
    const round = async (start: number) => {
      const before = calls();
      for (const [key, offset] of Object.entries(offsets)) {
        // Two readers of each key, as several ExternalSecrets share a slot.
        await read(key, start + offset);
        await read(key, start + offset + 10);
      }
      return calls() - before;
    };
    return { clock, client, read, round, calls };
  }

  it('makes one call a round for keys due within the accepted age, where each used to cost its own', async () => {
    const { round } = setup();
    assert.equal(await round(0), 3, 'first round: nothing known yet');
    assert.equal(await round(PERIOD), 3, 'second round: the rhythm is learnt');
    assert.equal(await round(2 * PERIOD), 1, 'third round: "a"\'s call brings "b" and "c"');
    assert.equal(await round(3 * PERIOD), 1);
  });

  it('takes nothing along without batching, and a key due later than the accepted age stays out', async () => {
    const { round, client } = setup({ batch: false });
    await round(0);
    await round(PERIOD);
    assert.equal(await round(2 * PERIOD), 3);
    assert.equal(client.batchCalls.length, 0);

    // "d" is due 2.9 s after "a": past 3/4 of the 3 s accepted age.
    const spread = setup({}, { ...OFFSETS, d: 2_900 });
    await spread.round(0);
    await spread.round(PERIOD);
    assert.equal(await spread.round(2 * PERIOD), 2, '"a" brings "b" and "c"; "d" is read on its own');
    assert.deepEqual(spread.client.batchCalls.at(-1)?.map((r) => r.key), ['a', 'b', 'c']);
    assert.deepEqual(spread.client.fetchCalls.at(-1)?.key, 'd');
  });

  it('never serves a value taken along older than its reader accepts', async () => {
    const { read, round, client, calls } = setup();
    await round(0);
    await round(PERIOD);
    const start = 2 * PERIOD;
    assert.equal(await read('a', start), 'a-1');
    assert.deepEqual(client.batchCalls.at(-1)?.map((r) => r.key), ['a', 'b', 'c']);
    client.values.set('b', 'b-2');
    client.values.set('c', 'c-2');
    // "b" comes on time: the value read with "a" 1 s ago is younger than the 3 s it accepts.
    const before = calls();
    assert.equal(await read('b', start + OFFSETS.b!), 'b-1');
    assert.equal(calls(), before);
    // "c" comes late, when what "a"'s call brought is 3 s old: it is read again.
    assert.equal(await read('c', start + MAX_AGE + WINDOW), 'c-2');
    assert.equal(calls(), before + 1);
  });

  it('keeps a companion\'s error from the batch\'s own readers; its reader sees it with a call of its own', async () => {
    const { read, round, client, calls } = setup();
    await round(0);
    await round(PERIOD);
    client.values.delete('b');
    const start = 2 * PERIOD;
    assert.equal(await read('a', start), 'a-1');
    assert.deepEqual(client.batchCalls.at(-1)?.map((r) => r.key), ['a', 'b', 'c']);
    const before = calls();
    await assert.rejects(read('b', start + OFFSETS.b!), (e: Error) => /not found/.test(e.message));
    assert.equal(calls(), before + 1);
  });

  it('forgets the rhythms of a store that is forgotten', async () => {
    const { round, client } = setup();
    await round(0);
    await round(PERIOD);
    paths[0]!.forgetStore('ClusterSecretStore/aws');
    assert.equal(await round(2 * PERIOD), 3);
    assert.equal(client.batchCalls.length, 0);
  });
});
