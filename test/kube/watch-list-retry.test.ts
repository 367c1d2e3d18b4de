// After an API server refuses watch-list, ListWatch lists in pages and does not ask again
// until WATCH_LIST_RETRY_MS has passed (an upgraded server gets watch-list back then). A
// scripted list and watch, and a hand-driven clock.
import assert from 'node:assert/strict';
import { KubeApiError, type Query, type WatchEvent, type WatchHandle } from '../../src/kube/kube-http.js';
import type { KubeObject } from '../../src/kube/kube-object.js';
import { GONE_STREAK_RESET_MS, ListWatch, WATCH_LIST_RETRY_MS } from '../../src/kube/list-watch.js';
import { scriptedList } from './support/scripted-list.js';

describe('ListWatch: watch-list retried an hour after a refusal', () => {
  it('lists in pages while the refusal is recent, and tries watch-list again once WATCH_LIST_RETRY_MS has passed', async () => {
    let now = 1_000_000;
    const requests: string[] = [];
    /** The `done` of the plain watch running now: ending it with 410 makes the cache list again. */
    let endWatch: ((error: unknown) => void) | undefined;
    const { listAll } = scriptedList(requests);
    const watch = async (query: Query, _onEvent: (event: WatchEvent) => void, done: (error: unknown) => void): Promise<WatchHandle> => {
      if (query.sendInitialEvents) {
        requests.push('watch-list');
        // As kube-apiserver answers with its WatchList gate off.
        setImmediate(() => done(new KubeApiError(422, { message: 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled' }, 'GET', '/x')));
      } else {
        requests.push('watch');
        endWatch = done;
      }
      return { abort() {} };
    };
    const refusals: string[] = [];
    const settled = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    const lw = new ListWatch<KubeObject>(listAll, watch, (o) => o, {
      add() {}, update() {}, delete() {}, error: (e) => assert.fail(String(e)), watchListFallback: (reason, refused) => { if (refused) refusals.push(reason); },
    }, { watchList: true, timers: { now: () => now, setTimeout: () => assert.fail('no list waits here'), clearTimeout: () => undefined } });
    await lw.start();
    for (let i = 0; i < 5 && requests.length < 3; i++) await settled();
    assert.deepEqual(requests, ['watch-list', 'list', 'watch']);
    assert.equal(refusals.length, 1);
    assert.equal(lw.watchListActive, false);

    // 410 Gone within the hour: straight to the paged list. (The two 410s here are further apart
    // than GONE_STREAK_RESET_MS, so neither list waits.)
    now += WATCH_LIST_RETRY_MS - GONE_STREAK_RESET_MS - 1;
    endWatch!(new KubeApiError(410, { message: 'too old resource version' }, 'GET', '/x'));
    for (let i = 0; i < 5 && requests.length < 5; i++) await settled();
    assert.deepEqual(requests.slice(3), ['list', 'watch']);

    // An hour after the refusal: watch-list is asked for again (refused again here, then the paged list).
    now += GONE_STREAK_RESET_MS + 1;
    assert.equal(lw.watchListActive, true);
    endWatch!(new KubeApiError(410, { message: 'too old resource version' }, 'GET', '/x'));
    for (let i = 0; i < 5 && requests.length < 8; i++) await settled();
    assert.deepEqual(requests.slice(5), ['watch-list', 'list', 'watch']);
    assert.equal(refusals.length, 2);
    lw.stop();
  });
});
