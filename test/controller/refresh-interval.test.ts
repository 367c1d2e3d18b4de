// Issue: refreshInterval over ~596h overflowed setTimeout into a 1 ms loop; 1ns rounded to 0
// and silently meant "never refresh".
import assert from 'node:assert/strict';
import { createHarness } from './harness.js';

const HOUR = 3_600_000;

async function started(refreshInterval: string) {
  const h = createHarness();
  h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
  h.controller.start();
  await h.settle();
  const counts = h.countReconciles();
  h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
  await h.settle();
  return { h, counts };
}

describe('refreshInterval edges', () => {
  it('720h: one sync, then the next refresh is scheduled within 720h, not in a loop', async () => {
    const { h, counts } = await started('720h');
    assert.equal(h.ready('app', 'ns')?.status, 'True');
    await h.runFor(3 * HOUR, 60_000);
    assert.equal(counts.get('ns/app'), 1);
    const due = h.controller.externalSecretQueue.pendingAt('ns/app')!;
    assert.ok(due > h.timers.now() && due <= h.timers.now() + 720 * HOUR, 'the next refresh is pending, at most one interval away');
  });

  for (const tiny of ['1ns', '1ms', '999ms']) {
    it(`${tiny} (stored before the CRD's minimum existed): InvalidSpec naming the 1s minimum and the meaning of 0, not retried`, async () => {
      const { h, counts } = await started(tiny);
      const ready = h.ready('app', 'ns')!;
      assert.equal(ready.reason, 'InvalidSpec');
      assert.match(ready.message, /spec\.refreshInterval: .*minimum of 1s; use 0 to read once/);
      await h.runFor(60_000, 1000);
      assert.equal(counts.get('ns/app'), 1);
      assert.equal(h.api.secrets.size, 0);
    });
  }

  it('0 reads once and says so in the Ready message', async () => {
    const { h, counts } = await started('0');
    assert.equal(h.ready('app', 'ns')?.status, 'True');
    assert.match(h.ready('app', 'ns')!.message, /refreshInterval 0: read once, not refreshed/);
    await h.runFor(3 * HOUR, 60_000);
    assert.equal(counts.get('ns/app'), 1);
  });

  it('1s, the minimum, refreshes about once a second', async () => {
    const { h, counts } = await started('1s');
    await h.runFor(60_000, 250);
    const n = counts.get('ns/app')!;
    assert.ok(n >= 55 && n <= 62, `${n} reconciles in 60 s`);
  });
});
