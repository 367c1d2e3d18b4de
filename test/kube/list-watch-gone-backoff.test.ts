// A server (or a proxy) that answers 410 Gone to every watch must not make a cache list in a
// loop: the first 410 lists at once, each further one within GONE_STREAK_RESET_MS waits twice as
// long as the last, up to GONE_MAX_DELAY_MS. A scripted list and watch, a hand-driven clock and timer.
import assert from 'node:assert/strict';
import { KubeApiError, type Query, type WatchEvent, type WatchHandle } from '../../src/kube/kube-http.js';
import type { KubeObject } from '../../src/kube/kube-object.js';
import { GONE_FIRST_DELAY_MS, GONE_MAX_DELAY_MS, GONE_STREAK_RESET_MS, ListWatch } from '../../src/kube/list-watch.js';
import { scriptedList } from './support/scripted-list.js';

const gone = () => new KubeApiError(410, { message: 'too old resource version' }, 'GET', '/x');
const settled = async () => { for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setImmediate(resolve)); };

function scripted(watchList = false) {
  let now = 5_000_000;
  const requests: string[] = [];
  const timers: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  const { listAll, nextResourceVersion } = scriptedList(requests);
  /** How each watch ends: 410 answered, or a 410 ERROR event and then the end of the stream. */
  let ending: 'answer' | 'event' = 'answer';
  const watch = async (query: Query, onEvent: (event: WatchEvent) => void, done: (error: unknown) => void): Promise<WatchHandle> => {
    if (query.sendInitialEvents) {
      requests.push('watch-list');
      setImmediate(() => {
        onEvent({ type: 'ADDED', object: { metadata: { name: 'a', namespace: 'ns', resourceVersion: '5' } } });
        onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: nextResourceVersion(), annotations: { 'k8s.io/initial-events-end': 'true' } } } });
        setImmediate(() => done(gone()));
      });
    } else {
      requests.push('watch');
      setImmediate(() => {
        if (ending === 'answer') return done(gone());
        onEvent({ type: 'ERROR', object: { code: 410, message: 'too old resource version' } as unknown as KubeObject });
        done(undefined);
      });
    }
    return { abort() {} };
  };
  const lw = new ListWatch<KubeObject>(listAll, watch, (o) => o, {
    add() {}, update() {}, delete() {}, error: (e) => assert.fail(String(e)),
  }, {
    watchList,
    timers: {
      now: () => now,
      setTimeout: (fn, ms) => {
        const timer = { fn, ms, cancelled: false };
        timers.push(timer);
        return timer;
      },
      clearTimeout: (timer) => { (timer as { cancelled: boolean }).cancelled = true; },
    },
  });
  return {
    lw, requests, timers,
    advance: (ms: number) => { now += ms; },
    endWith: (how: 'answer' | 'event') => { ending = how; },
    /** Fires the one pending timer. */
    fire: async () => {
      const pending = timers.filter((t) => !t.cancelled);
      assert.equal(pending.length, 1, 'one list waits');
      pending[0]!.cancelled = true;
      pending[0]!.fn();
      await settled();
    },
  };
}

describe('ListWatch: 410 Gone again and again', () => {
  it('lists at once after the first 410, then waits 0.8 s, 1.6 s, ... up to 30 s before each further list', async () => {
    const s = scripted();
    await s.lw.start();
    await settled();
    // The first 410 lists at once; the second waits.
    assert.deepEqual(s.requests, ['list', 'watch', 'list', 'watch']);
    assert.deepEqual(s.timers.map((t) => t.ms), [GONE_FIRST_DELAY_MS]);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(s.timers.at(-1)!.ms);
      s.advance(s.timers.at(-1)!.ms);
      await s.fire();
    }
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12_800, 25_600, GONE_MAX_DELAY_MS, GONE_MAX_DELAY_MS]);
    assert.equal(s.requests.filter((r) => r === 'list').length, 2 + 8, 'one list per 410, none while waiting');
    s.lw.stop();
    assert.ok(s.timers.every((t) => t.cancelled), 'stop cancels the wait');
  });

  it('a 410 more than GONE_STREAK_RESET_MS after the one before lists at once again; so does a 410 ERROR event', async () => {
    const s = scripted();
    s.endWith('event');
    await s.lw.start();
    await settled();
    assert.deepEqual(s.requests, ['list', 'watch', 'list', 'watch']);
    assert.deepEqual(s.timers.map((t) => t.ms), [GONE_FIRST_DELAY_MS], 'an ERROR event 410 counts as one');
    s.advance(GONE_STREAK_RESET_MS + 1);
    await s.fire();
    // The waited list came after the reset time: its watch's 410 counts as the first of a new streak.
    assert.deepEqual(s.requests.slice(4), ['list', 'watch', 'list', 'watch']);
    assert.deepEqual(s.timers.map((t) => t.ms), [GONE_FIRST_DELAY_MS, GONE_FIRST_DELAY_MS]);
    s.lw.stop();
  });

  it('relist() while a list waits lists at once and drops the wait', async () => {
    const s = scripted();
    await s.lw.start();
    await settled();
    const pending = s.timers.at(-1)!;
    assert.equal(pending.cancelled, false);
    const relisted = s.lw.relist();
    assert.equal(pending.cancelled, true);
    await relisted;
    assert.equal(s.requests[4], 'list');
    s.lw.stop();
  });

  it('with watch-list, the list after a repeated 410 waits the same', async () => {
    const s = scripted(true);
    await s.lw.start();
    await settled();
    assert.deepEqual(s.requests, ['watch-list', 'watch-list']);
    assert.deepEqual(s.timers.map((t) => t.ms), [GONE_FIRST_DELAY_MS]);
    s.advance(GONE_FIRST_DELAY_MS);
    await s.fire();
    assert.deepEqual(s.requests, ['watch-list', 'watch-list', 'watch-list']);
    assert.deepEqual(s.timers.map((t) => t.ms), [GONE_FIRST_DELAY_MS, 2 * GONE_FIRST_DELAY_MS]);
    s.lw.stop();
  });
});
