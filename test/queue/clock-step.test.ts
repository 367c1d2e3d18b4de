// The queue's clock measures delays, so a stepped wall clock must not move it: a key waiting
// for a worker must not look stalled for hours after a step forward, and a sooner requeue
// asked for after the step must still win over a later one asked for before it.
import assert from 'node:assert/strict';
import { systemTimers } from '../../src/queue/timer.js';
import { WorkQueue } from '../../src/queue/work-queue.js';

const HOUR = 3_600_000;

describe('queue timers and wall-clock steps', () => {
  const realNow = Date.now;
  const queues: WorkQueue[] = [];
  afterEach(async () => {
    Date.now = realNow;
    await Promise.all(queues.splice(0).map((q) => q.shutDown()));
  });

  it('systemTimers.now does not follow the wall clock back or forward', () => {
    const before = systemTimers.now();
    Date.now = () => realNow() - 3 * HOUR;
    const back = systemTimers.now();
    Date.now = () => realNow() + 2 * HOUR;
    const forward = systemTimers.now();
    assert.ok(back >= before && back - before < 60_000, `${back - before} ms after a 3 h step back`);
    assert.ok(forward >= back && forward - back < 60_000, `${forward - back} ms after a 2 h step forward`);
  });

  it('a step forward does not make waiting keys look stalled (readiness)', () => {
    const q = new WorkQueue();
    queues.push(q);
    q.add('ns/a');
    Date.now = () => realNow() + 2 * HOUR;
    assert.ok(q.stalledForMs() < 60_000, `stalled for ${q.stalledForMs()} ms`);
  });

  it('after a step forward, a sooner requeue still replaces a later one', () => {
    const q = new WorkQueue();
    queues.push(q);
    q.addAfter('ns/a', 60_000);
    Date.now = () => realNow() + 2 * HOUR;
    q.addAfter('ns/a', 5_000);
    const inMs = q.pendingAt('ns/a')! - systemTimers.now();
    assert.ok(inMs > 0 && inMs <= 5_000, `due in ${inMs} ms, not in 5 s`);
  });
});
