import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { failure, jsonPatch, mergePatch, startTestCluster, strategicPatch, W, WIDGET_CRD, type TestCluster } from './helpers.js';

describe('dev cluster REST semantics (client-node over HTTP)', () => {
  let t: TestCluster;
  before(async () => {
    t = await startTestCluster();
    await t.cluster.apply(WIDGET_CRD);
  });
  after(() => t.cluster.stop());

  it('assigns uid, creationTimestamp and a monotonic resourceVersion (Secrets have no generation)', async () => {
    const a = await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'rv-a' }, stringData: { k: 'v' } } });
    const b = await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'rv-b' } } });
    assert.match(a.metadata!.uid!, /^[0-9a-f-]{36}$/);
    assert.ok(a.metadata!.creationTimestamp);
    assert.equal(a.metadata!.generation, undefined);
    assert.ok(Number(b.metadata!.resourceVersion) > Number(a.metadata!.resourceVersion));
    assert.deepEqual(a.data, { k: Buffer.from('v').toString('base64') });
    assert.equal(a.type, 'Opaque');
    const list = await t.core.listNamespacedSecret({ namespace: 'default' });
    assert.ok(Number(list.metadata!.resourceVersion) >= Number(b.metadata!.resourceVersion));
  });

  it('answers AlreadyExists (409) with Kubernetes’ message on create of an existing name', async () => {
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'dup' } } });
    const f = await failure(t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'dup' } } }));
    assert.equal(f.code, 409);
    assert.equal(f.body.reason, 'AlreadyExists');
    assert.equal(f.body.message, 'secrets "dup" already exists');
    await t.custom.createNamespacedCustomObject({ ...W, namespace: 'default', body: { apiVersion: 'test.keyferry.io/v1', kind: 'Widget', metadata: { name: 'dup' } } });
    const g = await failure(t.custom.createNamespacedCustomObject({ ...W, namespace: 'default', body: { apiVersion: 'test.keyferry.io/v1', kind: 'Widget', metadata: { name: 'dup' } } }));
    assert.equal(g.body.message, 'widgets.test.keyferry.io "dup" already exists');
  });

  it('answers NotFound (404) for missing objects and for a missing namespace on create', async () => {
    const f = await failure(t.core.readNamespacedSecret({ namespace: 'default', name: 'nope' }));
    assert.equal(f.code, 404);
    assert.equal(f.body.message, 'secrets "nope" not found');
    const g = await failure(t.core.createNamespacedSecret({ namespace: 'missing-ns', body: { metadata: { name: 'x' } } }));
    assert.equal(g.code, 404);
    assert.equal(g.body.message, 'namespaces "missing-ns" not found');
  });

  it('answers Conflict (409) to an update with a stale resourceVersion', async () => {
    const s = await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'stale' }, data: { a: 'YQ==' } } });
    const fresh = await t.core.replaceNamespacedSecret({ namespace: 'default', name: 'stale', body: { ...s, data: { a: 'Yg==' } } });
    assert.notEqual(fresh.metadata!.resourceVersion, s.metadata!.resourceVersion);
    const f = await failure(t.core.replaceNamespacedSecret({ namespace: 'default', name: 'stale', body: { ...s, data: { a: 'Yw==' } } }));
    assert.equal(f.code, 409);
    assert.equal(f.body.reason, 'Conflict');
    assert.match(f.body.message!, /Operation cannot be fulfilled on secrets "stale": the object has been modified/);
  });

  it('refuses changes to an immutable Secret with 422 and Kubernetes’ text', async () => {
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'imm' }, immutable: true, data: { a: 'YQ==' } } });
    const f = await failure(t.core.patchNamespacedSecret({ namespace: 'default', name: 'imm', body: { data: { a: 'Yg==' } } }, mergePatch));
    assert.equal(f.code, 422);
    assert.equal(f.body.reason, 'Invalid');
    assert.equal(f.body.message, 'Secret "imm" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    // Metadata may still change.
    const ok = await t.core.patchNamespacedSecret({ namespace: 'default', name: 'imm', body: { metadata: { labels: { a: 'b' } } } }, mergePatch);
    assert.equal(ok.metadata!.labels!.a, 'b');
    const cm = await failure((async () => {
      await t.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'imm' }, immutable: true, data: { a: '1' } } });
      await t.core.patchNamespacedConfigMap({ namespace: 'default', name: 'imm', body: { data: { a: '2' } } }, mergePatch);
    })());
    assert.match(cm.body.message!, /ConfigMap "imm" is invalid: data: Forbidden: field is immutable when `immutable` is set/);
  });

  it('bumps generation on spec changes only', async () => {
    const body = { apiVersion: 'test.keyferry.io/v1', kind: 'Widget', metadata: { name: 'gen' }, spec: { size: 1 } };
    const w = (await t.custom.createNamespacedCustomObject({ ...W, namespace: 'default', body })) as k8s.KubernetesObject & { spec: object };
    assert.equal(w.metadata!.generation, 1);
    const labelled = (await t.custom.patchNamespacedCustomObject({ ...W, namespace: 'default', name: 'gen', body: { metadata: { labels: { x: 'y' } } } }, mergePatch)) as k8s.KubernetesObject;
    assert.equal(labelled.metadata!.generation, 1);
    assert.notEqual(labelled.metadata!.resourceVersion, w.metadata!.resourceVersion);
    const statused = (await t.custom.patchNamespacedCustomObjectStatus({ ...W, namespace: 'default', name: 'gen', body: { status: { ok: true } } }, mergePatch)) as k8s.KubernetesObject;
    assert.equal(statused.metadata!.generation, 1);
    const specced = (await t.custom.patchNamespacedCustomObject({ ...W, namespace: 'default', name: 'gen', body: { spec: { size: 2 } } }, mergePatch)) as k8s.KubernetesObject;
    assert.equal(specced.metadata!.generation, 2);
    // Secrets have no generation at all, as on a real API server.
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'gen' }, data: { a: 'YQ==' } } });
    const s2 = await t.core.patchNamespacedSecret({ namespace: 'default', name: 'gen', body: { data: { a: 'Yg==' } } }, mergePatch);
    assert.equal(s2.metadata!.generation, undefined);
  });

  it('a no-op update writes nothing (same resourceVersion)', async () => {
    const s = await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'noop' }, data: { a: 'YQ==' } } });
    const again = await t.core.replaceNamespacedSecret({ namespace: 'default', name: 'noop', body: s });
    assert.equal(again.metadata!.resourceVersion, s.metadata!.resourceVersion);
  });

  it('status subresource ignores spec changes; the main resource ignores status changes', async () => {
    const body = { apiVersion: 'test.keyferry.io/v1', kind: 'Widget', metadata: { name: 'st' }, spec: { size: 1 }, status: { phase: 'ignored-on-create' } };
    const created = (await t.custom.createNamespacedCustomObject({ ...W, namespace: 'default', body })) as Record<string, unknown> & k8s.KubernetesObject;
    assert.equal(created.status, undefined);
    const viaStatus = (await t.custom.replaceNamespacedCustomObjectStatus({
      ...W, namespace: 'default', name: 'st', body: { ...created, spec: { size: 99 }, status: { phase: 'Ready' } },
    })) as Record<string, unknown> & k8s.KubernetesObject;
    assert.deepEqual(viaStatus.spec, { size: 1 });
    assert.deepEqual(viaStatus.status, { phase: 'Ready' });
    const viaMain = (await t.custom.replaceNamespacedCustomObject({
      ...W, namespace: 'default', name: 'st', body: { ...viaStatus, spec: { size: 2 }, status: { phase: 'Broken' } },
    })) as Record<string, unknown> & k8s.KubernetesObject;
    assert.deepEqual(viaMain.spec, { size: 2 });
    assert.deepEqual(viaMain.status, { phase: 'Ready' });
    assert.equal(viaMain.metadata!.generation, 2);
  });

  it('finalizers hold deletion until they are removed', async () => {
    await t.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'fin', finalizers: ['keyferry.io/test'] } } });
    await t.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'fin' });
    const held = await t.core.readNamespacedConfigMap({ namespace: 'default', name: 'fin' });
    assert.ok(held.metadata!.deletionTimestamp);
    const f = await failure(t.core.patchNamespacedConfigMap({ namespace: 'default', name: 'fin', body: { metadata: { finalizers: ['keyferry.io/test', 'other'] } } }, mergePatch));
    assert.equal(f.code, 422);
    await t.core.patchNamespacedConfigMap({ namespace: 'default', name: 'fin', body: { metadata: { finalizers: null } } }, mergePatch);
    const gone = await failure(t.core.readNamespacedConfigMap({ namespace: 'default', name: 'fin' }));
    assert.equal(gone.code, 404);
  });

  it('owner references cascade on delete; Orphan removes the reference instead', async () => {
    const owner = await t.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'owner' } } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid!, controller: true };
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'dep-1', ownerReferences: [ref] } } });
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'dep-2', ownerReferences: [ref] } } });
    await t.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'owner' });
    assert.equal((await failure(t.core.readNamespacedSecret({ namespace: 'default', name: 'dep-1' }))).code, 404);
    assert.equal((await failure(t.core.readNamespacedSecret({ namespace: 'default', name: 'dep-2' }))).code, 404);

    const owner2 = await t.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'owner2' } } });
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'dep-3', ownerReferences: [{ ...ref, name: 'owner2', uid: owner2.metadata!.uid! }] } } });
    await t.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'owner2', propagationPolicy: 'Orphan' });
    const orphan = await t.core.readNamespacedSecret({ namespace: 'default', name: 'dep-3' });
    assert.equal(orphan.metadata!.ownerReferences, undefined);
  });

  it('foreground deletion waits for blocking dependents', async () => {
    const owner = await t.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'fg-owner' } } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.metadata!.uid!, blockOwnerDeletion: true };
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'fg-dep', ownerReferences: [ref], finalizers: ['keyferry.io/hold'] } } });
    await t.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'fg-owner', propagationPolicy: 'Foreground' });
    const waiting = await t.core.readNamespacedConfigMap({ namespace: 'default', name: 'fg-owner' });
    assert.ok(waiting.metadata!.deletionTimestamp);
    assert.deepEqual(waiting.metadata!.finalizers, ['foregroundDeletion']);
    assert.ok((await t.core.readNamespacedSecret({ namespace: 'default', name: 'fg-dep' })).metadata!.deletionTimestamp);
    await t.core.patchNamespacedSecret({ namespace: 'default', name: 'fg-dep', body: { metadata: { finalizers: null } } }, mergePatch);
    assert.equal((await failure(t.core.readNamespacedSecret({ namespace: 'default', name: 'fg-dep' }))).code, 404);
    assert.equal((await failure(t.core.readNamespacedConfigMap({ namespace: 'default', name: 'fg-owner' }))).code, 404);
  });

  it('filters lists by label and field selectors', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'sel' } } });
    const mk = (name: string, labels: Record<string, string>) => t.core.createNamespacedConfigMap({ namespace: 'sel', body: { metadata: { name, labels } } });
    await mk('a', { app: 'x', tier: 'web' });
    await mk('b', { app: 'y', tier: 'web' });
    await mk('c', { app: 'z' });
    const names = async (opts: { labelSelector?: string; fieldSelector?: string }) =>
      (await t.core.listNamespacedConfigMap({ namespace: 'sel', ...opts })).items.map((i) => i.metadata!.name).sort();
    assert.deepEqual(await names({ labelSelector: 'app=x' }), ['a']);
    assert.deepEqual(await names({ labelSelector: 'app==y' }), ['b']);
    assert.deepEqual(await names({ labelSelector: 'app!=x' }), ['b', 'c']);
    assert.deepEqual(await names({ labelSelector: 'app in (x,z)' }), ['a', 'c']);
    assert.deepEqual(await names({ labelSelector: 'app notin (x,z)' }), ['b']);
    assert.deepEqual(await names({ labelSelector: 'tier' }), ['a', 'b']);
    assert.deepEqual(await names({ labelSelector: '!tier' }), ['c']);
    assert.deepEqual(await names({ labelSelector: 'tier=web,app!=y' }), ['a']);
    assert.deepEqual(await names({ fieldSelector: 'metadata.name=b' }), ['b']);
    assert.deepEqual(await names({ fieldSelector: 'metadata.name!=b' }), ['a', 'c']);
    const all = await t.core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace=sel' });
    assert.equal(all.items.length, 3);
    const bad = await failure(t.core.listNamespacedConfigMap({ namespace: 'sel', fieldSelector: 'spec.nope=1' }));
    assert.equal(bad.code, 400);
  });

  it('selects Events by involvedObject fields and type (kubectl describe)', async () => {
    const ev = (name: string, obj: string, type: string) => t.core.createNamespacedEvent({ namespace: 'default', body: {
      metadata: { name }, involvedObject: { kind: 'Secret', name: obj, namespace: 'default', uid: `uid-${obj}` }, reason: 'Test', message: 'm', type,
    } });
    await ev('e1', 'one', 'Normal');
    await ev('e2', 'two', 'Warning');
    const l = await t.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=two,involvedObject.kind=Secret,involvedObject.uid=uid-two' });
    assert.deepEqual(l.items.map((i) => i.metadata!.name), ['e2']);
    const w = await t.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'type=Warning' });
    assert.deepEqual(w.items.map((i) => i.metadata!.name), ['e2']);
    // The same Events through events.k8s.io/v1.
    const res = await fetch(`${t.cluster.url}/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Done`);
    const body = (await res.json()) as { items: { regarding: { name: string }; note: string }[] };
    assert.equal(body.items.length, 1);
    assert.equal(body.items[0].regarding.name, 'one');
    assert.equal(body.items[0].note, 'm');
  });

  it('pages lists with limit and continue', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'paged' } } });
    for (let i = 0; i < 7; i++) await t.core.createNamespacedConfigMap({ namespace: 'paged', body: { metadata: { name: `cm-${i}` } } });
    const seen: string[] = [];
    let cont: string | undefined;
    do {
      const page: k8s.V1ConfigMapList = await t.core.listNamespacedConfigMap({ namespace: 'paged', limit: 3, _continue: cont });
      seen.push(...page.items.map((i) => i.metadata!.name!));
      cont = page.metadata!._continue || undefined;
    } while (cont);
    assert.deepEqual(seen, ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
  });

  it('supports JSON patch and strategic merge patch of named lists', async () => {
    await t.apps.createNamespacedDeployment({ namespace: 'default', body: {
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: {
        containers: [{ name: 'app', image: 'nginx', env: [{ name: 'A', value: '1' }] }, { name: 'side', image: 'busybox' }],
      } } },
    } });
    const smp = await t.apps.patchNamespacedDeployment({ namespace: 'default', name: 'web', body: {
      spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '2' }] }] } } },
    } }, strategicPatch);
    const containers = smp.spec!.template.spec!.containers;
    assert.equal(containers.length, 2);
    assert.deepEqual(containers[0].env!.map((e) => e.name), ['A', 'B']);
    assert.equal(containers[0].image, 'nginx');
    assert.equal(smp.metadata!.generation, 2);
    const jp = await t.apps.patchNamespacedDeployment({ namespace: 'default', name: 'web', body: [
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'alpine' },
      { op: 'add', path: '/metadata/annotations', value: { rolled: 'yes' } },
    ] }, jsonPatch);
    assert.equal(jp.spec!.template.spec!.containers[1].image, 'alpine');
    assert.equal(jp.metadata!.annotations!.rolled, 'yes');
  });

  it('deletes collections by label selector', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'coll' } } });
    for (const n of ['a', 'b', 'c']) await t.core.createNamespacedSecret({ namespace: 'coll', body: { metadata: { name: n, labels: { drop: n === 'c' ? 'no' : 'yes' } } } });
    await t.core.deleteCollectionNamespacedSecret({ namespace: 'coll', labelSelector: 'drop=yes' });
    const left = await t.core.listNamespacedSecret({ namespace: 'coll' });
    assert.deepEqual(left.items.map((i) => i.metadata!.name), ['c']);
  });

  it('deleting a namespace deletes its contents; it cannot receive new objects while terminating', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await t.core.createNamespacedSecret({ namespace: 'doomed', body: { metadata: { name: 'x' } } });
    await t.core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'held', finalizers: ['keyferry.io/hold'] } } });
    await t.core.deleteNamespace({ name: 'doomed' });
    const ns = await t.core.readNamespace({ name: 'doomed' });
    assert.equal(ns.status!.phase, 'Terminating');
    const f = await failure(t.core.createNamespacedSecret({ namespace: 'doomed', body: { metadata: { name: 'y' } } }));
    assert.equal(f.code, 403);
    await t.core.patchNamespacedConfigMap({ namespace: 'doomed', name: 'held', body: { metadata: { finalizers: null } } }, mergePatch);
    assert.equal((await failure(t.core.readNamespace({ name: 'doomed' }))).code, 404);
  });

  it('creates a default ServiceAccount in every namespace, and generateName works', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'sa-ns' } } });
    const sa = await t.core.readNamespacedServiceAccount({ namespace: 'sa-ns', name: 'default' });
    assert.equal(sa.metadata!.name, 'default');
    const g = await t.core.createNamespacedSecret({ namespace: 'sa-ns', body: { metadata: { generateName: 'gen-' } } });
    assert.match(g.metadata!.name!, /^gen-[a-z0-9]{5}$/);
  });

  it('serves CRDs: Established on create, gone on delete', async () => {
    const crd = { ...WIDGET_CRD, metadata: { name: 'gadgets.test.keyferry.io' }, spec: { ...WIDGET_CRD.spec, names: { kind: 'Gadget', plural: 'gadgets' } } };
    const res = await fetch(`${t.cluster.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(crd) });
    assert.equal(res.status, 201);
    const created = (await res.json()) as { status: { conditions: { type: string; status: string }[] } };
    assert.ok(created.status.conditions.some((c) => c.type === 'Established' && c.status === 'True'));
    assert.ok(created.status.conditions.some((c) => c.type === 'NamesAccepted' && c.status === 'True'));
    const G = { group: 'test.keyferry.io', version: 'v1', plural: 'gadgets' };
    await t.custom.createNamespacedCustomObject({ ...G, namespace: 'default', body: { apiVersion: 'test.keyferry.io/v1', kind: 'Gadget', metadata: { name: 'g1' } } });
    const l = (await t.custom.listNamespacedCustomObject({ ...G, namespace: 'default' })) as { items: unknown[] };
    assert.equal(l.items.length, 1);
    const del = await fetch(`${t.cluster.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.test.keyferry.io`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal((await failure(t.custom.listNamespacedCustomObject({ ...G, namespace: 'default' }))).code, 404);
  });

  it('answers Tables (kubectl get) and PartialObjectMetadata lists when asked', async () => {
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'tabled', labels: { tabled: 'yes' } }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } } });
    const table = (await (await fetch(`${t.cluster.url}/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Dtabled`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json' },
    })).json()) as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { metadata: { name: string } } }[] };
    assert.equal(table.kind, 'Table');
    assert.deepEqual(table.columnDefinitions.map((c) => c.name), ['Name', 'Type', 'Data', 'Age']);
    assert.deepEqual(table.rows[0].cells.slice(0, 2), ['tabled', 'kubernetes.io/tls']);
    assert.equal(table.rows[0].object.metadata.name, 'tabled');
    const partial = (await (await fetch(`${t.cluster.url}/api/v1/namespaces/default/secrets?labelSelector=tabled%3Dyes`, {
      headers: { Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' },
    })).json()) as { kind: string; items: Record<string, unknown>[] };
    assert.equal(partial.kind, 'PartialObjectMetadataList');
    assert.equal(partial.items.length, 1);
    assert.equal(partial.items[0].data, undefined);
    assert.equal((partial.items[0].metadata as { name: string }).name, 'tabled');
  });

  it('validates custom resources against the CRD schema and CEL rules, applies defaults and prunes unknown fields', async () => {
    await t.cluster.apply({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'valids.test.keyferry.io' },
      spec: { group: 'test.keyferry.io', scope: 'Namespaced', names: { kind: 'Valid', plural: 'valids' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: {
        type: 'object',
        properties: { spec: {
          type: 'object', required: ['size'],
          properties: { size: { type: 'integer', minimum: 1 }, mode: { type: 'string', enum: ['fast', 'slow'], default: 'fast' }, a: { type: 'string' }, b: { type: 'string' } },
          'x-kubernetes-validations': [{ rule: '!(has(self.a) && has(self.b))', message: 'set at most one of a, b' }],
        } },
      } } }] },
    });
    const V = { group: 'test.keyferry.io', version: 'v1', plural: 'valids' };
    const mk = (name: string, spec: object) => t.custom.createNamespacedCustomObject({ ...V, namespace: 'default', body: { apiVersion: 'test.keyferry.io/v1', kind: 'Valid', metadata: { name }, spec } });
    const ok = (await mk('ok', { size: 2, extra: 'pruned' })) as { spec: Record<string, unknown> };
    assert.deepEqual(ok.spec, { size: 2, mode: 'fast' });
    const cel = await failure(mk('both', { size: 1, a: 'x', b: 'y' }));
    assert.equal(cel.code, 422);
    assert.equal(cel.body.message, 'Valid.test.keyferry.io "both" is invalid: spec: Invalid value: "object": set at most one of a, b');
    const missing = await failure(mk('missing', {}));
    assert.match(missing.body.message!, /spec.size: Required value/);
    const small = await failure(mk('small', { size: 0 }));
    assert.match(small.body.message!, /spec.size: Invalid value: 0/);
    const mode = await failure(mk('mode', { size: 1, mode: 'medium' }));
    assert.match(mode.body.message!, /spec.mode: Unsupported value: "medium": supported values: "fast", "slow"/);
    const upd = await failure(t.custom.patchNamespacedCustomObject({ ...V, namespace: 'default', name: 'ok', body: { spec: { a: '1', b: '2' } } }, mergePatch));
    assert.equal(upd.code, 422);
  });

  it('apply() creates or replaces objects in-process without counting as HTTP requests', async () => {
    t.cluster.stats.reset();
    await t.cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'applied', namespace: 'default' }, stringData: { a: '1' } });
    const [again] = await t.cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'applied', namespace: 'default' }, stringData: { a: '2' } });
    assert.equal((again as { data: Record<string, string> }).data.a, Buffer.from('2').toString('base64'));
    assert.equal(t.cluster.stats.count(), 0);
    await t.core.readNamespacedSecret({ namespace: 'default', name: 'applied' });
    assert.equal(t.cluster.stats.count('get', 'secrets'), 1);
    assert.equal(t.cluster.stats.writes('secrets'), 0);
  });
});
