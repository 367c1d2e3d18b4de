// Server-side apply and managedFields, the same on both clusters: who owns which field after
// creates, updates and applies; conflicts (worded as the API server words them) and forcing;
// an applier dropping fields only it owns; atomic structs (a Deployment's secretKeyRef, which
// keyferry's rollouts rewrite); kubectl apply --server-side.
import assert from 'node:assert/strict';
import { forEachCluster, nsPath, parityCluster, type KubeObject, type Status } from './parity-cluster.js';

const APPLY = 'application/apply-patch+yaml';
type Entry = { manager: string; operation: string; apiVersion: string; fieldsType: string; fieldsV1: object; subresource?: string; time?: string };
/** managedFields without their times, which differ from run to run. */
const owners = (o: KubeObject): Omit<Entry, 'time'>[] => ((o.metadata?.managedFields ?? []) as Entry[]).map(({ time: _t, ...e }) => e);
const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data });

forEachCluster('parity: server-side apply and managedFields', function (kind) {
  this.timeout(60_000);
  const pc = parityCluster(kind, 'parity-ssa');
  const cm = (name: string, query = '') => `${nsPath(pc().ns, 'configmaps', name)}${query}`;
  const apply = (path: string, body: object) => pc().request<KubeObject & Status>('PATCH', path, body, APPLY);

  it('refuses an apply without a field manager, force on other patches, and a body that is not the object', async () => {
    const noManager = await apply(cm('refuse'), configMap('refuse', { a: '1' }));
    assert.equal(noManager.status, 422);
    assert.equal(noManager.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const force = await pc().request<Status>('PATCH', cm('refuse', '?force=true'), { data: { a: '1' } }, 'application/merge-patch+json');
    assert.equal(force.status, 422);
    assert.equal(force.body.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const wrongKind = await apply(cm('refuse', '?fieldManager=x'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'refuse' } });
    assert.deepEqual([wrongKind.status, wrongKind.body.message], [400, 'invalid object type: /v1, Kind=Secret']);
    const noName = await apply(cm('refuse', '?fieldManager=x'), { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });
    assert.deepEqual([noName.status, noName.body.message], [400, 'the name of the object (refuse based on URL) was undeterminable: name must be provided']);
    const otherName = await apply(cm('refuse', '?fieldManager=x'), configMap('other', {}));
    assert.deepEqual([otherName.status, otherName.body.message], [400, 'the name of the object (other) does not match the name on the URL (refuse)']);
  });

  it('apply creates, shares fields of equal value, refuses to take others\' fields without force, and prunes what it stops applying', async () => {
    const created = await apply(cm('ssa', '?fieldManager=alice'), configMap('ssa', { a: '1', b: '2' }, { x: 'y' }));
    assert.equal(created.status, 201);
    assert.deepEqual(owners(created.body), [
      { manager: 'alice', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:x': {} } } } },
    ]);
    const conflict = await apply(cm('ssa', '?fieldManager=bob'), configMap('ssa', { a: 'changed', b: 'also' }));
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.reason, 'Conflict');
    assert.equal(conflict.body.message, 'Apply failed with 2 conflicts: conflicts with "alice":\n- .data.a\n- .data.b');
    assert.deepEqual(conflict.body.details?.causes, [
      { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.data.a' },
      { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.data.b' },
    ]);
    const shared = await apply(cm('ssa', '?fieldManager=bob'), configMap('ssa', { a: '1', c: '3' }));
    assert.equal(shared.status, 200);
    assert.deepEqual(owners(shared.body).map((e) => [e.manager, e.fieldsV1]), [
      ['alice', { 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:x': {} } } }],
      ['bob', { 'f:data': { 'f:a': {}, 'f:c': {} } }],
    ]);
    const forced = await apply(cm('ssa', '?fieldManager=bob&force=true'), configMap('ssa', { a: 'bob' }));
    assert.deepEqual(forced.body.data, { a: 'bob', b: '2' }, 'bob stopped applying c, which only he owned');
    assert.deepEqual(owners(forced.body).map((e) => [e.manager, e.fieldsV1]), [
      ['alice', { 'f:data': { 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:x': {} } } }],
      ['bob', { 'f:data': { 'f:a': {} } }],
    ]);
    const narrowed = await apply(cm('ssa', '?fieldManager=alice'), configMap('ssa', { b: '2' }));
    assert.deepEqual([narrowed.body.data, narrowed.body.metadata?.labels], [{ a: 'bob', b: '2' }, undefined], 'the label goes, a stays: bob owns it');
  });

  it('updates take the fields they change from everyone; entries that own nothing go', async () => {
    const created = await pc().request<KubeObject>('POST', `${nsPath(pc().ns, 'configmaps')}?fieldManager=creator`, configMap('upd', { a: '1', b: '2' }));
    assert.deepEqual(owners(created.body), [{ manager: 'creator', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } } }]);
    const conflict = await apply(cm('upd', '?fieldManager=bob'), configMap('upd', { a: 'x' }));
    assert.equal(conflict.body.message, 'Apply failed with 1 conflict: conflict with "creator" using v1: .data.a');
    await apply(cm('upd', '?fieldManager=bob'), configMap('upd', { a: '1' }));
    const replaced = await pc().request<KubeObject>('PUT', cm('upd', '?fieldManager=dave'), configMap('upd', { a: '2', c: '3' }));
    assert.deepEqual(owners(replaced.body).map((e) => [e.manager, e.operation, e.fieldsV1]), [
      ['creator', 'Update', { 'f:data': {} }],
      ['dave', 'Update', { 'f:data': { 'f:a': {}, 'f:c': {} } }],
    ]);
    const patched = await pc().request<KubeObject>('PATCH', cm('upd', '?fieldManager=carol'), { metadata: { labels: { l: 'v' } } }, 'application/merge-patch+json');
    assert.deepEqual(owners(patched.body).find((e) => e.manager === 'carol')?.fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:l': {} } } });
  });

  it('custom resources: status writes are their own entries, and conflicts name the subresource and version', async () => {
    const path = `/apis/keyferry.io/v1alpha1/namespaces/${pc().ns}/externalsecrets`;
    const es = { apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: 'es' }, spec: { secretStoreRef: { name: 's' }, data: [{ secretKey: 'a', remoteRef: { key: 'k' } }] } };
    const created = await pc().request<KubeObject>('POST', `${path}?fieldManager=me`, es);
    assert.deepEqual(owners(created.body)[0]!.fieldsV1, {
      'f:spec': {
        '.': {}, 'f:data': {}, 'f:refreshInterval': {}, 'f:refreshPolicy': {}, 'f:secretStoreRef': { '.': {}, 'f:kind': {}, 'f:name': {} },
        'f:target': { '.': {}, 'f:creationPolicy': {}, 'f:deletionPolicy': {}, 'f:versioning': { '.': {}, 'f:alias': {}, 'f:minRetention': {}, 'f:retain': {}, 'f:rollout': {} } },
      },
    });
    await pc().request('PATCH', `${path}/es/status?fieldManager=operator`, { status: { currentSecretName: 'x' } }, 'application/merge-patch+json');
    const status = await apply(`${path}/es/status?fieldManager=st`, { apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: 'es' }, status: { currentSecretName: 'y' } });
    assert.equal(status.status, 409);
    assert.equal(status.body.message, 'Apply failed with 1 conflict: conflict with "operator" with subresource "status" using keyferry.io/v1alpha1: .status.currentSecretName');
    const spec = await apply(`${path}/es?fieldManager=sp`, { apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: 'es' }, spec: { refreshInterval: '7m' } });
    assert.equal(spec.body.message, 'Apply failed with 1 conflict: conflict with "me" using keyferry.io/v1alpha1: .spec.refreshInterval');
  });

  it('a rewritten secretKeyRef (an atomic struct) becomes the patcher\'s, and the applier\'s next apply conflicts on it', async () => {
    const path = `/apis/apps/v1/namespaces/${pc().ns}/deployments`;
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db-v1', key: 'pw' } } }] }] } },
      },
    };
    assert.equal((await apply(`${path}/web?fieldManager=flux`, deployment)).status, 201);
    const patched = await pc().request<KubeObject>('PATCH', `${path}/web?fieldManager=keyferry`,
      [{ op: 'replace', path: '/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef/name', value: 'db-v2' }], 'application/json-patch+json');
    const mine = owners(patched.body).find((e) => e.manager === 'keyferry');
    assert.deepEqual(mine?.fieldsV1, { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { 'f:env': { 'k:{"name":"PW"}': { 'f:valueFrom': { 'f:secretKeyRef': {} } } } } } } } } });
    const again = await apply(`${path}/web?fieldManager=flux`, deployment);
    assert.equal(again.status, 409);
    assert.equal(again.body.message, 'Apply failed with 1 conflict: conflict with "keyferry" using apps/v1: .spec.template.spec.containers[name="c"].env[name="PW"].valueFrom.secretKeyRef');
  });

  it('kubectl apply --server-side: creates, reports a conflict, and takes the field with --force-conflicts', async () => {
    const yaml = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kubectl-ssa\n  namespace: ${pc().ns}\ndata:\n  key: ${value}\n`;
    const first = await pc().kubectl(['apply', '--server-side', '-f', '-'], yaml('one'));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /configmap\/kubectl-ssa serverside-applied/);
    const other = await pc().kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], yaml('two'));
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.data\.key/);
    const forced = await pc().kubectl(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], yaml('two'));
    assert.equal(forced.code, 0, forced.stderr);
    const stored = (await pc().request<KubeObject>('GET', cm('kubectl-ssa'))).body;
    assert.deepEqual(stored.data, { key: 'two' });
    assert.deepEqual(owners(stored).map((e) => e.manager), ['other']);
  });
});
