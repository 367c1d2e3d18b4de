import { strict as assert } from 'node:assert';
import { SingleFlight } from '../../src/fetch/single-flight.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('merges identical calls in flight into one and gives every caller its result', async () => {
    const flights = new SingleFlight<string>();
    const d = deferred<string>();
    let calls = 0;
    const work = () => {
      calls++;
      return d.promise;
    };
    const first = flights.run('k', work);
    const second = flights.run('k', work);
    const other = flights.run('other', () => Promise.resolve('x'));
    assert.equal(first.merged, false);
    assert.equal(second.merged, true);
    assert.equal(other.merged, false);
    assert.equal(calls, 1);
    d.resolve('v');
    assert.deepEqual(await Promise.all([first.promise, second.promise, other.promise]), ['v', 'v', 'x']);
  });

  it('forgets a call once it settles, so the next one runs again', async () => {
    const flights = new SingleFlight<number>();
    let calls = 0;
    await flights.run('k', async () => ++calls).promise;
    const again = flights.run('k', async () => ++calls);
    assert.equal(again.merged, false);
    assert.equal(await again.promise, 2);
    assert.equal(flights.size, 0);
  });

  it('shares a failure with every merged caller and then forgets it', async () => {
    const flights = new SingleFlight<number>();
    const d = deferred<number>();
    const a = flights.run('k', () => d.promise);
    const b = flights.run('k', () => d.promise);
    d.reject(new Error('boom'));
    await assert.rejects(a.promise, /boom/);
    await assert.rejects(b.promise, /boom/);
    assert.equal(flights.size, 0);
  });
});
