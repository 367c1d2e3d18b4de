import assert from 'node:assert/strict';
import { RetryLater } from '../../src/controller/external-secret-reconciler.js';
import { namespaceAllowed } from '../../src/controller/store-resolver.js';
import { REFRESH_SLOTS, latestMaxAgeMs, nextRefreshAt, refreshOffsetMs } from '../../src/controller/refresh-schedule.js';
import { credentialRefs } from '../../src/controller/credential-refs.js';
import type { KubeObject } from '../../src/kube/kube-object.js';
import { API, createHarness } from './harness.js';
import { fakeProvider } from '../../providers/fake/index.js';
import { isUnavailable, type Provider, type ProviderDeps, type SecretKeySelector } from '../../providers/contract/index.js';
import { FetchPath } from '../../src/fetch/fetch-path.js';
import { STORE_REMOVED_REASON } from '../../src/fetch/remote-fetcher.js';
import { Registry } from 'prom-client';

describe('StoreReconciler', () => {
  const storeReady = (h: ReturnType<typeof createHarness>, name: string) =>
    ((h.caches.secretStores.get(name, 'ns') as { status?: { conditions?: Array<{ status: string; reason: string; message: string }> } }).status?.conditions ?? [])[0];

  it('sets Ready=True (Valid) for a good store and InvalidProviderConfig naming the field for a bad one', async () => {
    const h = createHarness();
    h.store('good', 'ns', [{ key: 'a', value: 'b' }]);
    await h.reconcileStore('SecretStore/ns/good');
    assert.equal(storeReady(h, 'good')!.reason, 'Valid');
    h.caches.secretStores.set({ apiVersion: API, kind: 'SecretStore', metadata: { name: 'bad', namespace: 'ns', generation: 1 }, spec: { provider: { fake: { data: [{ value: 'x' }] } } } } as KubeObject);
    await h.reconcileStore('SecretStore/ns/bad');
    assert.equal(storeReady(h, 'bad')!.reason, 'InvalidProviderConfig');
    assert.match(storeReady(h, 'bad')!.message, /spec\.provider\.fake\.data\[0\]\.key/);
    h.caches.secretStores.set({ apiVersion: API, kind: 'SecretStore', metadata: { name: 'none', namespace: 'ns', generation: 1 }, spec: { provider: { vault: {} } } } as KubeObject);
    await h.reconcileStore('SecretStore/ns/none');
    assert.match(storeReady(h, 'none')!.message, /spec\.provider\.vault: provider "vault" is not available/);
  });

  it('does not patch status again when nothing changed', async () => {
    const h = createHarness();
    h.store('good', 'ns', [{ key: 'a', value: 'b' }]);
    await h.reconcileStore('SecretStore/ns/good');
    await h.reconcileStore('SecretStore/ns/good');
    assert.equal(h.api.statuses.length, 1);
  });

  it('re-queues dependent ExternalSecrets at once when a store appears', async () => {
    const h = createHarness();
    h.es('app', 'ns', { secretStoreRef: { name: 'late' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] });
    h.es('other', 'ns', { secretStoreRef: { name: 'different' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] });
    await assert.rejects(h.reconcile('ns/app'), RetryLater);
    assert.equal(h.ready('app', 'ns')!.reason, 'StoreNotReady');
    // Drain what the ES adds queued.
    while (h.controller.externalSecretQueue.length) h.controller.externalSecretQueue.done((await h.controller.externalSecretQueue.get())!);
    h.store('late', 'ns', [{ key: 'k', value: 'v' }]);
    await h.reconcileStore(((await h.controller.storeQueue.get())!));
    assert.equal(h.controller.externalSecretQueue.length, 1);
    assert.equal(await h.controller.externalSecretQueue.get(), 'ns/app');
  });

  it('reconnects a store and re-queues it when a credential Secret it references appears', async () => {
    const h = createHarness();
    h.caches.secretStores.set({ apiVersion: API, kind: 'SecretStore', metadata: { name: 's', namespace: 'ns', generation: 1 }, spec: { provider: { fake: { data: [], auth: { tokenSecretRef: { name: 'creds', key: 'token' } } } } } } as unknown as KubeObject);
    while (h.controller.storeQueue.length) h.controller.storeQueue.done((await h.controller.storeQueue.get())!);
    h.caches.credentialSecrets.set({ metadata: { name: 'unrelated', namespace: 'ns' } });
    h.caches.credentialSecrets.set({ metadata: { name: 'creds', namespace: 'other' } });
    assert.equal(h.controller.storeQueue.length, 0, 'other Secrets do not re-queue the store');
    h.caches.credentialSecrets.set({ metadata: { name: 'creds', namespace: 'ns' } });
    assert.equal(await h.controller.storeQueue.get(), 'SecretStore/ns/s');
  });

  it('watches exactly the Secrets stores reference, in the namespace each resolves in, and forgets one no store references', async () => {
    const h = createHarness();
    const vault = (auth: Record<string, unknown>) => ({ vault: { server: 'https://vault.example', path: 'secret', auth } });
    h.caches.secretStores.set({ apiVersion: API, kind: 'SecretStore', metadata: { name: 's', namespace: 'ns', generation: 1 }, spec: { provider: vault({ tokenSecretRef: { name: 'creds', key: 'token' } }) } } as unknown as KubeObject);
    h.caches.clusterSecretStores.set({ apiVersion: API, kind: 'ClusterSecretStore', metadata: { name: 'c', generation: 1 }, spec: { provider: vault({ tokenSecretRef: { name: 'shared', key: 'token', namespace: 'ops' } }) } } as unknown as KubeObject);
    assert.deepEqual(h.caches.credentialSecrets.tracked(), ['ns/creds', 'ops/shared']);
    // A store that stops referencing a Secret: its watch goes; a deleted store likewise.
    h.caches.secretStores.set({ apiVersion: API, kind: 'SecretStore', metadata: { name: 's', namespace: 'ns', generation: 2 }, spec: { provider: vault({ tokenSecretRef: { name: 'other', key: 'token' } }) } } as unknown as KubeObject);
    assert.deepEqual(h.caches.credentialSecrets.tracked(), ['ns/other', 'ops/shared']);
    h.caches.clusterSecretStores.remove('c');
    assert.deepEqual(h.caches.credentialSecrets.tracked(), ['ns/other']);
  });

  it('re-validates a store whose credential Secret changes, and never reads a Secret no store references', async () => {
    // The fake provider reads no credentials: this one reads its token from the Secret it references.
    const reading = { ...fakeProvider, name: 'vault', validateConfig: () => [], ambientCredentials: () => undefined,
      async connect(config: unknown, deps: ProviderDeps) {
        const token = (await deps.readSecret((config as { auth: { tokenSecretRef: SecretKeySelector } }).auth.tokenSecretRef)).toString();
        return fakeProvider.connect({ data: [{ key: 'token-seen', value: token }] }, deps);
      } } as unknown as Provider;
    const h = createHarness({ providers: { vault: reading } });
    h.caches.credentialSecrets.set({ metadata: { name: 'creds', namespace: 'ns' }, data: { token: Buffer.from('one').toString('base64') } });
    h.caches.credentialSecrets.set({ metadata: { name: 'unrelated', namespace: 'ns' }, data: { token: Buffer.from('x').toString('base64') } });
    h.caches.secretStores.set({ apiVersion: API, kind: 'SecretStore', metadata: { name: 's', namespace: 'ns', generation: 1 }, spec: { provider: { vault: { auth: { tokenSecretRef: { name: 'creds', key: 'token' } } } } } } as unknown as KubeObject);
    const seen = async () => (await h.controller.stores.get('SecretStore/ns/s')!.handle!.client.fetch({ key: 'token-seen' })).value.toString();
    await h.reconcileStore(await h.controller.storeQueue.get() as string);
    h.controller.storeQueue.done('SecretStore/ns/s');
    assert.equal(await seen(), 'one');
    h.caches.credentialSecrets.set({ metadata: { name: 'unrelated', namespace: 'ns' }, data: { token: Buffer.from('y').toString('base64') } });
    assert.equal(h.controller.storeQueue.length, 0, 'an unreferenced Secret changing re-queues nothing');
    h.caches.credentialSecrets.set({ metadata: { name: 'creds', namespace: 'ns' }, data: { token: Buffer.from('two').toString('base64') } });
    assert.equal(await h.controller.storeQueue.get(), 'SecretStore/ns/s');
    await h.reconcileStore('SecretStore/ns/s');
    assert.equal(await seen(), 'two', 'reconnected with the new credential');
    assert.deepEqual([...new Set(h.caches.credentialSecrets.reads)], ['ns/creds']);
  });
  it('a credential change lets a fetch under way finish through the old client; a spec change stops it with StoreRemoved', async () => {
    // The first fetch through each client waits until released, as a slow provider call would.
    const releases: Array<() => void> = [];
    const gated = { ...fakeProvider, name: 'vault', validateConfig: () => [], ambientCredentials: () => undefined,
      async connect(config: unknown, deps: ProviderDeps) {
        const token = (await deps.readSecret((config as { auth: { tokenSecretRef: SecretKeySelector } }).auth.tokenSecretRef)).toString();
        const client = await fakeProvider.connect({ data: [{ key: 'token-seen', value: token }] }, deps);
        const fetch = client.fetch.bind(client);
        client.fetch = async (ref, ctx) => { await new Promise<void>((r) => releases.push(r)); return fetch(ref, ctx); };
        return client;
      } } as unknown as Provider;
    const fetcher = new FetchPath({ registry: new Registry(), switches: { cache: false, merge: false, batch: false } });
    const h = createHarness({ providers: { vault: gated }, fetcher });
    const storeSpec = (mount: string) => ({ apiVersion: API, kind: 'SecretStore', metadata: { name: 's', namespace: 'ns', generation: 1 }, spec: { provider: { vault: { path: mount, auth: { tokenSecretRef: { name: 'creds', key: 'token' } } } } } }) as unknown as KubeObject;
    h.caches.credentialSecrets.set({ metadata: { name: 'creds', namespace: 'ns' }, data: { token: Buffer.from('one').toString('base64') } });
    h.caches.secretStores.set(storeSpec('a'));
    await h.reconcileStore('SecretStore/ns/s');
    const inFlight = async () => {
      const handle = h.controller.stores.get('SecretStore/ns/s')!.handle!;
      const call = fetcher.fetch(handle, { key: 'token-seen' }).then((r) => r.value.toString(), (e: unknown) => e);
      while (releases.length === 0) await new Promise((r) => setImmediate(r));
      return { call }; // wrapped: an async function returning the promise itself would wait for it
    };

    const underway = await inFlight();
    h.caches.credentialSecrets.set({ metadata: { name: 'creds', namespace: 'ns' }, data: { token: Buffer.from('two').toString('base64') } });
    await h.reconcileStore('SecretStore/ns/s');
    releases.shift()!();
    assert.equal(await underway.call, 'one', 'the call under way finished through the client it started with');

    const stopped = await inFlight();
    h.caches.secretStores.set(storeSpec('b'));
    await h.reconcileStore('SecretStore/ns/s');
    const error = await stopped.call;
    assert.ok(isUnavailable(error) && error.reason === STORE_REMOVED_REASON, `a spec change stops the call: ${String(error)}`);
    await h.controller.storeReconciler.closeRetired();
  });
  it('an ExternalSecret whose fetch the store\'s change stopped runs again at once, with no failure reported', async () => {
    let gate: (() => void) | undefined;
    let armed = false;
    const gated = { ...fakeProvider,
      async connect(config: unknown, deps: ProviderDeps) {
        const client = await fakeProvider.connect(config as never, deps);
        const fetch = client.fetch.bind(client);
        client.fetch = async (ref, ctx) => {
          if (armed) await new Promise<void>((r) => { gate = r; });
          return fetch(ref, ctx);
        };
        return client;
      } } as unknown as Provider;
    const h = createHarness({ providers: { fake: gated }, fetcher: new FetchPath({ registry: new Registry(), switches: { cache: false, merge: false, batch: false } }) });
    h.store('s', 'ns', [{ key: 'a', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/s');
    const spec = (secretKey: string) => ({ secretStoreRef: { name: 's' }, refreshInterval: '1h', data: [{ secretKey, remoteRef: { key: 'a' } }] });
    h.es('e', 'ns', spec('k'));
    await h.reconcile('ns/e');
    assert.equal(h.ready('e', 'ns')?.status, 'True');

    armed = true;
    h.es('e', 'ns', spec('renamed'));
    const reconciling = h.reconcile('ns/e');
    while (!gate) await new Promise((r) => setImmediate(r));
    armed = false;
    h.store('s', 'ns', [{ key: 'a', value: 'two' }]);
    await h.reconcileStore('SecretStore/ns/s');
    gate();
    assert.deepEqual(await reconciling, { requeueAfter: 0 });
    assert.equal(h.ready('e', 'ns')?.status, 'True', 'still Ready: nothing failed');
    assert.doesNotMatch(await h.registry.metrics(), /externalsecret_sync_calls_error\{/);
    await h.reconcile('ns/e');
    assert.equal(h.ready('e', 'ns')?.status, 'True');
    const current = h.api.secrets.get(`ns/${h.get('e', 'ns')!.status!.currentSecretName}`)!;
    assert.equal(Buffer.from(current.data!.renamed!, 'base64').toString(), 'two');
    await h.controller.storeReconciler.closeRetired();
  });
});

describe('store resolution and helpers', () => {
  it('ClusterSecretStore conditions: namespaces, namespaceSelector and namespaceRegexes', () => {
    assert.equal(namespaceAllowed(undefined, 'a', {}), true);
    assert.equal(namespaceAllowed([{ namespaces: ['a'] }], 'a', {}), true);
    assert.equal(namespaceAllowed([{ namespaces: ['a'] }], 'b', {}), false);
    assert.equal(namespaceAllowed([{ namespaceSelector: { matchLabels: { team: 'x' } } }], 'b', { team: 'x' }), true);
    assert.equal(namespaceAllowed([{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'] }] } }], 'b', { team: 'x' }), false);
    assert.equal(namespaceAllowed([{ namespaceRegexes: ['^team-'] }], 'team-a', {}), true);
    assert.equal(namespaceAllowed([{ namespaceRegexes: ['('] }], 'team-a', {}), false);
  });

  it('refresh slots: deterministic, within one interval of the last sync, periodic, spread over the interval', () => {
    const hour = 3600_000;
    assert.equal(refreshOffsetMs('store|db', hour), refreshOffsetMs('store|db', hour));
    for (const last of [0, 1, 17_999, 1_700_000_000_123]) {
      const next = nextRefreshAt(last, hour, 'store|db');
      assert.ok(next > last && next <= last + hour, `${next} within (${last}, ${last + hour}]`);
      // Once on the slot, exactly one interval apart.
      assert.equal(nextRefreshAt(next, hour, 'store|db'), next + hour);
    }
    // Two ExternalSecrets reading one remote secret, synced at different times, refresh together.
    assert.equal(nextRefreshAt(1000, hour, 'store|db'), nextRefreshAt(21_000, hour, 'store|db'));
    const offsets = Array.from({ length: 2000 }, (_, i) => refreshOffsetMs(`store|app-${i}`, hour));
    assert.ok(offsets.every((o) => o >= 0 && o < hour && o % (hour / REFRESH_SLOTS) === 0));
    assert.equal(new Set(offsets).size, REFRESH_SLOTS);
    assert.equal(nextRefreshAt(5, 0, 'store|db'), Number.POSITIVE_INFINITY);
  });

  it('accepts cached "latest" reads up to a tenth of the refresh interval, between 1 s and 10 s', () => {
    assert.equal(latestMaxAgeMs(3_600_000), 10_000);
    assert.equal(latestMaxAgeMs(30_000), 3_000);
    assert.equal(latestMaxAgeMs(5_000), 1_000);
    assert.equal(latestMaxAgeMs(0), 1_000);
  });

  it('finds credential references anywhere in a provider block', () => {
    assert.deepEqual(credentialRefs({ aws: { auth: { secretRef: { accessKeyIDSecretRef: { name: 'a', key: 'id' }, secretAccessKeySecretRef: { name: 'b', key: 'k', namespace: 'n' } } } } }).map(({ name, namespace }) => ({ name, namespace })),
      [{ name: 'a', namespace: undefined }, { name: 'b', namespace: 'n' }]);
  });
});

describe('StoreReconciler client lifetime', () => {
  it('keeps a replaced client open for fetches under way and closes it on shutdown', async () => {
    const h = createHarness();
    h.store('s', 'ns', [{ key: 'a', value: '1' }]);
    await h.reconcileStore('SecretStore/ns/s');
    const first = h.controller.stores.get('SecretStore/ns/s')!.handle!;
    let closed = false;
    const close = first.client.close.bind(first.client);
    first.client.close = async () => { closed = true; await close(); };
    h.store('s', 'ns', [{ key: 'a', value: '2' }]);
    await h.reconcileStore('SecretStore/ns/s');
    assert.notEqual(h.controller.stores.get('SecretStore/ns/s')!.handle, first);
    assert.equal(closed, false, 'not closed while fetches may still use it');
    assert.equal((await first.client.fetch({ key: 'a' })).value.toString(), '1');
    await h.controller.storeReconciler.closeRetired();
    assert.equal(closed, true);
  });
});
