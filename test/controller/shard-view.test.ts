// What a sharded replica keeps of what other shards reconcile: ExternalSecrets as stubs,
// their versions not at all; and what still works across shards (rival targets, moves).
import assert from 'node:assert/strict';
import { LABEL_CLUSTER_EXTERNAL_SECRET } from '../../src/api/constants.js';
import { remoteGroupKey } from '../../src/controller/remote-group.js';
import { shardOf } from '../../src/controller/shard.js';
import { ShardView, externalSecretStub, isOtherShard } from '../../src/controller/shard-view.js';
import type { ExternalSecretResource } from '../../src/controller/types.js';
import type { KubeObject, SecretObject } from '../../src/kube/kube-object.js';
import { LABEL_ALIAS, ANNOTATION_ALIAS_OF } from '../../src/workloads/annotations.js';
import { LABEL_EXTERNAL_SECRET, LABEL_MANAGED, LABEL_TARGET } from '../../src/versioning/labels.js';
import { FakeInformer } from './fakes.js';
import { createHarness, drainQueue } from './harness.js';

const API = 'keyferry.io/v1alpha1';
const spec = (key: string, extra: Record<string, unknown> = {}) => ({ secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'v', remoteRef: { key } }], ...extra });
const es = (name: string, key: string, extra: Record<string, unknown> = {}, labels?: Record<string, string>) => ({
  apiVersion: API, kind: 'ExternalSecret',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '7', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z', annotations: { note: 'x'.repeat(200) }, ...(labels ? { labels } : {}) },
  spec: spec(key, extra),
  status: { conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'm'.repeat(200) }], currentSecretName: 'app-0123' },
}) as ExternalSecretResource;

/** Remote keys whose group (store `SecretStore/ns/fake`) falls on shard `index` of 2. */
const keysOf = (index: number, n: number) => Array.from({ length: 200 }, (_, i) => `key-${i}`).filter((k) => shardOf(`SecretStore/ns/fake|${k}`, 2) === index).slice(0, n);
const [mine, theirs] = [keysOf(1, 3), keysOf(0, 3)];

const version = (owner: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) =>
  ({ metadata: { name: `${owner}-v`, namespace: 'ns', labels: { [LABEL_MANAGED]: 'true', [LABEL_EXTERNAL_SECRET]: owner, [LABEL_TARGET]: owner, ...labels }, annotations } }) as SecretObject;

