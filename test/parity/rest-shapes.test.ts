// The shape of REST answers, the same on both clusters: list items (built-in kinds without
// apiVersion/kind, custom resources with), what DELETE answers (a Status, a Pod's last state, the
// list of what a collection delete removed), 409s, and 415s for the wrong media type.
import assert from 'node:assert/strict';
import { forEachCluster, nsPath, parityCluster, type KubeObject, type Status } from './parity-cluster.js';

const API = 'keyferry.io/v1alpha1';
const externalSecret = (name: string): KubeObject => ({
  apiVersion: API, kind: 'ExternalSecret', metadata: { name },
  spec: { secretStoreRef: { name: 'store' }, data: [{ secretKey: 'a', remoteRef: { key: 'k' } }] },
});
type List = { kind: string; apiVersion: string; metadata: { resourceVersion?: string }; items: KubeObject[] };

forEachCluster('parity: REST answers', function (kind) {
  this.timeout(60_000);
  const pc = parityCluster(kind, 'parity-rest');
  const esPath = (name?: string) => `/apis/keyferry.io/v1alpha1/namespaces/${pc().ns}/externalsecrets${name ? `/${name}` : ''}`;

  it('lists items of built-in kinds without apiVersion and kind, custom resources with them', async () => {
    await pc().request('POST', nsPath(pc().ns, 'configmaps'), { metadata: { name: 'item' }, data: { a: 'b' } });
    await pc().request('POST', esPath(), externalSecret('item'));
    const cms = (await pc().request<List>('GET', nsPath(pc().ns, 'configmaps'))).body;
    assert.deepEqual([cms.kind, cms.apiVersion], ['ConfigMapList', 'v1']);
    const cm = cms.items.find((i) => i.metadata?.name === 'item')!;
    assert.deepEqual([cm.apiVersion, cm.kind, cm.data], [undefined, undefined, { a: 'b' }]);
    const ess = (await pc().request<List>('GET', esPath())).body;
    assert.deepEqual([ess.kind, ess.items[0]!.apiVersion, ess.items[0]!.kind], ['ExternalSecretList', API, 'ExternalSecret']);
  });

  it('DELETE answers a Status when the object is gone at once (no code), a Pod its last state', async () => {
    const cm = (await pc().request<KubeObject>('POST', nsPath(pc().ns, 'configmaps'), { metadata: { name: 'gone' } })).body;
    const r = await pc().request<Status & { code?: number }>('DELETE', nsPath(pc().ns, 'configmaps', 'gone'));
    assert.equal(r.status, 200);
    assert.deepEqual({ ...r.body }, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'gone', kind: 'configmaps', uid: cm.metadata!.uid } });
    const es = (await pc().request<KubeObject>('POST', esPath(), externalSecret('gone'))).body;
    const d = await pc().request<Status>('DELETE', esPath('gone'));
    assert.deepEqual(d.body.details, { name: 'gone', group: 'keyferry.io', kind: 'externalsecrets', uid: es.metadata!.uid });
    await pc().request('POST', nsPath(pc().ns, 'pods'), { metadata: { name: 'gone' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const pod = await pc().request<KubeObject>('DELETE', nsPath(pc().ns, 'pods', 'gone'));
    assert.equal(pod.body.kind, 'Pod');
    assert.ok(pod.body.metadata?.deletionTimestamp, 'the Pod is answered with its deletion stamped');
  });

  it('DELETE of a collection answers with the list of what it deleted, as it was', async () => {
    for (const name of ['c1', 'c2', 'c3']) {
      await pc().request('POST', nsPath(pc().ns, 'configmaps'), { metadata: { name, labels: name === 'c3' ? { keep: 'yes' } : { sweep: 'yes' } } });
    }
    const r = await pc().request<List>('DELETE', `${nsPath(pc().ns, 'configmaps')}?labelSelector=sweep%3Dyes`);
    assert.equal(r.status, 200);
    assert.equal(r.body.kind, 'ConfigMapList');
    assert.deepEqual(r.body.items.map((i) => i.metadata?.name).sort(), ['c1', 'c2']);
    assert.ok(r.body.items.every((i) => !i.metadata?.deletionTimestamp && i.kind === undefined));
    const left = (await pc().request<List>('GET', `${nsPath(pc().ns, 'configmaps')}?labelSelector=keep%3Dyes`)).body.items;
    assert.deepEqual(left.map((i) => i.metadata?.name), ['c3']);
  });

  it('409 on a stale resourceVersion (update and patch) and on an existing name', async () => {
    const cm = (await pc().request<KubeObject>('POST', nsPath(pc().ns, 'configmaps'), { metadata: { name: 'stale' } })).body;
    await pc().request('PATCH', nsPath(pc().ns, 'configmaps', 'stale'), { data: { a: '1' } }, 'application/merge-patch+json');
    const message = `Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again`;
    const put = await pc().request<Status>('PUT', nsPath(pc().ns, 'configmaps', 'stale'), { ...cm, data: { a: '2' } });
    assert.deepEqual([put.status, put.body.reason, put.body.message], [409, 'Conflict', message]);
    const patch = await pc().request<Status>('PATCH', nsPath(pc().ns, 'configmaps', 'stale'), { metadata: { resourceVersion: cm.metadata!.resourceVersion }, data: { a: '3' } }, 'application/merge-patch+json');
    assert.deepEqual([patch.status, patch.body.reason, patch.body.message], [409, 'Conflict', message]);
    const exists = await pc().request<Status>('POST', esPath(), externalSecret('twice'));
    assert.equal(exists.status, 201);
    const again = await pc().request<Status>('POST', esPath(), externalSecret('twice'));
    assert.deepEqual([again.status, again.body.reason, again.body.message], [409, 'AlreadyExists', 'externalsecrets.keyferry.io "twice" already exists']);
  });

  it('a create that carries a resourceVersion: refused by storage (500, no reason) unless 0, not a number, or a dry run', async () => {
    const create = (name: string, resourceVersion: string, query = '') =>
      pc().request<Status>('POST', `${nsPath(pc().ns, 'configmaps')}${query}`, { metadata: { name, resourceVersion } });
    const refused = await create('with-rv', '12345');
    assert.deepEqual([refused.status, refused.body.message, refused.body.reason], [500, 'resourceVersion should not be set on objects to be created', undefined]);
    for (const [name, rv] of [['zero', '0'], ['letters', 'abc'], ['empty', '']] as const) {
      const r = await create(`rv-${name}`, rv);
      assert.equal(r.status, 201, `resourceVersion "${rv}"`);
      assert.notEqual((r.body as KubeObject).metadata?.resourceVersion, rv);
    }
    assert.equal((await create('dry-run', '12345', '?dryRun=All')).status, 201);
    const es = await pc().request<Status>('POST', esPath(), { ...externalSecret('with-rv'), metadata: { name: 'with-rv', resourceVersion: '7' } });
    assert.deepEqual([es.status, es.body.message], [500, 'resourceVersion should not be set on objects to be created']);
  });

  it('415 for a media type the resource does not take: no strategic merge patch on custom resources', async () => {
    await pc().request('POST', esPath(), externalSecret('media'));
    const smp = await pc().request<Status>('PATCH', esPath('media'), { metadata: { labels: { a: 'b' } } }, 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 415);
    assert.equal(smp.body.message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
    await pc().request('POST', nsPath(pc().ns, 'configmaps'), { metadata: { name: 'media' } });
    const text = await pc().request<Status>('PATCH', nsPath(pc().ns, 'configmaps', 'media'), {}, 'text/plain');
    assert.deepEqual([text.status, text.body.reason, text.body.message], [415, 'UnsupportedMediaType', '415: Unsupported Media Type']);
    const post = await pc().request<Status>('POST', nsPath(pc().ns, 'configmaps'), {}, 'text/plain');
    assert.deepEqual([post.status, post.body.message], [415, 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf']);
    const ok = await pc().request('PATCH', nsPath(pc().ns, 'configmaps', 'media'), { metadata: { labels: { a: 'b' } } }, 'application/strategic-merge-patch+json');
    assert.equal(ok.status, 200);
  });
});
