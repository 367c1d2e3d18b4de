// status.refreshTime and Events as docs/api.md states them: refreshTime is the last
// successful read to within max(10 refresh intervals, 1 h); Events are for changes and
// failures a person should see, never for a refresh that changes nothing or a retry that
// fails the same way.
import assert from 'node:assert/strict';
import { createHarness } from './harness.js';

const MINUTE = 60_000;
type H = ReturnType<typeof createHarness>;

async function syncedWith(value: string, refreshInterval: string): Promise<H> {
  const h = createHarness();
  h.store('fake', 'ns', [{ key: 'db', value }]);
  await h.reconcileStore('SecretStore/ns/fake');
  h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval, data: [{ secretKey: 'pw', remoteRef: { key: 'db', property: 'pw' } }] });
  await h.reconcile('ns/app');
  assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced');
  return h;
}

const refreshTime = (h: H) => (h.get('app', 'ns').status as { refreshTime?: string }).refreshTime;

async function setRemote(h: H, data: Array<{ key: string; value: string }>) {
  h.store('fake', 'ns', data);
  await h.reconcileStore('SecretStore/ns/fake');
}

/** One refresh `ms` later; a failed one is retried by the caller's next step. */
async function refreshAfter(h: H, ms: number) {
  h.timers.advance(ms);
  await h.reconcile('ns/app').catch(() => undefined);
}

describe('status.refreshTime', () => {
  it('with a 10m interval moves only once it is 10 intervals old, and never on a failed read', async () => {
    const h = await syncedWith('{"pw":"one"}', '10m');
    const first = refreshTime(h)!;
    assert.equal(first, new Date(h.timers.now()).toISOString());
    const writes = h.api.writes.length;
    for (let i = 0; i < 9; i++) await refreshAfter(h, 10 * MINUTE);
    assert.equal(refreshTime(h), first, '90 minutes of refreshes that change nothing');
    assert.equal(h.api.writes.length, writes, 'and no writes');
    await refreshAfter(h, 10 * MINUTE);
    const moved = refreshTime(h)!;
    assert.equal(Date.parse(moved) - Date.parse(first), 100 * MINUTE, 'written at the tenth interval');

    // Reads that fail never count as the last successful read, however long they go on.
    await setRemote(h, [{ key: 'other', value: 'x' }]);
    for (let i = 0; i < 12; i++) await refreshAfter(h, 10 * MINUTE);
    assert.equal(h.ready('app', 'ns')!.reason, 'Stale');
    assert.equal(refreshTime(h), moved);

    // The first good read after the failures writes it, being more than 10 intervals old.
    await setRemote(h, [{ key: 'db', value: '{"pw":"one"}' }]);
    await refreshAfter(h, 10 * MINUTE);
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced');
    assert.equal(refreshTime(h), new Date(h.timers.now()).toISOString());
  });
});

describe('Events', () => {
  it('a Normal Event per new version, one Warning per failure or change of reason, none for steady refreshes, retries or the recovery itself; never a value', async () => {
    const values = ['planted-one-3e1f', 'planted-two-77c2', 'planted-three-a90b'];
    const h = await syncedWith(`{"pw":"${values[0]}"}`, '1m');
    const ofApp = () => h.api.events.filter((e) => e.involved.kind === 'ExternalSecret');
    const seen = () => ofApp().map((e) => `${e.type} ${e.reason}`);
    assert.deepEqual(seen(), ['Normal VersionCreated']);
    const firstVersion = h.get('app', 'ns').status!.currentSecretName!;
    assert.equal(ofApp()[0]!.message, `created version "${firstVersion}" (1 keys)`);

    for (let i = 0; i < 5; i++) await refreshAfter(h, MINUTE);
    assert.deepEqual(seen(), ['Normal VersionCreated'], 'refreshes that change nothing emit nothing');

    await setRemote(h, [{ key: 'db', value: `{"pw":"${values[1]}"}` }]);
    await refreshAfter(h, MINUTE);
    assert.deepEqual(seen(), ['Normal VersionCreated', 'Normal VersionCreated'], 'a changed value is a new version');

    await setRemote(h, [{ key: 'other', value: 'x' }]);
    for (let i = 0; i < 4; i++) await refreshAfter(h, MINUTE);
    assert.deepEqual(seen().slice(2), ['Warning Stale'], 'the same failure, retried, warns once');

    await setRemote(h, [{ key: 'db', value: 'no longer JSON' }]);
    for (let i = 0; i < 3; i++) await refreshAfter(h, MINUTE);
    assert.deepEqual(seen().slice(2), ['Warning Stale', 'Warning InvalidRemoteData'], 'a new reason warns again');

    await setRemote(h, [{ key: 'db', value: `{"pw":"${values[2]}"}` }]);
    for (let i = 0; i < 3; i++) await refreshAfter(h, MINUTE);
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced');
    assert.deepEqual(seen().slice(2), ['Warning Stale', 'Warning InvalidRemoteData', 'Normal VersionCreated']);

    const text = JSON.stringify(h.api.events);
    for (const v of values) assert.ok(!text.includes(v) && !text.includes(Buffer.from(v).toString('base64')), 'no value in an Event');
    assert.ok(!text.includes('no longer JSON'));
  });
});
