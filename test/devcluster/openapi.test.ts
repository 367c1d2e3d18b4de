import { strict as assert } from 'node:assert';
import { definitionName, openapiV2Doc, openapiV3GroupVersionDoc, openapiV3IndexDoc } from '../../src/devcluster/openapi/index.js';
import type { ResourceType } from '../../src/devcluster/resource-type.js';

const secret: ResourceType = {
  group: '', version: 'v1', kind: 'Secret', listKind: 'SecretList', plural: 'secrets', singular: 'secret', namespaced: true,
  shortNames: [], categories: [], verbs: ['create', 'get', 'list', 'patch'], subresources: [], printerColumns: [],
  schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
};
const widget: ResourceType = {
  ...secret, group: 'test.keyferry.io', kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', namespaced: false,
  schema: {
    type: 'object',
    properties: { spec: { type: 'object', properties: { size: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] }, note: { type: 'string', nullable: true } } } },
  },
};
type V3 = { paths: Record<string, Record<string, { parameters?: { name: string }[]; 'x-kubernetes-group-version-kind'?: object }>>; components: { schemas: Record<string, Record<string, unknown>> } };

describe('dev cluster OpenAPI module', () => {
  it('names definitions as kube-apiserver does', () => {
    assert.equal(definitionName(secret), 'io.k8s.api.core.v1.Secret');
    assert.equal(definitionName({ group: 'apps', version: 'v1', kind: 'Deployment' }), 'io.k8s.api.apps.v1.Deployment');
    assert.equal(definitionName(widget), 'io.keyferry.test.v1.Widget');
  });

  it('v3 index lists every group-version with a hash that follows content', () => {
    const index = openapiV3IndexDoc([secret, widget]) as { paths: Record<string, { serverRelativeURL: string }> };
    assert.deepEqual(Object.keys(index.paths), ['api/v1', 'apis/test.keyferry.io/v1']);
    assert.match(index.paths['apis/test.keyferry.io/v1'].serverRelativeURL, /^\/openapi\/v3\/apis\/test\.keyferry\.io\/v1\?hash=[0-9A-F]{128}$/);
    const changed = openapiV3IndexDoc([secret, { ...widget, schema: { ...widget.schema, description: 'x' } }]) as typeof index;
    assert.notEqual(changed.paths['apis/test.keyferry.io/v1'].serverRelativeURL, index.paths['apis/test.keyferry.io/v1'].serverRelativeURL);
    assert.equal(changed.paths['api/v1'].serverRelativeURL, index.paths['api/v1'].serverRelativeURL);
  });

  it('v3 group-version document: GVK-tagged schema with ObjectMeta, PATCH with fieldValidation', () => {
    const doc = openapiV3GroupVersionDoc([secret, widget], 'test.keyferry.io', 'v1') as V3;
    const schema = doc.components.schemas['io.keyferry.test.v1.Widget'];
    assert.deepEqual(schema['x-kubernetes-group-version-kind'], [{ group: 'test.keyferry.io', version: 'v1', kind: 'Widget' }]);
    assert.deepEqual(Object.keys(schema.properties as object), ['apiVersion', 'kind', 'spec', 'metadata']);
    assert.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
    const patch = doc.paths['/apis/test.keyferry.io/v1/widgets/{name}'].patch;
    assert.ok(patch.parameters?.some((p) => p.name === 'fieldValidation'));
    assert.equal(openapiV3GroupVersionDoc([secret], 'nope', 'v1'), undefined);
    // Built-ins have no structural schema: operations only (and the meta schemas they refer to), so
    // clients fall back to their own types.
    const core = openapiV3GroupVersionDoc([secret, widget], '', 'v1') as V3;
    assert.deepEqual(Object.keys(core.components.schemas).filter((k) => !k.startsWith('io.k8s.apimachinery.pkg.apis.meta.v1.')), []);
    assert.ok(core.paths['/api/v1/namespaces/{namespace}/secrets/{name}'].patch);
    // The served schema is a copy; the type's own schema is untouched.
    assert.equal(Object.hasOwn((widget.schema as { properties: object }).properties, 'metadata'), false);
  });

  it('publishes every operation the API server does, named as it names them', () => {
    const full: ResourceType = { ...widget, namespaced: true, builtin: false, subresources: ['status'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] };
    const doc = openapiV2Doc([full]) as { paths: Record<string, Record<string, { operationId?: string; consumes?: string[] }>> };
    const ops = Object.entries(doc.paths).map(([p, item]) => `${p} ${Object.keys(item).filter((m) => m !== 'parameters').join(',')}`).sort();
    assert.deepEqual(ops, [
      '/apis/test.keyferry.io/v1/namespaces/{namespace}/widgets get,post,delete',
      '/apis/test.keyferry.io/v1/namespaces/{namespace}/widgets/{name} get,put,delete,patch',
      '/apis/test.keyferry.io/v1/namespaces/{namespace}/widgets/{name}/status get,put,patch',
      '/apis/test.keyferry.io/v1/widgets get',
    ]);
    const item = doc.paths['/apis/test.keyferry.io/v1/namespaces/{namespace}/widgets/{name}'];
    assert.equal(item.get.operationId, 'readTestKeyferryIoV1NamespacedWidget');
    assert.equal(doc.paths['/apis/test.keyferry.io/v1/namespaces/{namespace}/widgets'].delete.operationId, 'deleteTestKeyferryIoV1CollectionNamespacedWidget');
    // Custom resources take no strategic merge patch.
    assert.deepEqual(item.patch.consumes, ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
  });

  it('v2 drops what Swagger 2 cannot express and points refs at definitions', () => {
    const doc = openapiV2Doc([secret, widget]) as { swagger: string; definitions: Record<string, { properties: Record<string, { properties?: Record<string, Record<string, unknown>>; allOf?: { $ref: string }[] }> }> };
    assert.equal(doc.swagger, '2.0');
    const w = doc.definitions['io.keyferry.test.v1.Widget'];
    assert.deepEqual(w.properties.spec.properties!.size, { 'x-kubernetes-int-or-string': true });
    assert.deepEqual(w.properties.spec.properties!.note, { type: 'string' });
    assert.equal(w.properties.metadata.allOf![0].$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  });
});
