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
      send: async (refs) => {
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
      send: async (refs: RemoteRef[]) =>
        refs.map((r) => (r.key === 'missing' ? new NotFoundError('remote secret "missing" not found') : { value: Buffer.from('ok') })),
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
});
