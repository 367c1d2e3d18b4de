// Deletion, the same on both clusters: owner references under each propagation policy
// (Background, Foreground, Orphan; on the real cluster kube-controller-manager's garbage
// collector does the work), a custom resource owning Secrets as keyferry's ExternalSecrets do,
// and finalizers with deletionTimestamp.
import assert from 'node:assert/strict';
import { eventually, forEachCluster, nsPath, parityCluster, type KubeObject, type Status } from './parity-cluster.js';

forEachCluster('parity: deletion, owner references and finalizers', function (kind) {
  this.timeout(120_000);
  const pc = parityCluster(kind, 'parity-gc');
  const cm = (name?: string) => nsPath(pc().ns, 'configmaps', name);
  const get = async (path: string) => {
    const r = await pc().request<KubeObject>('GET', path);
    return r.status === 404 ? undefined : r.body;
  };
  // The real garbage collector may first have to discover a CRD's resources (it rescans every 30 s).
  const gone = (path: string, what: string) => eventually(async () => (await get(path)) === undefined, 60_000 * pc().fixture.slow, `${what} deleted`);

  /** An owner ConfigMap and two dependents; the first blocks a foreground deletion of the owner. */
  async function family(owner: string, dependentFinalizer?: string): Promise<string> {
    const o = (await pc().request<KubeObject>('POST', cm(), { metadata: { name: owner } })).body;
    for (const [d, block] of [['a', true], ['b', false]] as const) {
      await pc().request('POST', cm(), {
        metadata: {
          name: `${owner}-${d}`, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid: o.metadata!.uid, blockOwnerDeletion: block }],
          ...(block && dependentFinalizer ? { finalizers: [dependentFinalizer] } : {}),
        },
      });
    }
    return String(o.metadata!.uid);
  }
  const del = (path: string, propagationPolicy: string) => pc().request<KubeObject & Status>('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy });

  it('Background: the owner goes at once, its dependents after it', async () => {
    await family('bg');
    const r = await del(cm('bg'), 'Background');
    assert.deepEqual([r.status, r.body.kind, r.body.status], [200, 'Status', 'Success']);
    assert.equal(await get(cm('bg')), undefined);
    await gone(cm('bg-a'), 'bg-a');
    await gone(cm('bg-b'), 'bg-b');
  });

  it('Foreground: the owner is answered marked for deletion, and goes after its dependents', async () => {
    await family('fg');
    const r = await del(cm('fg'), 'Foreground');
    assert.equal(r.status, 200);
    assert.equal(r.body.kind, 'ConfigMap');
    assert.ok(r.body.metadata?.deletionTimestamp);
    assert.deepEqual(r.body.metadata?.finalizers, ['foregroundDeletion']);
    await gone(cm('fg-a'), 'fg-a');
    await gone(cm('fg-b'), 'fg-b');
    await gone(cm('fg'), 'fg');
  });

  it('Foreground: a blocking dependent that cannot go yet holds the owner', async () => {
    await family('hold', 'example.com/hold');
    await del(cm('hold'), 'Foreground');
    const dependent = await eventually(async () => { const d = await get(cm('hold-a')); return d?.metadata?.deletionTimestamp ? d : undefined; }, 60_000, 'hold-a marked');
    assert.deepEqual(dependent.metadata?.finalizers, ['example.com/hold']);
    await gone(cm('hold-b'), 'hold-b');
    const owner = await get(cm('hold'));
    assert.deepEqual(owner?.metadata?.finalizers, ['foregroundDeletion'], 'the owner waits');
    await pc().request('PATCH', cm('hold-a'), { metadata: { finalizers: null } }, 'application/merge-patch+json');
    await gone(cm('hold-a'), 'hold-a');
    await gone(cm('hold'), 'hold');
  });

  it('Orphan: the owner is answered with the orphan finalizer; its dependents stay, without the reference', async () => {
    await family('orph');
    const r = await del(cm('orph'), 'Orphan');
    assert.deepEqual(r.body.metadata?.finalizers, ['orphan']);
    assert.ok(r.body.metadata?.deletionTimestamp);
    await gone(cm('orph'), 'orph');
    for (const d of ['orph-a', 'orph-b']) {
      const dep = await eventually(async () => { const x = await get(cm(d)); return x && !x.metadata?.ownerReferences ? x : undefined; }, 60_000, `${d} orphaned`);
      assert.equal(dep.metadata?.deletionTimestamp, undefined);
    }
  });

  it('a custom resource that owns Secrets takes them with it', async () => {
    const es = (await pc().request<KubeObject>('POST', `/apis/keyferry.io/v1alpha1/namespaces/${pc().ns}/externalsecrets`, {
      apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: 'owner' },
      spec: { secretStoreRef: { name: 's' }, data: [{ secretKey: 'a', remoteRef: { key: 'k' } }] },
    })).body;
    const ref = { apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', name: 'owner', uid: es.metadata!.uid, controller: true, blockOwnerDeletion: true };
    for (const v of ['v1', 'v2']) await pc().request('POST', nsPath(pc().ns, 'secrets'), { metadata: { name: `owned-${v}`, ownerReferences: [ref] }, immutable: true, stringData: { a: v } });
    const r = await pc().request<Status>('DELETE', `/apis/keyferry.io/v1alpha1/namespaces/${pc().ns}/externalsecrets/owner`);
    assert.deepEqual([r.status, r.body.details?.kind], [200, 'externalsecrets']);
    await gone(nsPath(pc().ns, 'secrets', 'owned-v1'), 'owned-v1');
    await gone(nsPath(pc().ns, 'secrets', 'owned-v2'), 'owned-v2');
  });

  it('finalizers: DELETE marks the object and answers it; new finalizers are refused; the last one removed deletes it', async () => {
    await pc().request('POST', cm(), { metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
    const first = await pc().request<KubeObject>('DELETE', cm('fin'));
    assert.equal(first.status, 200);
    assert.ok(first.body.metadata?.deletionTimestamp);
    assert.equal(first.body.metadata?.deletionGracePeriodSeconds, 0);
    const again = await pc().request<KubeObject>('DELETE', cm('fin'));
    assert.deepEqual([again.status, again.body.metadata?.deletionTimestamp], [200, first.body.metadata?.deletionTimestamp]);
    const added = await pc().request<Status>('PATCH', cm('fin'), { metadata: { finalizers: ['example.com/hold', 'example.com/new'] } }, 'application/merge-patch+json');
    assert.equal(added.status, 422);
    assert.equal(added.body.message, `ConfigMap "fin" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/new"}`);
    const labelled = await pc().request('PATCH', cm('fin'), { metadata: { labels: { still: 'editable' } } }, 'application/merge-patch+json');
    assert.equal(labelled.status, 200);
    const released = await pc().request('PATCH', cm('fin'), { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(released.status, 200);
    await gone(cm('fin'), 'fin');
  });
});
