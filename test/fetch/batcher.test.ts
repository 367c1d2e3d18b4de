import { strict as assert } from 'node:assert';
import { NotFoundError, UnavailableError, type RemoteRef } from '../../providers/contract/index.js';
import { Batcher } from '../../src/fetch/batcher.js';
import { FakeFetchClock, settle } from './support/fake-clock.js';

describe('Batcher', () => {
  it('gathers fetches for the window, then sends them split at maxBatchSize', async () => {
    const clock = new FakeFetchClock();
    const sent: string[][] = [];
    const batcher = new Batcher({
      maxBatchSize: 20,
      windowMs: 5,
      clock,
      send: async (take) => {
        const refs = take();
        sent.push(refs.map((r) => r.key));
        return refs.map((r) => ({ value: Buffer.from(`v-${r.key}`) }));
      },
    });
    const results = Array.from({ length: 45 }, (_, i) => batcher.fetch({ key: `k${i}` }));
    await settle();
    // Two full batches go at once; the rest waits for the window.
    assert.deepEqual(sent.map((b) => b.length), [20, 20]);
    clock.tick(4);
    await settle();
    assert.equal(sent.length, 2);
    clock.tick(1);
    await settle();
    assert.deepEqual(sent.map((b) => b.length), [20, 20, 5]);
    const values = await Promise.all(results);
    assert.deepEqual(values.map((v) => v.value.toString()), Array.from({ length: 45 }, (_, i) => `v-k${i}`));
  });

  it('returns a per-secret error to its own caller only', async () => {
    const clock = new FakeFetchClock();
    const batcher = new Batcher({
      maxBatchSize: 20,
      windowMs: 5,
      clock,
      send: async (take: () => RemoteRef[]) =>
        take().map((r) => (r.key === 'missing' ? new NotFoundError('remote secret "missing" not found') : { value: Buffer.from('ok') })),
    });
    const good = batcher.fetch({ key: 'a' });
    const bad = batcher.fetch({ key: 'missing' });
    clock.tick(5);
    assert.equal((await good).value.toString(), 'ok');
    await assert.rejects(bad, (e: unknown) => e instanceof NotFoundError);
  });

  it('rejects every caller of a batch whose call failed as a whole', async () => {
    const clock = new FakeFetchClock();
    const batcher = new Batcher({
      maxBatchSize: 20,
      windowMs: 5,
      clock,
      send: async () => {
        throw new UnavailableError('connection refused');
      },
    });
    const calls = [batcher.fetch({ key: 'a' }), batcher.fetch({ key: 'b' })];
    clock.tick(5);
    for (const call of calls) await assert.rejects(call, (e: unknown) => e instanceof UnavailableError);
    assert.equal(batcher.pending, 0);
  });

  it('keeps filling a sent batch until its call starts, then opens a new one', async () => {
    const clock = new FakeFetchClock();
    const starts: Array<() => void> = [];
    const sent: string[][] = [];
    const batcher = new Batcher({
      maxBatchSize: 3,
      windowMs: 5,
      clock,
      // The call starts only when the test says so, as when the limiter makes it wait.
      send: (take) => new Promise((resolve) => {
        starts.push(() => {
          const refs = take();
          sent.push(refs.map((r) => r.key));
          assert.deepEqual(take(), refs, 'a retry takes the same refs');
          resolve(refs.map((r) => ({ value: Buffer.from(`v-${r.key}`) })));
        });
      }),
    });
    const first = batcher.fetch({ key: 'a' });
    clock.tick(5);
    await settle();
    assert.equal(starts.length, 1, 'the window ended: the batch is sent');
    assert.equal(batcher.pending, 0);
    const joined = batcher.fetch({ key: 'b' });
    assert.equal(starts.length, 1, 'b joins the batch still waiting to start');
    starts[0]!();
    const later = batcher.fetch({ key: 'c' });
    clock.tick(5);
    await settle();
    starts[1]!();
    assert.deepEqual(sent, [['a', 'b'], ['c']]);
    assert.deepEqual((await Promise.all([first, joined, later])).map((v) => v.value.toString()), ['v-a', 'v-b', 'v-c']);
  });

  it('starts a new batch when the waiting one is full', async () => {
    const clock = new FakeFetchClock();
    let sends = 0;
    const batcher = new Batcher({ maxBatchSize: 2, windowMs: 5, clock, send: () => { sends++; return new Promise(() => undefined); } });
    for (const key of ['a', 'b', 'c']) void batcher.fetch({ key });
    assert.equal(sends, 1, 'a full batch goes at once');
    assert.equal(batcher.pending, 1, 'c waits in a new batch');
  });
});
