// A wall clock stepped back or forward (NTP, a VM resumed, an operator's mistake) must not
// change how often an ExternalSecret refreshes: the next refresh stays within one interval
// of the last, and nothing refreshes faster than its interval. Timers keep real time here,
// as they do when a node's clock is stepped; only the wall clock moves.
import assert from 'node:assert/strict';
import type { FindQuery, RemoteRef, RemoteSecret } from '../../providers/contract/index.js';
import type { FetchOptions, RemoteFetcher, StoreHandle } from '../../src/fetch/remote-fetcher.js';
import { createHarness } from './harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Records when (fake time) each ExternalSecret's remote key was read. */
class CountingFetcher implements RemoteFetcher {
  readonly reads: Array<{ key: string; at: number }> = [];
  constructor(private readonly now: () => number) {}
  fetch(store: StoreHandle, ref: RemoteRef, options?: FetchOptions): Promise<RemoteSecret> {
    this.reads.push({ key: ref.key, at: this.now() });
    return store.client.fetch(ref, { signal: options?.signal });
  }
  find(_store: StoreHandle, _query: FindQuery): Promise<string[]> {
    return Promise.resolve([]);
  }
  forgetStore(): void {}
  readsOf(key: string, since: number): number[] {
    return this.reads.filter((r) => r.key === key && r.at > since).map((r) => r.at);
  }
}

async function synced(names: string[], refreshInterval = '1m') {
  let now = () => 0;
  const fetcher = new CountingFetcher(() => now());
  const h = createHarness({ fetcher });
  now = () => h.timers.now();
  h.store('fake', 'ns', names.map((n) => ({ key: n, value: `v-${n}` })));
  h.controller.start();
  await h.settle();
  for (const n of names) h.es(n, 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval, data: [{ secretKey: 'pw', remoteRef: { key: n } }] });
  await h.settle();
  for (const n of names) assert.equal(h.ready(n, 'ns')?.status, 'True', `${n} synced`);
  return { h, fetcher };
}

describe('wall clock steps', () => {
  it('stepped back 3 h after a sync: the next refresh still comes within one interval', async () => {
    const { h, fetcher } = await synced(['app']);
    // Let it settle on its slot first, then step back mid-interval.
    await h.runFor(2 * MINUTE, 1000);
    await h.runFor(20_000, 1000);
    const stepAt = h.timers.now();
    const lastRead = fetcher.readsOf('app', 0).at(-1)!;
    h.stepWallClock(-3 * HOUR);
    await h.runFor(2 * MINUTE, 1000);
    const after = fetcher.readsOf('app', stepAt);
    assert.ok(after.length >= 1, 'refreshed after the step back');
    assert.ok(after[0]! - lastRead <= MINUTE + 1000, `first refresh ${after[0]! - lastRead} ms after the last, over one interval`);
    // And it keeps its pace: about one a minute, none faster.
    for (let i = 1; i < after.length; i++) assert.ok(after[i]! - after[i - 1]! >= MINUTE - 1000 && after[i]! - after[i - 1]! <= MINUTE + 1000, 'one refresh per interval');
    const due = h.controller.externalSecretQueue.pendingAt('ns/app')!;
    assert.ok(due - h.timers.now() <= MINUTE, 'the next refresh is pending within one interval');
  });

  it('stepped back 3 h, then restarted: refreshed within one interval, and status.refreshTime is not left in the future', async () => {
    const { h, fetcher } = await synced(['app']);
    await h.runFor(90_000, 1000);
    // A refreshTime written before the step is in the future after it; what this process
    // remembered of the sync is gone, as after a restart.
    h.stepWallClock(-3 * HOUR);
    h.controller.externalSecrets.forget('ns/app');
    const stepAt = h.timers.now();
    h.controller.externalSecretQueue.add('ns/app');
    await h.runFor(MINUTE + 1000, 1000);
    const after = fetcher.readsOf('app', stepAt);
    assert.ok(after.length >= 1, 'refreshed within one interval of the step back');
    const refreshTime = Date.parse((h.get('app', 'ns').status as { refreshTime?: string }).refreshTime!);
    assert.ok(refreshTime <= h.wallNow(), 'status.refreshTime is not left in the future');
  });

  it('stepped forward 2 h: refreshes go on at one per interval, with no burst or loop', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const { h, fetcher } = await synced(names);
    await h.runFor(2 * MINUTE, 1000);
    const stepAt = h.timers.now();
    h.stepWallClock(2 * HOUR);
    const counts = h.countReconciles();
    await h.runFor(10 * MINUTE, 1000);
    for (const n of names) {
      const reads = fetcher.readsOf(n, stepAt);
      assert.ok(reads.length >= 9 && reads.length <= 11, `${n}: ${reads.length} refreshes in 10 intervals`);
      for (let i = 1; i < reads.length; i++) assert.ok(reads[i]! - reads[i - 1]! >= MINUTE - 1000, `${n}: refreshes ${reads[i]! - reads[i - 1]!} ms apart`);
      assert.ok((counts.get(`ns/${n}`) ?? 0) <= 2 * 11, `${n}: ${counts.get(`ns/${n}`)} reconciles in 10 intervals`);
    }
  });

  it('a store validated before a 3 h step back is validated again within its interval', async () => {
    const h = createHarness();
    h.store('s', 'ns', [{ key: 'k', value: 'v' }], { refreshInterval: '1m' });
    assert.deepEqual(await h.reconcileStore('SecretStore/ns/s'), { requeueAfter: MINUTE });
    let validations = 0;
    h.controller.stores.get('SecretStore/ns/s')!.handle!.client.validate = async () => {
      validations++;
      return { warnings: [] };
    };
    h.timers.advance(30_000);
    h.stepWallClock(-3 * HOUR);
    const first = await h.reconcileStore('SecretStore/ns/s');
    const waited = first.requeueAfter ?? 0;
    h.timers.advance(waited);
    if (validations === 0) await h.reconcileStore('SecretStore/ns/s');
    assert.ok(waited <= MINUTE, `next validation asked for in ${waited} ms`);
    assert.equal(validations, 1, 'validated again within one interval');
  });
});