describe('shard view: what a replica keeps of other shards', () => {
  it('keeps an ExternalSecret of its own shard whole, and another shard\'s as a stub of the fields cross-shard checks read', () => {
    const view = new ShardView({ index: 1, count: 2 });
    const own = es('own', mine[0]!);
    assert.equal(view.externalSecret(own as KubeObject), own);
    const other = es('other', theirs[0]!, { target: { name: 'shared', creationPolicy: 'Owner', versioning: { rollout: 'Publish', retain: 5 }, template: { data: { a: 'b' } } } }, { team: 'a' });
    const stub = view.externalSecret(other as KubeObject) as ExternalSecretResource;
    assert.ok(isOtherShard(stub) && !isOtherShard(own));
    assert.equal(view.owns(stub), false);
    assert.deepEqual(JSON.parse(JSON.stringify(stub)), {
      apiVersion: API, kind: 'ExternalSecret',
      metadata: { name: 'other', namespace: 'ns', uid: 'uid-other', resourceVersion: '7', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z', labels: { team: 'a' } },
      spec: { target: { name: 'shared', creationPolicy: 'Owner', versioning: { rollout: 'Publish' } } },
    });
    // The mark survives the copy every cached object goes through (informer.ts compactObject).
    assert.ok(isOtherShard({ ...stub, metadata: { ...stub.metadata } } as KubeObject));
    assert.ok(JSON.stringify(stub).length < JSON.stringify(other).length / 2, 'the stub is much smaller');
  });

  it('keeps a ClusterExternalSecret\'s ExternalSecret whole on shard 0, which compares its whole spec', () => {
    const written = es('from-ces', theirs[0]!, {}, { [LABEL_CLUSTER_EXTERNAL_SECRET]: 'everywhere' });
    const elsewhere = es('from-ces', mine[0]!, {}, { [LABEL_CLUSTER_EXTERNAL_SECRET]: 'everywhere' });
    assert.equal(new ShardView({ index: 0, count: 2 }).externalSecret(elsewhere as KubeObject), elsewhere);
    assert.ok(isOtherShard(new ShardView({ index: 1, count: 2 }).externalSecret(written as KubeObject)));
  });

  it('does not cache the versions and aliases of another shard\'s ExternalSecrets; keeps those of unknown owners', () => {
    const view = new ShardView({ index: 1, count: 2 });
    const cache = new FakeInformer<KubeObject>();
    view.bind(cache);
    cache.set(view.externalSecret(es('own', mine[0]!) as KubeObject));
    cache.set(view.externalSecret(es('other', theirs[0]!) as KubeObject));
    assert.equal(view.keepsManagedSecret(version('own')), true);
    assert.equal(view.keepsManagedSecret(version('other')), false);
    const alias = { metadata: { name: 'other', namespace: 'ns', labels: { [LABEL_MANAGED]: 'true', [LABEL_ALIAS]: 'true' }, annotations: { [ANNOTATION_ALIAS_OF]: 'other' } } } as SecretObject;
    assert.equal(view.keepsManagedSecret(alias), false);
    assert.equal(view.keepsManagedSecret(version('not-seen-yet')), true, 'an owner not cached yet: kept, never missed');
    const unsharded = new ShardView(undefined);
    assert.equal(unsharded.sharded, false);
    assert.equal(unsharded.keepsManagedSecret(version('other')), true);
    assert.equal(unsharded.externalSecret(es('other', theirs[0]!) as KubeObject).metadata?.annotations?.note?.length, 200);
  });

  it('a target claimed across shards: the other shard\'s ExternalSecret that holds versions keeps it, as the API server shows', async () => {
    const h = createHarness({ shard: { index: 1, count: 2 } });
    h.store('fake', 'ns', [...mine, ...theirs].map((key) => ({ key, value: `v-${key}` })));
    await h.reconcileStore('SecretStore/ns/fake');
    // `late` (another shard) already holds a version of target `shared`; `early` (this shard) is older.
    h.api.secrets.set('ns/shared-abc', { apiVersion: 'v1', kind: 'Secret', immutable: true, type: 'Opaque', data: {}, metadata: { name: 'shared-abc', namespace: 'ns', labels: { [LABEL_MANAGED]: 'true', [LABEL_EXTERNAL_SECRET]: 'late', [LABEL_TARGET]: 'shared' }, annotations: {}, creationTimestamp: '2026-01-02T00:00:00Z' } } as SecretObject);
    const early = es('early', mine[0]!, { target: { name: 'shared' } });
    early.metadata!.creationTimestamp = '2025-01-01T00:00:00Z';
    delete (early as { status?: unknown }).status;
    h.caches.externalSecrets.set(early as KubeObject);
    h.caches.externalSecrets.set(externalSecretStub(es('late', theirs[0]!, { target: { name: 'shared' } })) as KubeObject);
    assert.equal(remoteGroupKey(early), `SecretStore/ns/fake|${mine[0]}`);
    await assert.rejects(h.controller.externalSecrets.reconcile('ns/early'), /written by ExternalSecret "late"/);
    const ready = h.ready('early', 'ns');
    assert.equal(ready?.reason, 'TargetConflict', ready?.message);
    assert.match(ready!.message, /"late"/);
    assert.ok(h.api.calls.some((c) => c.startsWith('list ns ') && c.includes(`${LABEL_EXTERNAL_SECRET}=late`)), h.api.calls.join('\n'));
    assert.ok(!h.api.calls.some((c) => c.startsWith('create')), 'nothing written');
  });

  it('an ExternalSecret that moves into this shard is reconciled once the managed Secrets are listed again', async () => {
    const h = createHarness({ shard: { index: 1, count: 2 } });
    const view = new ShardView({ index: 1, count: 2 });
    const relists: Array<() => void> = [];
    (h.caches.managedSecrets as FakeInformer<SecretObject> & { relist?: () => Promise<void> }).relist = () => new Promise<void>((resolve) => relists.push(resolve));
    const queued = () => h.controller.externalSecretQueue.length;
    h.caches.externalSecrets.set(view.externalSecret(es('moving', theirs[0]!)));
    assert.equal(queued(), 0, 'another shard\'s: not queued');
    // Its spec changes to a remote key of this shard: the informer brings the whole object.
    h.caches.externalSecrets.set({ ...es('moving', mine[0]!), metadata: { ...es('moving', mine[0]!).metadata, generation: 4 } } as KubeObject);
    h.caches.externalSecrets.set({ ...es('moving-too', mine[1]!), metadata: { ...es('moving-too', mine[1]!).metadata, generation: 4 } } as KubeObject);
    assert.equal(relists.length, 1, 'one re-list asked for');
    assert.equal(queued(), 1, 'only the new one (an add) is queued; the one that moved waits for the list');
    relists[0]!();
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(queued(), 2);
    // Each move waits for its own re-list (the informer makes overlapping ones share a list started after each).
    h.caches.externalSecrets.set(view.externalSecret(es('third', theirs[1]!)));
    h.caches.externalSecrets.set(view.externalSecret(es('fourth', theirs[2]!)));
    h.caches.externalSecrets.set({ ...es('third', mine[2]!), metadata: { ...es('third', mine[2]!).metadata, generation: 4 } } as KubeObject);
    h.caches.externalSecrets.set({ ...es('fourth', mine[0]!), metadata: { ...es('fourth', mine[0]!).metadata, generation: 4 } } as KubeObject);
    assert.equal(relists.length, 3, 'a re-list asked for by each move');
    relists[2]!();
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(queued(), 3, 'the move whose re-list is applied is queued; the other still waits');
    relists[1]!();
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(queued(), 4);
  });

  it('connects only the stores its own ExternalSecrets use; only the store\'s shard writes its status', async () => {
    const h = createHarness({ shard: { index: 1, count: 2 } });
    const names = Array.from({ length: 40 }, (_, i) => `store-${i}`);
    const [reported, notReported] = [1, 0].map((index) => names.find((n) => shardOf(`SecretStore/ns/${n}`, 2) === index)!);
    const data = [...mine, ...theirs].map((key) => ({ key, value: `v-${key}` }));
    h.store(reported!, 'ns', data);
    h.store(notReported!, 'ns', data);
    const drainStores = () => drainQueue(h.controller.storeQueue);
    await drainStores();
    const statusesOf = (name: string) => h.api.statuses.filter((s) => s.ref.name === name).length;
    await h.reconcileStore(`SecretStore/ns/${reported}`);
    await h.reconcileStore(`SecretStore/ns/${notReported}`);
    assert.equal(h.controller.stores.get(`SecretStore/ns/${reported}`)?.ready, true, 'its own store: validated even unused');
    assert.equal(statusesOf(reported!), 1);
    assert.equal(h.controller.stores.get(`SecretStore/ns/${notReported}`), undefined, 'another shard\'s store, unused here: no client');
    assert.equal(statusesOf(notReported!), 0);

    // An ExternalSecret of this shard comes to use it: the store is queued, connected, and still not reported on here.
    const key = [...mine, ...theirs].find((k) => shardOf(`SecretStore/ns/${notReported}|${k}`, 2) === 1)!;
    h.es('user', 'ns', { secretStoreRef: { name: notReported }, data: [{ secretKey: 'v', remoteRef: { key } }] });
    assert.deepEqual(await drainStores(), [`SecretStore/ns/${notReported}`]);
    await h.reconcileStore(`SecretStore/ns/${notReported}`);
    assert.equal(h.controller.stores.get(`SecretStore/ns/${notReported}`)?.ready, true);
    assert.equal(statusesOf(notReported!), 0);
    await h.reconcile('ns/user');
    assert.equal(h.ready('user', 'ns')?.status, 'True');

    // A store that does not exist is not queued (it would queue its readers again, and they it).
    const ownedKey = [...mine, ...theirs].find((k) => shardOf(`SecretStore/ns/missing|${k}`, 2) === 1)!;
    h.es('orphan', 'ns', { secretStoreRef: { name: 'missing' }, data: [{ secretKey: 'v', remoteRef: { key: ownedKey } }] });
    assert.equal(h.controller.owns('ns/orphan'), true);
    assert.deepEqual((await drainStores()).filter((k) => k.endsWith('/missing')), []);
  });
});
