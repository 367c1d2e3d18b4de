// The smaller cases of "never wrong, never stuck", one test each.
import assert from 'node:assert/strict';
import { createHarness } from './harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

async function withStore(data: Array<{ key: string; value: string }>) {
  const h = createHarness();
  h.store('fake', 'ns', data);
  await h.reconcileStore('SecretStore/ns/fake');
  return h;
}

const decoded = (h: ReturnType<typeof createHarness>, name: string) => {
  const secret = h.api.secrets.get(`ns/${h.get(name, 'ns').status!.currentSecretName}`)!;
  return Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
};

describe('keys from users and remote data', () => {
  it('a remote key "constructor" is a key like any other', async () => {
    const h = await withStore([{ key: 'json', value: '{"constructor":"c","toString":"t","user":"u"}' }]);
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, dataFrom: [{ extract: { key: 'json' } }] });
    await h.reconcile('ns/app');
    assert.deepEqual(decoded(h, 'app'), { constructor: 'c', toString: 't', user: 'u' });
  });

  it('a remote key "__proto__" is said, not dropped silently: InvalidRemoteData naming the key', async () => {
    const h = await withStore([{ key: 'json', value: '{"__proto__":"planted-value","user":"u"}' }]);
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, dataFrom: [{ extract: { key: 'json' } }] });
    await h.reconcile('ns/app');
    const ready = h.ready('app', 'ns')!;
    assert.equal(ready.reason, 'InvalidRemoteData');
    assert.match(ready.message, /"__proto__"/);
    assert.ok(!ready.message.includes('planted-value'));
    assert.equal(h.api.secrets.size, 0);
  });

  it('a secretKey "__proto__" stored before the CRD refused it: InvalidSpec naming the field', async () => {
    const h = await withStore([{ key: 'db', value: 'x' }]);
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: '__proto__', remoteRef: { key: 'db' } }] });
    assert.deepEqual(await h.reconcile('ns/app'), {});
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
    assert.match(h.ready('app', 'ns')!.message, /^spec\.data\[0\]\.secretKey: /);
  });

  it('a duplicate secretKey is refused, naming both entries, instead of the last one winning', async () => {
    const h = await withStore([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'a' } }, { secretKey: 'pw', remoteRef: { key: 'b' } }] });
    assert.deepEqual(await h.reconcile('ns/app'), {});
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
    assert.match(h.ready('app', 'ns')!.message, /spec\.data\[1\]\.secretKey: "pw" is also spec\.data\[0\]\.secretKey/);
    assert.equal(h.api.secrets.size, 0);
  });

  it('remote data over 1 MiB is reported, not sent to be refused', async () => {
    const h = await withStore([{ key: 'big', value: 'x'.repeat(1024 * 1024 + 1) }]);
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'blob', remoteRef: { key: 'big' } }] });
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidRemoteData');
    assert.match(h.ready('app', 'ns')!.message, /1 MiB/);
    assert.ok(!h.api.writes.some((w) => w.startsWith('create')));
  });
});

