import { strict as assert } from 'node:assert';
import { aggregatedVersionAccepted, compareVersions, discoveryResponse } from '../../src/devcluster/discovery/index.js';
import type { ResourceType } from '../../src/devcluster/resource-type.js';

const t = (over: Partial<ResourceType>): ResourceType => ({
  group: '', version: 'v1', kind: 'Secret', listKind: 'SecretList', plural: 'secrets', singular: 'secret', namespaced: true,
  shortNames: [], categories: [], verbs: ['get', 'list'], subresources: [], printerColumns: [], ...over,
});
const TYPES = [
  t({}),
  t({ kind: 'ServiceAccount', plural: 'serviceaccounts', singular: 'serviceaccount', shortNames: ['sa'], subresources: ['token'] }),
  t({ group: 'keyferry.io', version: 'v1alpha1', kind: 'ExternalSecret', plural: 'externalsecrets', singular: 'externalsecret', shortNames: ['es', 'kfes'], categories: ['keyferry'], subresources: ['status'] }),
  t({ group: 'keyferry.io', version: 'v1beta1', kind: 'ExternalSecret', plural: 'externalsecrets', singular: 'externalsecret' }),
  t({ group: 'keyferry.io', version: 'v1alpha1', kind: 'ClusterSecretStore', plural: 'clustersecretstores', singular: 'clustersecretstore', namespaced: false }),
];
const KUBECTL_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const body = (path: string, accept?: string) => {
  const r = discoveryResponse(path, accept, TYPES, '127.0.0.1:1');
  assert.ok(r, `no document for ${path}`);
  return { type: r.contentType, doc: JSON.parse(r.body) as Record<string, unknown> & { items?: { metadata: { name: string }; versions: { version: string; resources: Record<string, unknown>[] }[] }[] } };
};

describe('dev cluster discovery module', () => {
  it('orders versions by Kubernetes priority', () => {
    assert.deepEqual(['v1alpha1', 'foo', 'v2', 'v1beta2', 'v1', 'v1beta1', 'v10'].sort(compareVersions), ['v10', 'v2', 'v1', 'v1beta2', 'v1beta1', 'v1alpha1', 'foo']);
  });

  it('negotiates the aggregated form from the Accept header, in the client\'s order', () => {
    assert.equal(aggregatedVersionAccepted(KUBECTL_ACCEPT), 'v2');
    assert.equal(aggregatedVersionAccepted('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'), 'v2beta1');
    assert.equal(aggregatedVersionAccepted('application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'), undefined);
    assert.equal(aggregatedVersionAccepted('application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'), undefined);
    assert.equal(aggregatedVersionAccepted(undefined), undefined);
  });

  it('aggregated /apis: groups, preferred version first, resources with scope, short names and subresources', () => {
    const { type, doc } = body('/apis', KUBECTL_ACCEPT);
    assert.equal(type, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
    assert.deepEqual(doc.items!.map((i) => i.metadata.name), ['keyferry.io']);
    const [beta, alpha] = doc.items![0].versions;
    assert.deepEqual([beta.version, alpha.version], ['v1beta1', 'v1alpha1']);
    assert.deepEqual(alpha.resources.find((r) => r.resource === 'externalsecrets'), {
      resource: 'externalsecrets', responseKind: { group: 'keyferry.io', version: 'v1alpha1', kind: 'ExternalSecret' }, scope: 'Namespaced',
      singularResource: 'externalsecret', verbs: ['get', 'list'], shortNames: ['es', 'kfes'], categories: ['keyferry'],
      subresources: [{ subresource: 'status', responseKind: { group: 'keyferry.io', version: 'v1alpha1', kind: 'ExternalSecret' }, verbs: ['get', 'patch', 'update'] }],
    });
    assert.equal(alpha.resources.find((r) => r.resource === 'clustersecretstores')!.scope, 'Cluster');
    const v2beta1 = body('/api', 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    assert.equal(v2beta1.doc.apiVersion, 'apidiscovery.k8s.io/v2beta1');
    assert.deepEqual(v2beta1.doc.items!.map((i) => i.metadata.name), ['']);
    const sa = v2beta1.doc.items![0].versions[0].resources.find((r) => r.resource === 'serviceaccounts') as { subresources: { responseKind: object }[] };
    assert.deepEqual(sa.subresources[0].responseKind, { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' });
  });

  it('legacy documents for plain JSON clients', () => {
    const api = body('/api', 'application/json');
    assert.equal(api.type, 'application/json');
    assert.deepEqual(api.doc.versions, ['v1']);
    const apis = body('/apis').doc as { groups: { name: string; preferredVersion: { version: string }; versions: object[] }[] };
    assert.deepEqual(apis.groups.map((g) => [g.name, g.preferredVersion.version, g.versions.length]), [['keyferry.io', 'v1beta1', 2]]);
    assert.equal((body('/apis/keyferry.io').doc as { kind: string }).kind, 'APIGroup');
    const list = body('/apis/keyferry.io/v1alpha1').doc as { groupVersion: string; resources: { name: string; kind: string; shortNames?: string[]; verbs: string[] }[] };
    assert.equal(list.groupVersion, 'keyferry.io/v1alpha1');
    assert.deepEqual(list.resources.map((r) => r.name), ['externalsecrets', 'externalsecrets/status', 'clustersecretstores']);
    assert.deepEqual(list.resources[0].shortNames, ['es', 'kfes']);
    const core = body('/api/v1').doc as { resources: { name: string; kind: string; group?: string }[] };
    assert.deepEqual(core.resources.find((r) => r.name === 'serviceaccounts/token'), { name: 'serviceaccounts/token', singularName: '', namespaced: true, kind: 'TokenRequest', verbs: ['create'], group: 'authentication.k8s.io', version: 'v1' });
  });

  it('nothing for unserved group-versions or other paths', () => {
    assert.equal(discoveryResponse('/apis/nope.io/v1', undefined, TYPES, 'x'), undefined);
    assert.equal(discoveryResponse('/apis/nope.io', undefined, TYPES, 'x'), undefined);
    assert.equal(discoveryResponse('/api/v2', undefined, TYPES, 'x'), undefined);
    assert.equal(discoveryResponse('/version', undefined, TYPES, 'x'), undefined);
  });
});
