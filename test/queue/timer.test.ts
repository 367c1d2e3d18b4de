import assert from 'node:assert/strict';
import { MAX_TIMER_DELAY_MS, chainedTimers, systemTimers, type PlatformTimers } from '../../src/queue/timer.js';

/** A platform that records each delay it is asked for and fires on demand. */
class RecordingPlatform implements PlatformTimers {
  readonly asked: number[] = [];
  private next = 0;
  readonly pending = new Map<number, () => void>();

  setTimeout(fn: () => void, ms: number): unknown {
    this.asked.push(ms);
    const id = ++this.next;
    this.pending.set(id, fn);
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Fires whatever is pending (one link of each chain). */
  fire(): void {
    const due = [...this.pending];
    this.pending.clear();
    for (const [, fn] of due) fn();
  }
}

const HOUR = 3_600_000;

describe('timers', () => {
  it('serve 720h as a chain of delays the platform honours, firing once at the end', () => {
    const platform = new RecordingPlatform();
    const timers = chainedTimers(platform, () => 0);
    let fired = 0;
    timers.setTimeout(() => fired++, 720 * HOUR);
    for (let i = 0; i < 10 && fired === 0; i++) platform.fire();
    assert.equal(fired, 1);
    assert.ok(platform.asked.every((ms) => ms >= 0 && ms <= MAX_TIMER_DELAY_MS));
    assert.equal(platform.asked.reduce((a, b) => a + b, 0), 720 * HOUR);
    assert.equal(platform.asked.length, Math.ceil((720 * HOUR) / MAX_TIMER_DELAY_MS));
  });

  it('clamp negative and NaN delays to 0, and cancel a chain at any link', () => {
    const platform = new RecordingPlatform();
    const timers = chainedTimers(platform, () => 0);
    timers.setTimeout(() => undefined, -5);
    timers.setTimeout(() => undefined, Number.NaN);
    assert.deepEqual(platform.asked, [0, 0]);
    let fired = false;
    const handle = timers.setTimeout(() => { fired = true; }, 3 * MAX_TIMER_DELAY_MS);
    platform.fire();
    timers.clearTimeout(handle);
    for (let i = 0; i < 5; i++) platform.fire();
    assert.equal(fired, false);
    assert.equal(platform.pending.size, 0);
  });

  it('do not fire a 720h timer on the real platform within a few milliseconds (Node would clamp it to 1 ms)', async () => {
    let fired = false;
    const handle = systemTimers.setTimeout(() => { fired = true; }, 720 * HOUR);
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => { const t = setTimeout(resolve, 5); t.unref?.(); });
    systemTimers.clearTimeout(handle);
    assert.equal(fired, false);
  });
});

describe('the work queue over chained timers', () => {
  it('asks the platform for no delay beyond what it honours when a key is requeued 720h out', async () => {
    const { WorkQueue } = await import('../../src/queue/work-queue.js');
    const platform = new RecordingPlatform();
    const queue = new WorkQueue({ timers: chainedTimers(platform, () => 0) });
    queue.addAfter('ns/app', 720 * HOUR);
    const links = Math.ceil((720 * HOUR) / MAX_TIMER_DELAY_MS);
    for (let i = 0; i < links - 1; i++) platform.fire();
    assert.equal(queue.length, 0, 'not due before the last link');
    platform.fire();
    assert.equal(queue.length, 1);
    assert.ok(platform.asked.every((ms) => ms <= MAX_TIMER_DELAY_MS));
  });
});
