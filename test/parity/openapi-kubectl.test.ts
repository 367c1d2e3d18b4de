// What kubectl and OpenAPI-built clients need from the server, the same on both clusters:
// `kubectl apply -k manifests/` (kubectl's client-side validation reads /openapi/v3 and, for kinds
// it does not find there, /openapi/v2 in protobuf), every operation of a CRD's paths in
// /openapi/v2 and /openapi/v3, and a DELETE whose body has no Content-Length.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forEachCluster, nsPath, parityCluster, type ParityCluster } from './parity-cluster.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

type Doc = { paths: Record<string, Record<string, { operationId?: string; 'x-kubernetes-action'?: string; 'x-kubernetes-group-version-kind'?: object; parameters?: { name: string }[] }>> };

/** Methods of each path under `prefix`, as `path get,put,…` lines. */
function operations(doc: Doc, prefix: string): string[] {
  return Object.entries(doc.paths).filter(([p]) => p.startsWith(prefix))
    .map(([p, item]) => `${p} ${Object.keys(item).filter((m) => m !== 'parameters').sort().join(',')}`).sort();
}

/** A DELETE with a DeleteOptions body, written the way Node's client sends it: no Content-Length; chunked only when asked. */
async function deleteWithUnsizedBody(pc: ParityCluster, path: string, chunked: boolean): Promise<number> {
  const server = new URL(pc.client.config.getCurrentCluster()!.server);
  const options: RequestOptions = {
    method: 'DELETE', hostname: server.hostname, port: server.port, path,
    headers: { 'content-type': 'application/json', ...(chunked ? { 'transfer-encoding': 'chunked' } : {}) },
  };
  await pc.client.config.applyToHTTPSOptions(options);
  const send = server.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(options, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.write(JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }));
    req.end();
  });
}

forEachCluster('parity: OpenAPI and kubectl', function (kind) {
  this.timeout(120_000);
  const pc = parityCluster(kind, 'parity-oapi');

  it('kubectl apply -k manifests/ passes kubectl validation and the server (server-side dry run)', async () => {
    const r = await pc().kubectl(['apply', '--dry-run=server', '-k', join(repoRoot, 'manifests')]);
    assert.equal(r.code, 0, r.stderr);
    for (const line of [
      'serviceaccount/keyferry', 'clusterrole.rbac.authorization.k8s.io/keyferry-controller', 'rolebinding.rbac.authorization.k8s.io/keyferry-leader-election',
      'service/keyferry-metrics', 'deployment.apps/keyferry', 'networkpolicy.networking.k8s.io/keyferry',
    ]) assert.match(r.stdout, new RegExp(`${line.replace(/\./g, '\\.')} (created|configured|unchanged) \\(server dry run\\)`), line);
  });

  it('kubectl reads /openapi/v2 in protobuf: an unknown kind is reported as unknown, not as unreadable OpenAPI', async () => {
    const r = await pc().kubectl(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: default\n');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no matches for kind "Widget" in version "example\.com\/v1"/);
    const explain = await pc().kubectl(['explain', 'externalsecrets.spec.target', '--output=plaintext-openapiv2']);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /KIND:\s+ExternalSecret/);
    assert.match(explain.stdout, /FIELDS:/);
  });

  it('/openapi/v2 and /openapi/v3 list every operation of a CRD, status included', async () => {
    const expected = [
      '/apis/keyferry.io/v1alpha1/externalsecrets get',
      '/apis/keyferry.io/v1alpha1/namespaces/{namespace}/externalsecrets delete,get,post',
      '/apis/keyferry.io/v1alpha1/namespaces/{namespace}/externalsecrets/{name} delete,get,patch,put',
      '/apis/keyferry.io/v1alpha1/namespaces/{namespace}/externalsecrets/{name}/status get,patch,put',
    ];
    const v2 = (await pc().request<Doc>('GET', '/openapi/v2')).body;
    assert.deepEqual(operations(v2, '/apis/keyferry.io/v1alpha1/').filter((l) => l.includes('/externalsecrets')), expected);
    const item = v2.paths['/apis/keyferry.io/v1alpha1/namespaces/{namespace}/externalsecrets/{name}']!;
    assert.deepEqual(Object.fromEntries(['get', 'put', 'patch', 'delete'].map((m) => [m, item[m]!.operationId])), {
      get: 'readKeyferryIoV1alpha1NamespacedExternalSecret', put: 'replaceKeyferryIoV1alpha1NamespacedExternalSecret',
      patch: 'patchKeyferryIoV1alpha1NamespacedExternalSecret', delete: 'deleteKeyferryIoV1alpha1NamespacedExternalSecret',
    });
    assert.deepEqual(item.get!['x-kubernetes-group-version-kind'], { group: 'keyferry.io', version: 'v1alpha1', kind: 'ExternalSecret' });
    const v3 = (await pc().request<Doc>('GET', '/openapi/v3/apis/keyferry.io/v1alpha1')).body;
    assert.deepEqual(operations(v3, '/apis/keyferry.io/v1alpha1/').filter((l) => l.includes('/externalsecrets')), expected);
    assert.ok(v3.paths['/apis/keyferry.io/v1alpha1/namespaces/{namespace}/externalsecrets/{name}']!.patch!.parameters!.some((p) => p.name === 'fieldValidation'));
    // Built-in kinds: the same operations on Secrets.
    assert.deepEqual(operations(v2, '/api/v1/namespaces/{namespace}/secrets'), [
      '/api/v1/namespaces/{namespace}/secrets delete,get,post',
      '/api/v1/namespaces/{namespace}/secrets/{name} delete,get,patch,put',
    ]);
  });

  it('a DELETE whose body has no Content-Length is served, chunked or not', async () => {
    for (const [name, chunked] of [['unsized-plain', false], ['unsized-chunked', true]] as const) {
      assert.equal((await pc().request('POST', nsPath(pc().ns, 'configmaps'), { metadata: { name } })).status, 201);
      assert.equal(await deleteWithUnsizedBody(pc(), nsPath(pc().ns, 'configmaps', name), chunked), 200, name);
      assert.equal((await pc().request('GET', nsPath(pc().ns, 'configmaps', name))).status, 404, name);
    }
  });
});
