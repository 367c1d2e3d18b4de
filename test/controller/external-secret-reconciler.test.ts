import assert from 'node:assert/strict';
import { RetryLater } from '../../src/controller/external-secret-reconciler.js';
import { DirectFetcher } from '../../src/fetch/direct-fetcher.js';
import { CIRCUIT_OPEN_REASON, type RemoteFetcher } from '../../src/fetch/remote-fetcher.js';
import { ThrottledError, UnavailableError } from '../../providers/contract/index.js';
import { createHarness } from './harness.js';

const HOUR = 3600_000;

async function synced(spec: Record<string, unknown> = {}, data = [{ key: 'db', value: 'one' }]) {
  const h = createHarness();
  h.store('fake', 'ns', data);
  await h.reconcileStore('SecretStore/ns/fake');
  h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }], ...spec });
  return h;
}

describe('ExternalSecretReconciler', () => {
  it('creates the hash-named Secret, reports SecretSynced, records one Event, and requeues at its refresh slot, at most one interval later', async () => {
    const h = await synced();
    const result = await h.reconcile('ns/app');
    const current = h.get('app', 'ns').status!.currentSecretName!;
    assert.match(current, /^app-[0-9a-f]{10}$/);
    assert.deepEqual(h.ready('app', 'ns')?.reason, 'SecretSynced');
    assert.deepEqual(h.api.writes.filter((w) => !w.includes('SecretStore')), [`create ns/${current}`, 'status ExternalSecret ns/app']);
    assert.equal(h.api.events.filter((e) => e.involved.kind === 'ExternalSecret').length, 1);
    assert.ok(result.requeueAfter! > 0 && result.requeueAfter! <= HOUR);
    assert.equal(h.api.secrets.get(`ns/${current}`)!.metadata!.ownerReferences![0]!.kind, 'ExternalSecret');
    const versions = h.get('app', 'ns').status!.versions as Array<{ name: string; remoteVersions?: Record<string, string> }>;
    assert.deepEqual(Object.keys(versions[0]!.remoteVersions!), ['pw'], 'remote version ids by target key');
  });

  it('writes nothing when nothing changed, before or after the refresh is due', async () => {
    const h = await synced();
    await h.reconcile('ns/app');
    const before = h.api.writes.length;
    const early = await h.reconcile('ns/app');
    assert.ok(early.requeueAfter! > 0 && early.requeueAfter! <= HOUR);
    h.timers.advance(2 * HOUR);
    await h.reconcile('ns/app');
    assert.equal(h.api.writes.length, before);
  });

  it('makes a new version when the remote data changes and prunes per retain/minRetention', async () => {
    const h = await synced({ refreshInterval: '1m', target: { name: 'app', versioning: { retain: 1, minRetention: '0s' } } });
    const names: string[] = [];
    for (const value of ['one', 'two', 'three']) {
      h.store('fake', 'ns', [{ key: 'db', value }]);
      await h.reconcileStore('SecretStore/ns/fake');
      await h.reconcile('ns/app');
      names.push(h.get('app', 'ns').status!.currentSecretName!);
      h.timers.advance(2000);
    }
    assert.equal(new Set(names).size, 3);
    assert.deepEqual([...h.api.secrets.keys()].sort(), [`ns/${names[1]}`, `ns/${names[2]}`].sort());
    assert.deepEqual(h.get('app', 'ns').status!.versions!.map((v) => v.name), [names[2], names[1]]);
    assert.ok(h.api.writes.includes(`delete ns/${names[0]}`));
  });

  it('keeps serving the last good version when a fetch fails (Stale), and retries with backoff', async () => {
    const h = await synced({ refreshInterval: '1m' });
    await h.reconcile('ns/app');
    const current = h.get('app', 'ns').status!.currentSecretName!;
    h.store('fake', 'ns', [{ key: 'other', value: 'x' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    await assert.rejects(h.reconcile('ns/app'), RetryLater);
    const ready = h.ready('app', 'ns')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'Stale');
    assert.match(ready.message, new RegExp(`last good version "${current}" keeps serving`));
    assert.ok(h.api.secrets.has(`ns/${current}`));
    assert.equal(h.get('app', 'ns').status!.currentSecretName, current);
    assert.ok(!h.api.writes.some((w) => w.startsWith('delete')));
  });

  it('reports SecretSyncedError without retrying hot for a first sync that fails, and an InvalidSpec without retrying at all', async () => {
    const h = await synced({}, [{ key: 'nothing', value: 'x' }]);
    await assert.rejects(h.reconcile('ns/app'), RetryLater);
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSyncedError');
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: 'soon', data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    assert.deepEqual(await h.reconcile('ns/app'), {});
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
    assert.match(h.ready('app', 'ns')!.message, /spec\.refreshInterval/);
  });

  it('CreatedOnce and refreshInterval 0 sync once; OnChange syncs again only on a spec change', async () => {
    for (const spec of [{ refreshPolicy: 'CreatedOnce' }, { refreshInterval: '0' }]) {
      const h = await synced(spec);
      assert.deepEqual(await h.reconcile('ns/app'), {});
      h.store('fake', 'ns', [{ key: 'db', value: 'changed' }]);
      await h.reconcileStore('SecretStore/ns/fake');
      h.timers.advance(10 * HOUR);
      await h.reconcile('ns/app');
      assert.equal(h.api.secrets.size, 1, `${JSON.stringify(spec)} does not refetch`);
    }
    const h = await synced({ refreshPolicy: 'OnChange' });
    assert.deepEqual(await h.reconcile('ns/app'), {});
    h.timers.advance(10 * HOUR);
    await h.reconcile('ns/app');
    assert.equal(h.api.secrets.size, 1);
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, refreshPolicy: 'OnChange', data: [{ secretKey: 'renamed', remoteRef: { key: 'db' } }] });
    await h.reconcile('ns/app');
    assert.equal(h.api.secrets.size, 2);
  });

  it('applies dataFrom.extract, decodingStrategy and a template', async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'json', value: '{"user":"u","pw":"cA=="}' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', {
      secretStoreRef: { name: 'fake' },
      dataFrom: [{ extract: { key: 'json' } }],
      data: [{ secretKey: 'pw', remoteRef: { key: 'json', property: 'pw', decodingStrategy: 'Base64' } }],
      target: { template: { type: 'kubernetes.io/basic-auth', metadata: { labels: { team: 'a' } }, data: { username: '{{ .user }}', password: '{{ .pw }}!' } } },
    });
    await h.reconcile('ns/app');
    const secret = h.api.secrets.get(`ns/${h.get('app', 'ns').status!.currentSecretName}`)!;
    assert.equal(secret.type, 'kubernetes.io/basic-auth');
    assert.equal(secret.metadata!.labels!.team, 'a');
    const decoded = Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    assert.deepEqual(decoded, { username: 'u', password: 'p!' });
  });

  it('re-creates nothing after a crash: an existing hash-named Secret is adopted (409 is fine)', async () => {
    const h = await synced();
    await h.reconcile('ns/app');
    const name = h.get('app', 'ns').status!.currentSecretName!;
    // A new process: empty managed cache and no status written yet.
    const h2 = await synced();
    h2.api.secrets.set(`ns/${name}`, h.api.secrets.get(`ns/${name}`)!);
    await h2.reconcile('ns/app');
    assert.equal(h2.get('app', 'ns').status!.currentSecretName, name);
    assert.equal(h2.api.secrets.size, 1);
  });

  it('reads again, bypassing caches, when the force-sync annotation changes', async () => {
    const h = await synced();
    await h.reconcile('ns/app');
    const calls = async () => (await h.registry.getSingleMetricAsString('externalsecret_provider_api_calls_count')).match(/call="GetSecret",status="OK"} (\d+)/)?.[1];
    assert.equal(await calls(), '1');
    const annotate = (value: string) => {
      const obj = h.get('app', 'ns');
      h.caches.externalSecrets.set({ ...obj, metadata: { ...obj.metadata, annotations: { 'keyferry.io/force-sync': value } } });
    };
    annotate('1');
    await h.reconcile('ns/app');
    assert.equal(await calls(), '2');
    await h.reconcile('ns/app');
    assert.equal(await calls(), '2', 'the same value does not read again');
    annotate('2');
    await h.reconcile('ns/app');
    assert.equal(await calls(), '3');
    // Unlike ESO, another label or annotation changing is no reason to read (README, Migrating from ESO).
    const obj = h.get('app', 'ns');
    h.caches.externalSecrets.set({ ...obj, metadata: { ...obj.metadata, labels: { team: 'a' }, annotations: { ...obj.metadata?.annotations, note: 'x' } } });
    await h.reconcile('ns/app');
    assert.equal(await calls(), '3');
  });
});