describe('versions', () => {
  it('changing target.name prunes the old target\'s versions like any other old version', async () => {
    const h = await withStore([{ key: 'db', value: 'one' }]);
    const spec = (target: string) => ({ secretStoreRef: { name: 'fake' }, target: { name: target, versioning: { retain: 1, minRetention: '0s' } }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    h.es('app', 'ns', spec('old'));
    await h.reconcile('ns/app');
    const old = h.get('app', 'ns').status!.currentSecretName!;
    h.timers.advance(1000);
    h.es('app', 'ns', spec('new'));
    await h.reconcile('ns/app');
    // retain 1: the old target's version is the one previous version kept.
    assert.ok(h.api.secrets.has(`ns/${old}`));
    h.timers.advance(1000);
    h.es('app', 'ns', spec('newer'));
    await h.reconcile('ns/app');
    assert.ok(!h.api.secrets.has(`ns/${old}`), 'pruned once it is beyond retain');
    assert.deepEqual([...h.api.secrets.keys()].map((k) => k.split('/')[1]!.replace(/-[0-9a-f]{10}$/, '')).sort(), ['new', 'newer']);
  });

  it('51 rapid edits in an hour keep at most retain + 5 young versions besides the current one, and status says how many exist', async () => {
    const h = await withStore([{ key: 'db', value: 'one' }]);
    for (let i = 0; i < 51; i++) {
      h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, target: { template: { metadata: { annotations: { edit: String(i) } } } }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
      await h.reconcile('ns/app');
      h.timers.advance(MINUTE);
    }
    assert.equal(h.ready('app', 'ns')!.status, 'True');
    assert.equal(h.api.secrets.size, 1 + 2 + 5);
    const status = h.get('app', 'ns').status as { versions: unknown[]; versionCount: number };
    assert.equal(status.versionCount, h.api.secrets.size);
    assert.equal(status.versions.length, h.api.secrets.size);
  });

  it('status.versions lists at most 20 while versionCount counts them all (versions kept because they are in use)', async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    (h.controller.externalSecrets as unknown as { deps: { inUse: () => () => boolean } }).deps.inUse = () => () => true;
    for (let i = 0; i < 25; i++) {
      h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, target: { template: { metadata: { annotations: { edit: String(i) } } } }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
      await h.reconcile('ns/app');
      h.timers.advance(MINUTE);
    }
    const status = h.get('app', 'ns').status as { versions: Array<{ name: string }>; versionCount: number };
    assert.equal(status.versionCount, 25);
    assert.equal(status.versions.length, 20);
    assert.equal(status.versions[0]!.name, h.get('app', 'ns').status!.currentSecretName, 'newest first');
  });
});

describe('refreshTime and Events on steady refreshes', () => {
  it('a refresh that changes nothing writes nothing, until refreshTime is older than max(10 intervals, 1h)', async () => {
    const h = await withStore([{ key: 'db', value: 'one' }]);
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: '1m', data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    await h.reconcile('ns/app');
    const first = (h.get('app', 'ns').status as { refreshTime: string }).refreshTime;
    const writes = h.api.writes.length;
    for (let i = 0; i < 59; i++) {
      h.timers.advance(MINUTE);
      await h.reconcile('ns/app');
    }
    assert.equal(h.api.writes.length, writes, 'an hour of refreshes, no writes');
    h.timers.advance(MINUTE);
    await h.reconcile('ns/app');
    const later = (h.get('app', 'ns').status as { refreshTime: string }).refreshTime;
    assert.ok(Date.parse(later) - Date.parse(first) >= HOUR, 'refreshTime moved once an hour had passed');
    assert.deepEqual(h.api.writes.slice(writes), ['status ExternalSecret ns/app']);
  });

  it('ExternalSecrets refreshing for 3 minutes with nothing changing write no Events, even when the cache lost their versions; a failure writes one Warning, not one per retry', async () => {
    const h = await withStore([{ key: 'db', value: 'one' }]);
    h.controller.start();
    const n = 20;
    for (let i = 0; i < n; i++) h.es(`app-${i}`, 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: '5s', data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    await h.runUntil(() => h.caches.externalSecrets.list('ns').every((o) => h.ready(o.metadata!.name!, 'ns')?.status === 'True'), 60_000);
    const events = h.api.events.length;
    // The versions are missing from the cache (a re-list under way): creates meet 409s, which create nothing.
    for (const s of [...h.api.secrets.values()]) h.controller.managed.remove(s);
    const forceSync = (name: string) => {
      const es = h.get(name, 'ns');
      h.caches.externalSecrets.set({ ...es, metadata: { ...es.metadata, annotations: { 'keyferry.io/force-sync': 'again' } } });
    };
    for (let i = 0; i < n; i++) forceSync(`app-${i}`);
    await h.runFor(3 * MINUTE, 2500);
    assert.ok(h.api.calls.some((c) => c.startsWith('get ns/app-')), 'the 409s were read back');
    assert.deepEqual(h.api.events.slice(events), []);
    // The remote key disappears: each ExternalSecret warns once, however often it retries.
    h.store('fake', 'ns', [{ key: 'other', value: 'x' }]);
    await h.runFor(3 * MINUTE, 2500);
    const warnings = h.api.events.slice(events).filter((e) => e.type === 'Warning');
    assert.equal(warnings.length, n);
    assert.ok(warnings.every((e) => e.reason === 'Stale'));
  });
});
