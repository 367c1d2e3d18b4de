// Cached objects are compact: what the trims delete (managedFields, last-applied, Secret data)
// would leave V8 objects as hash tables, so the informer copies each object's top level,
// metadata and annotations into fresh objects before caching it, listed or watched.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startDevCluster } from '../../src/devcluster/dev-cluster.js';
import { compactObject, forgetManagedFields, ResilientInformer } from '../../src/kube/informer.js';
import type { KubeObject, SecretObject } from '../../src/kube/kube-object.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp } from '../../src/kube/kube-http.js';
import { forgetData } from '../../src/versioning/version-ownership.js';

setFlagsFromString('--allow-natives-syntax');
setFlagsFromString('--expose-gc');
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
const gc = runInNewContext('gc') as () => void;
const quiet = { warn() {}, debug() {} };

/** A version as a real API server sends it: managedFields in the middle of metadata, data before type. */
const managedSecretJson = (i: number) => JSON.stringify({
  apiVersion: 'v1', kind: 'Secret',
  metadata: {
    name: `app-${i}-${(i * 7919).toString(16).padStart(10, '0')}`, namespace: `tenant-namespace-${i % 50}`, uid: `3f2a1b4c-0000-4000-8000-${String(i).padStart(12, '0')}`,
    resourceVersion: String(100_000 + i), creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'keyferry', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {}, 'f:type': {} } }],
    labels: { 'keyferry.io/managed': 'true', 'keyferry.io/external-secret': `app-${i}` },
    annotations: { 'keyferry.io/content-hash': (i * 7919).toString(16).padStart(10, '0'), 'keyferry.io/remote-versions': JSON.stringify({ [`app/${i}`]: 'v2' }) },
    ownerReferences: [{ apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', name: `app-${i}`, uid: `9e2a1b4c-0000-4000-8000-${String(i).padStart(12, '0')}`, controller: true, blockOwnerDeletion: true }],
  },
  data: { password: Buffer.from(`pw-${i}`).toString('base64') },
  type: 'Opaque', immutable: true,
});

const asCached = (json: string, compact: boolean) => {
  const o = JSON.parse(json) as SecretObject;
  forgetManagedFields(o);
  forgetData(o);
  return compact ? compactObject(o) : o;
};

/** Heap held per object by what `build` returns, after full collections. */
function heldPerObject(count: number, build: () => unknown[]): number {
  gc(); gc();
  const before = process.memoryUsage().heapUsed;
  const held = build();
  gc(); gc();
  const bytes = process.memoryUsage().heapUsed - before;
  assert.equal(held.length, count);
  return bytes / count;
}

describe('compactObject', () => {
  it('keeps every field and leaves no object a hash table after the trims', () => {
    const trimmed = asCached(managedSecretJson(1), false);
    assert.equal(hasFastProperties(trimmed), false, 'the deletes leave a hash table (else this test shows nothing)');
    assert.equal(hasFastProperties(trimmed.metadata!), false);
    const cached = compactObject(trimmed);
    assert.deepEqual(cached, trimmed);
    assert.deepEqual(Object.getOwnPropertySymbols(cached), Object.getOwnPropertySymbols(trimmed), 'the data digest is kept');
    for (const o of [cached, cached.metadata!, cached.metadata!.annotations!, cached.metadata!.ownerReferences![0]!]) assert.ok(hasFastProperties(o));
  });

  it('holds a managed Secret in at most 1 000 B of heap (measured ~790 B; ~1 470 B as trimmed in place)', () => {
    const texts = Array.from({ length: 5000 }, (_, i) => managedSecretJson(i));
    const inPlace = heldPerObject(texts.length, () => texts.map((t) => asCached(t, false)));
    const compact = heldPerObject(texts.length, () => texts.map((t) => asCached(t, true)));
    assert.ok(compact <= 1000, `${Math.round(compact)} B per object`);
    assert.ok(compact < inPlace * 0.8, `${Math.round(compact)} B compact, ${Math.round(inPlace)} B trimmed in place`);
  });
});

describe('ResilientInformer caches compact objects', function () {
  this.timeout(20_000);
  it('listed and watched, after a trim that deletes', async () => {
    const cluster = await startDevCluster({ port: 0 });
    const http = new KubeHttp(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd()));
    const informer = new ResilientInformer<SecretObject>({
      name: 'secrets', http, logger: quiet, path: '/api/v1/secrets',
      list: (page) => http.list('/api/v1/secrets', page),
      trim: forgetData,
    });
    try {
      await cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'listed', namespace: 'default', annotations: { a: '1' } }, data: { k: 'dg==' }, type: 'Opaque' });
      await informer.start();
      await informer.waitForSync();
      await cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'watched', namespace: 'default', annotations: { a: '1' } }, data: { k: 'dg==' }, type: 'Opaque' });
      for (const deadline = Date.now() + 5000; !informer.get('watched', 'default') && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 25));
      for (const name of ['listed', 'watched']) {
        const cached = informer.get(name, 'default') as KubeObject & { data?: unknown };
        assert.ok(cached, name);
        assert.equal(cached.data, undefined);
        assert.ok(hasFastProperties(cached), `${name}: the Secret`);
        assert.ok(hasFastProperties(cached.metadata!), `${name}: its metadata`);
      }
    } finally {
      await informer.stop();
      await cluster.stop();
    }
  });
});
