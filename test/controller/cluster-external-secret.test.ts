import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/kube/kube-object.js';
import { API, createHarness } from './harness.js';

const LABEL = 'keyferry.io/cluster-external-secret';
const ES_SPEC = { secretStoreRef: { name: 'shared', kind: 'ClusterSecretStore' }, refreshInterval: '1h', data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] };

type Harness = ReturnType<typeof createHarness>;
interface CesStatus {
  provisionedNamespaces?: string[];
  failedNamespaces?: Array<{ namespace: string; reason?: string }>;
  externalSecretName?: string;
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
}

function namespace(h: Harness, name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  h.caches.namespaces.set({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, ...extra } } as KubeObject);
}

let generation = 0;
function ces(h: Harness, name: string, spec: Record<string, unknown>) {
  const old = h.caches.clusterExternalSecrets.get(name) as { status?: unknown } | undefined;
  h.caches.clusterExternalSecrets.set({ apiVersion: API, kind: 'ClusterExternalSecret', metadata: { name, uid: `ces-${name}`, generation: ++generation }, spec: { externalSecretSpec: ES_SPEC, ...spec }, status: old?.status } as KubeObject);
}

const statusOf = (h: Harness, name: string) => ((h.caches.clusterExternalSecrets.get(name) as { status?: CesStatus } | undefined)?.status ?? {});
const readyOf = (h: Harness, name: string) => statusOf(h, name).conditions?.find((c) => c.type === 'Ready');
const esIn = (h: Harness, ns: string, name = 'shared-creds') => h.caches.externalSecrets.get(name, ns) as (KubeObject & { spec?: unknown }) | undefined;
const reconcile = (h: Harness, name: string) => h.controller.clusterExternalSecrets!.reconcile(name);