describe('ExternalSecretReconciler cache age', () => {
  it('accepts cached reads up to a tenth of its interval, or what the store sets in cache.latestTTL', async () => {
    const seen: Array<number | undefined> = [];
    const direct = new DirectFetcher();
    const fetcher: RemoteFetcher = {
      fetch: (store, ref, options) => { seen.push(options?.maxAgeMs); return direct.fetch(store, ref, options); },
      find: (store, query, options) => direct.find(store, query, options),
      forgetStore: () => undefined,
    };
    const h = createHarness({ fetcher });
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    h.store('nocache', 'ns', [{ key: 'db', value: 'one' }], { cache: { latestTTL: '0s' } });
    await h.reconcileStore('SecretStore/ns/fake');
    await h.reconcileStore('SecretStore/ns/nocache');
    const read = { data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] };
    h.es('hourly', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: '1h', ...read });
    h.es('often', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: '30s', ...read });
    h.es('uncached', 'ns', { secretStoreRef: { name: 'nocache' }, refreshInterval: '1h', ...read });
    for (const name of ['hourly', 'often', 'uncached']) await h.reconcile(`ns/${name}`);
    assert.deepEqual(seen, [10_000, 3_000, 0]);
  });
});

describe('ExternalSecretReconciler after a failed fetch', () => {
  async function failingWith(error: Error) {
    let fail = false;
    const direct = new DirectFetcher();
    const fetcher: RemoteFetcher = {
      fetch: (store, ref, options) => (fail ? Promise.reject(error) : direct.fetch(store, ref, options)),
      find: (store, query, options) => direct.find(store, query, options),
      forgetStore: () => undefined,
    };
    const h = createHarness({ fetcher });
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: '1s', data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    await h.reconcile('ns/app');
    fail = true;
    h.timers.advance(2000);
    return h;
  }

  it('asks again when an open circuit lets a probe through, whatever its backoff', async () => {
    const h = await failingWith(new UnavailableError('store ns/fake: provider unavailable, circuit open', { reason: CIRCUIT_OPEN_REASON, retryAfterMs: 5000 }));
    assert.deepEqual(await h.reconcile('ns/app'), { requeueAfter: 5000 });
    assert.equal(h.ready('app', 'ns')!.reason, 'Stale');
  });

  it('backs off per key after other failures, a throttle the fetch path did not wait out included', async () => {
    const h = await failingWith(new ThrottledError('rate limit quota exceeded', { retryAfterMs: 1_000_000 }));
    await assert.rejects(h.reconcile('ns/app'), RetryLater);
    assert.match(h.ready('app', 'ns')!.message, /^Throttled: /);
    const other = await failingWith(new UnavailableError('503 Service Unavailable'));
    await assert.rejects(other.reconcile('ns/app'), RetryLater);
  });
});
