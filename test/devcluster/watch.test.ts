import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, until, type TestCluster } from './helpers.js';

interface Seen { type: string; name?: string; rv?: string; code?: number; message?: string }

/** Starts a client-node Watch and records what arrives. */
async function record(t: TestCluster, path: string, query: Record<string, string | number | boolean | undefined>) {
  const events: Seen[] = [];
  let done: unknown = 'open';
  const ctl = await new k8s.Watch(t.kc).watch(path, query, (type, obj: { metadata?: { name?: string; resourceVersion?: string }; code?: number; message?: string }) => {
    events.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion, code: obj.code, message: obj.message });
  }, (err) => { done = err; });
  return { events, ctl, isDone: () => done !== 'open' };
}

describe('dev cluster watch (client-node Watch and informer)', () => {
  let t: TestCluster;
  before(async () => { t = await startTestCluster({ bookmarkIntervalMs: 50 }); });
  after(() => t.cluster.stop());

  it('lists, then watches from the list resourceVersion and sees exactly the later changes in order', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'w1' } } });
    await t.core.createNamespacedConfigMap({ namespace: 'w1', body: { metadata: { name: 'before' } } });
    const list = await t.core.listNamespacedConfigMap({ namespace: 'w1' });
    await t.core.createNamespacedConfigMap({ namespace: 'w1', body: { metadata: { name: 'after' } } });
    await t.core.patchNamespacedConfigMap({ namespace: 'w1', name: 'before', body: { data: { a: '1' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await t.core.deleteNamespacedConfigMap({ namespace: 'w1', name: 'after' });
    await t.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'other-ns' } } });
    const w = await record(t, '/api/v1/namespaces/w1/configmaps', { resourceVersion: list.metadata!.resourceVersion });
    await until(() => w.events.length >= 3, 3000, 'replayed events');
    await t.core.createNamespacedConfigMap({ namespace: 'w1', body: { metadata: { name: 'live' } } });
    await until(() => w.events.length >= 4, 3000, 'live event');
    w.ctl.abort();
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.name}`), ['ADDED after', 'MODIFIED before', 'DELETED after', 'ADDED live']);
    const rvs = w.events.map((e) => Number(e.rv));
    assert.deepEqual([...rvs].sort((a, b) => a - b), rvs);
    assert.ok(rvs[0] > Number(list.metadata!.resourceVersion));
  });

  it('starts with synthetic ADDED events when no resourceVersion is given, and accepts ?watch=1 and legacy /watch/ paths', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'w2' } } });
    await t.core.createNamespacedSecret({ namespace: 'w2', body: { metadata: { name: 's1' } } });
    const w = await record(t, '/api/v1/namespaces/w2/secrets', {});
    await until(() => w.events.length >= 1);
    w.ctl.abort();
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.name}`), ['ADDED s1']);
    for (const path of ['/api/v1/namespaces/w2/secrets?watch=1&timeoutSeconds=1', '/api/v1/watch/namespaces/w2/secrets?timeoutSeconds=1']) {
      const res = await fetch(t.cluster.url + path);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /^\{"type":"ADDED","object":\{.*"name":"s1"/);
    }
  });

  it('sends BOOKMARK events with allowWatchBookmarks', async () => {
    const w = await record(t, '/api/v1/namespaces/default/secrets', { allowWatchBookmarks: true, resourceVersion: t.cluster.resourceVersion });
    await until(() => w.events.some((e) => e.type === 'BOOKMARK'), 3000, 'a bookmark');
    w.ctl.abort();
    const b = w.events.find((e) => e.type === 'BOOKMARK')!;
    assert.ok(Number(b.rv) >= 1);
  });

  it('ends the watch after timeoutSeconds', async () => {
    const w = await record(t, '/api/v1/namespaces/default/secrets', { timeoutSeconds: 1, resourceVersion: t.cluster.resourceVersion });
    await until(w.isDone, 3000, 'server-side timeout');
  });

  it('applies label and field selectors to watches (leaving the selection is a DELETED)', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'w3' } } });
    const w = await record(t, '/api/v1/namespaces/w3/configmaps', { labelSelector: 'app=x', resourceVersion: t.cluster.resourceVersion });
    const byName = await record(t, '/api/v1/namespaces/w3/configmaps', { fieldSelector: 'metadata.name=b', resourceVersion: t.cluster.resourceVersion });
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    await t.core.createNamespacedConfigMap({ namespace: 'w3', body: { metadata: { name: 'a', labels: { app: 'x' } } } });
    await t.core.createNamespacedConfigMap({ namespace: 'w3', body: { metadata: { name: 'b', labels: { app: 'y' } } } });
    await t.core.patchNamespacedConfigMap({ namespace: 'w3', name: 'b', body: { metadata: { labels: { app: 'x' } } } }, merge);
    await t.core.patchNamespacedConfigMap({ namespace: 'w3', name: 'a', body: { metadata: { labels: { app: 'z' } } } }, merge);
    await until(() => w.events.length >= 3 && byName.events.length >= 2);
    w.ctl.abort();
    byName.ctl.abort();
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.name}`), ['ADDED a', 'ADDED b', 'DELETED a']);
    assert.deepEqual(byName.events.map((e) => `${e.type} ${e.name}`), ['ADDED b', 'MODIFIED b']);
  });

  it('answers a too-old resourceVersion with an ERROR event carrying 410 Gone', async () => {
    const old = t.cluster.resourceVersion;
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'after-compaction' } } });
    t.cluster.compactHistory();
    const w = await record(t, '/api/v1/namespaces/default/secrets', { resourceVersion: String(Number(old) - 1) });
    await until(w.isDone, 3000, 'the watch to end');
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0].type, 'ERROR');
    assert.equal(w.events[0].code, 410);
    assert.match(w.events[0].message!, /too old resource version/);
  });

  it('an informer re-lists after 410 Gone and converges', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'inf' } } });
    for (const n of ['keep', 'remove']) await t.core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: n } } });
    const informer = k8s.makeInformer(t.kc, '/api/v1/namespaces/inf/configmaps', () => t.core.listNamespacedConfigMap({ namespace: 'inf' }));
    const deleted: string[] = [];
    const errors: unknown[] = [];
    informer.on('delete', (o) => deleted.push(o.metadata!.name!));
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    await until(() => informer.list('inf').length === 2, 3000, 'initial sync');
    const listsBefore = t.cluster.stats.count('list', 'configmaps');

    // Hold the informer's next watch for a moment, drop its connection, change things and compact meanwhile:
    // it comes back with a resourceVersion the server no longer has.
    // (The changes are made in-process, so they land well inside the held window.)
    t.cluster.faults.add({ match: { verb: 'watch', resource: 'configmaps' }, latencyMs: 500, times: 1 });
    assert.equal(t.cluster.dropWatches({ resource: 'configmaps' }), 1);
    await t.cluster.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new', namespace: 'inf' } });
    assert.equal(t.cluster.delete('v1', 'ConfigMap', 'remove', 'inf'), true);
    t.cluster.compactHistory();

    await until(() => t.cluster.stats.count('list', 'configmaps') > listsBefore, 5000, 'a re-list');
    await until(() => informer.list('inf').map((o) => o.metadata!.name).sort().join() === 'keep,new', 5000, 'convergence');
    assert.deepEqual(deleted, ['remove']);
    assert.deepEqual(errors, []);
    // And it keeps following live changes.
    await t.core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'later' } } });
    await until(() => informer.list('inf').length === 3, 3000, 'a live change after re-list');
    await informer.stop();
  });

  it('survives many watchers that disconnect abruptly while objects change', async () => {
    const ctls = await Promise.all(Array.from({ length: 40 }, () => new k8s.Watch(t.kc).watch('/api/v1/secrets', { allowWatchBookmarks: true }, () => {}, () => {})));
    const writes = Array.from({ length: 40 }, (_, i) => t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: `churn-${i}` } } }));
    ctls.forEach((c, i) => { if (i % 2) c.abort(); });
    await Promise.all(writes);
    t.cluster.dropWatches({ graceful: false });
    ctls.forEach((c) => c.abort());
    await until(() => t.cluster.server.hub.size === 0, 3000, 'watchers to go');
    const list = await t.core.listSecretForAllNamespaces({ labelSelector: '' });
    assert.ok(list.items.filter((s) => s.metadata!.name!.startsWith('churn-')).length === 40);
  });

  it('informers over a CRD see creates, updates and deletes', async () => {
    await t.cluster.apply({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'things.test.keyferry.io' },
      spec: { group: 'test.keyferry.io', scope: 'Namespaced', names: { kind: 'Thing', plural: 'things' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    const G = { group: 'test.keyferry.io', version: 'v1', plural: 'things' };
    const informer = k8s.makeInformer(t.kc, '/apis/test.keyferry.io/v1/namespaces/default/things',
      () => t.custom.listNamespacedCustomObject({ ...G, namespace: 'default' }) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>);
    const log: string[] = [];
    informer.on('add', (o) => log.push(`add ${o.metadata!.name}`));
    informer.on('update', (o) => log.push(`update ${o.metadata!.name}`));
    informer.on('delete', (o) => log.push(`delete ${o.metadata!.name}`));
    await informer.start();
    await t.custom.createNamespacedCustomObject({ ...G, namespace: 'default', body: { apiVersion: 'test.keyferry.io/v1', kind: 'Thing', metadata: { name: 't1' }, spec: { a: 1 } } });
    await t.custom.patchNamespacedCustomObject({ ...G, namespace: 'default', name: 't1', body: { spec: { a: 2 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await t.custom.deleteNamespacedCustomObject({ ...G, namespace: 'default', name: 't1' });
    await until(() => log.length >= 3, 3000, 'informer events');
    await informer.stop();
    assert.deepEqual(log, ['add t1', 'update t1', 'delete t1']);
  });
});