describe('ClusterExternalSecret reconciler', () => {
  it('writes the ExternalSecret into every namespace a selector or the list selects, owned and labelled, and reports them', async () => {
    const h = createHarness();
    namespace(h, 'team-a', { team: 'a', env: 'prod' });
    namespace(h, 'team-b', { team: 'b', env: 'prod' });
    namespace(h, 'listed');
    namespace(h, 'other', { env: 'dev' });
    ces(h, 'shared-creds', {
      namespaceSelectors: [{ matchLabels: { env: 'prod' } }, { matchExpressions: [{ key: 'team', operator: 'In', values: ['z'] }] }],
      namespaces: ['listed', 'missing'],
      externalSecretMetadata: { labels: { app: 'x' }, annotations: { note: 'y' } },
    });
    const result = await reconcile(h, 'shared-creds');
    assert.equal(result.requeueAfter, 60_000, 'namespaces re-evaluated every minute by default');
    for (const ns of ['listed', 'team-a', 'team-b']) {
      const es = esIn(h, ns);
      assert.ok(es, `ExternalSecret in ${ns}`);
      assert.deepEqual(es.spec, ES_SPEC);
      assert.deepEqual(es.metadata?.labels, { app: 'x', [LABEL]: 'shared-creds' });
      assert.deepEqual(es.metadata?.annotations, { note: 'y' });
      assert.deepEqual(es.metadata?.ownerReferences, [{ apiVersion: API, kind: 'ClusterExternalSecret', name: 'shared-creds', uid: 'ces-shared-creds', controller: true }]);
    }
    assert.equal(esIn(h, 'other'), undefined);
    assert.equal(esIn(h, 'missing'), undefined);
    const status = statusOf(h, 'shared-creds');
    assert.deepEqual(status.provisionedNamespaces, ['listed', 'team-a', 'team-b']);
    assert.deepEqual(status.failedNamespaces, []);
    assert.equal(status.externalSecretName, 'shared-creds');
    assert.equal(readyOf(h, 'shared-creds')?.status, 'True');
    assert.equal(readyOf(h, 'shared-creds')?.reason, 'Provisioned');
    // A second pass changes nothing: no writes, no status patch.
    const writes = h.externalSecretWriter.calls.length;
    const patches = h.api.statuses.length;
    await reconcile(h, 'shared-creds');
    assert.equal(h.externalSecretWriter.calls.length, writes);
    assert.equal(h.api.statuses.length, patches);
  });

  it('passes creationPolicy Merge through: each namespace\'s ExternalSecret merges into that namespace\'s opted-in Secret only', async () => {
    const h = createHarness();
    namespace(h, 'team-a');
    namespace(h, 'team-b');
    const spec = { secretStoreRef: { name: 'fake' }, refreshInterval: '1h', data: [{ secretKey: 'k', remoteRef: { key: 'k' } }], target: { name: 'app-config', creationPolicy: 'Merge', deletionPolicy: 'Merge' } };
    ces(h, 'merged', { externalSecretSpec: spec, namespaces: ['team-a', 'team-b'] });
    await reconcile(h, 'merged');
    for (const ns of ['team-a', 'team-b']) {
      assert.deepEqual(esIn(h, ns, 'merged')?.spec, spec);
      h.store('fake', ns, [{ key: 'k', value: `value-${ns}` }]);
      await h.reconcileStore(`SecretStore/${ns}/fake`);
    }
    // team-a's owner opted in; team-b's did not.
    h.api.secrets.set('team-a/app-config', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-config', namespace: 'team-a', resourceVersion: '1', annotations: { 'keyferry.io/merge-from': 'merged' } }, data: {} });
    h.api.secrets.set('team-b/app-config', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-config', namespace: 'team-b', resourceVersion: '1' }, data: {} });
    await h.reconcile('team-a/merged');
    await h.reconcile('team-b/merged').catch(() => undefined);
    assert.equal(h.ready('merged', 'team-a')?.status, 'True');
    assert.equal(Buffer.from(h.api.secrets.get('team-a/app-config')!.data!.k!, 'base64').toString(), 'value-team-a');
    assert.equal(h.ready('merged', 'team-b')?.reason, 'MergeRefused');
    assert.deepEqual(h.api.secrets.get('team-b/app-config')!.data, {});
  });

  it('never touches an ExternalSecret of the same name it does not own: the namespace is in failedNamespaces with the reason', async () => {
    const h = createHarness();
    namespace(h, 'a', { shared: 'yes' });
    namespace(h, 'b', { shared: 'yes' });
    h.es('shared-creds', 'b', { secretStoreRef: { name: 'own' }, data: [{ secretKey: 'mine', remoteRef: { key: 'mine' } }] });
    const before = structuredClone(esIn(h, 'b'));
    ces(h, 'shared-creds', { namespaceSelectors: [{ matchLabels: { shared: 'yes' } }] });
    await reconcile(h, 'shared-creds');
    assert.deepEqual(esIn(h, 'b'), before);
    assert.ok(!h.externalSecretWriter.calls.some((c) => c.endsWith(' b/shared-creds')), 'no write to the unowned one');
    const status = statusOf(h, 'shared-creds');
    assert.deepEqual(status.provisionedNamespaces, ['a']);
    assert.equal(status.failedNamespaces?.length, 1);
    assert.equal(status.failedNamespaces?.[0]?.namespace, 'b');
    assert.match(status.failedNamespaces?.[0]?.reason ?? '', /ExternalSecret named shared-creds exists in b that ClusterExternalSecret shared-creds does not own/);
    assert.equal(readyOf(h, 'shared-creds')?.status, 'False');
    assert.equal(readyOf(h, 'shared-creds')?.reason, 'NamespacesFailed');
    // Once the other one is gone, the namespace gets ours.
    h.caches.externalSecrets.remove('b/shared-creds');
    await reconcile(h, 'shared-creds');
    assert.deepEqual(statusOf(h, 'shared-creds').provisionedNamespaces, ['a', 'b']);
    assert.deepEqual(statusOf(h, 'shared-creds').failedNamespaces, []);
  });

  it('follows spec changes: updates its ExternalSecrets, and a new externalSecretName replaces the old ones', async () => {
    const h = createHarness();
    namespace(h, 'a', { shared: 'yes' });
    ces(h, 'c', { namespaceSelectors: [{ matchLabels: { shared: 'yes' } }], externalSecretName: 'one' });
    await reconcile(h, 'c');
    assert.ok(esIn(h, 'a', 'one'));
    const changed = { ...ES_SPEC, refreshInterval: '5m' };
    h.caches.clusterExternalSecrets.set({ ...h.caches.clusterExternalSecrets.get('c')!, spec: { externalSecretSpec: changed, namespaceSelectors: [{ matchLabels: { shared: 'yes' } }], externalSecretName: 'one' } } as KubeObject);
    await reconcile(h, 'c');
    assert.deepEqual(esIn(h, 'a', 'one')?.spec, changed);
    assert.ok(h.externalSecretWriter.calls.includes('update a/one'));
    h.caches.clusterExternalSecrets.set({ ...h.caches.clusterExternalSecrets.get('c')!, spec: { externalSecretSpec: changed, namespaceSelectors: [{ matchLabels: { shared: 'yes' } }], externalSecretName: 'two' } } as KubeObject);
    await reconcile(h, 'c');
    assert.equal(esIn(h, 'a', 'one'), undefined);
    assert.ok(esIn(h, 'a', 'two'));
    assert.equal(statusOf(h, 'c').externalSecretName, 'two');
  });

  it('does not rewrite an ExternalSecret whose stored spec only adds the API server\'s defaults', async () => {
    const h = createHarness();
    namespace(h, 'a', { shared: 'yes' });
    ces(h, 'c', { namespaceSelectors: [{ matchLabels: { shared: 'yes' } }] });
    await reconcile(h, 'c');
    const stored = esIn(h, 'a', 'c')!;
    const defaulted = { ...ES_SPEC, refreshPolicy: 'Periodic', target: {}, data: [{ secretKey: 'k', remoteRef: { key: 'k', decodingStrategy: 'None' } }] };
    h.caches.externalSecrets.set({ ...stored, spec: defaulted } as KubeObject);
    await reconcile(h, 'c');
    assert.deepEqual(h.externalSecretWriter.calls, ['create a/c']);
    // A changed value is written back.
    h.caches.externalSecrets.set({ ...esIn(h, 'a', 'c')!, spec: { ...defaulted, refreshInterval: '1m' } } as KubeObject);
    await reconcile(h, 'c');
    assert.deepEqual(h.externalSecretWriter.calls, ['create a/c', 'update a/c']);
    assert.equal((esIn(h, 'a', 'c')!.spec as { refreshInterval: string }).refreshInterval, '1h');
  });

  it('reports a write the API refuses in failedNamespaces, and takes refreshTime as the re-evaluation period', async () => {
    const h = createHarness();
    namespace(h, 'a', { shared: 'yes' });
    namespace(h, 'locked', { shared: 'yes' });
    h.externalSecretWriter.failWith.set('locked/c', 403);
    ces(h, 'c', { namespaceSelectors: [{ matchLabels: { shared: 'yes' } }], refreshTime: '10s' });
    const result = await reconcile(h, 'c');
    assert.equal(result.requeueAfter, 10_000);
    assert.deepEqual(statusOf(h, 'c').provisionedNamespaces, ['a']);
    assert.deepEqual(statusOf(h, 'c').failedNamespaces?.map((f) => f.namespace), ['locked']);
    assert.match(statusOf(h, 'c').failedNamespaces?.[0]?.reason ?? '', /403/);
  });

  it('takes ESO\'s deprecated namespaceSelector as one more selector', async () => {
    const h = createHarness();
    namespace(h, 'a', { old: 'yes' });
    namespace(h, 'b', { new: 'yes' });
    namespace(h, 'c');
    ces(h, 'c', { namespaceSelector: { matchLabels: { old: 'yes' } }, namespaceSelectors: [{ matchLabels: { new: 'yes' } }] });
    await reconcile(h, 'c');
    assert.deepEqual(statusOf(h, 'c').provisionedNamespaces, ['a', 'b']);
  });

  it('leaves terminating namespaces out', async () => {
    const h = createHarness();
    namespace(h, 'a', { shared: 'yes' });
    namespace(h, 'going', { shared: 'yes' }, { deletionTimestamp: '2026-01-01T00:00:00Z' });
    ces(h, 'c', { namespaceSelectors: [{ matchLabels: { shared: 'yes' } }] });
    await reconcile(h, 'c');
    assert.deepEqual(statusOf(h, 'c').provisionedNamespaces, ['a']);
    assert.equal(esIn(h, 'going', 'c'), undefined);
  });

  it('reacts to namespaces added, relabelled and deleted while running, and recreates an ExternalSecret deleted behind its back', async () => {
    const h = createHarness();
    h.controller.start();
    try {
      ces(h, 'c', { namespaceSelectors: [{ matchLabels: { shared: 'yes' } }] });
      namespace(h, 'a', { shared: 'yes' });
      await h.runUntil(() => !!esIn(h, 'a', 'c'), 5000);
      assert.ok(esIn(h, 'a', 'c'), 'created on namespace add');
      namespace(h, 'b');
      namespace(h, 'b', { shared: 'yes' });
      await h.runUntil(() => !!esIn(h, 'b', 'c'), 5000);
      assert.ok(esIn(h, 'b', 'c'), 'created on label added');
      namespace(h, 'a', {});
      await h.runUntil(() => !esIn(h, 'a', 'c'), 5000);
      assert.equal(esIn(h, 'a', 'c'), undefined, 'deleted on label removed');
      assert.deepEqual(statusOf(h, 'c').provisionedNamespaces, ['b']);
      h.caches.externalSecrets.remove('b/c');
      await h.runUntil(() => !!esIn(h, 'b', 'c'), 5000);
      assert.ok(esIn(h, 'b', 'c'), 'recreated');
      h.caches.namespaces.remove('b');
      await h.runUntil(() => (statusOf(h, 'c').provisionedNamespaces ?? ['b']).length === 0, 5000);
      assert.deepEqual(statusOf(h, 'c').provisionedNamespaces, []);
    } finally {
      await h.controller.stop();
    }
  });

  it('is reconciled by shard 0 only when sharded', () => {
    assert.ok(createHarness({ shard: { index: 0, count: 2 } }).controller.clusterExternalSecrets);
    assert.equal(createHarness({ shard: { index: 1, count: 2 } }).controller.clusterExternalSecrets, undefined);
    assert.equal(createHarness({ shard: { index: 1, count: 2 } }).controller.clusterExternalSecretQueue, undefined);
  });
});
