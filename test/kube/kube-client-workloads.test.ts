// The calls the workload features add to KubeClient, against the dev cluster: the alias update
// (with dry run), workload read and JSON patch with a resourceVersion precondition, the
// keyferry-versions ConfigMap, and the Flux reconcile request.
import assert from 'node:assert/strict';
import { useDevClusterClient } from './dev-cluster-client.js';
import { httpStatusOf } from '../../src/kube/api-error.js';
import { fluxKustomizationCrd } from '../support/flux/kustomization-crd.js';

describe('KubeClient workload calls', function () {
  this.timeout(20_000);
  const dev = useDevClusterClient({ qps: 1000, burst: 1000 });

  it('updates a Secret in place with its resourceVersion as precondition, and a dry run changes nothing', async () => {
    const created = (await dev.client.createSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'alias', namespace: 'default' }, data: { k: 'MQ==' } }))!;
    await dev.client.updateSecret({ ...created, data: { k: 'Mg==' } }, { dryRun: true });
    assert.equal((await dev.client.getSecret('default', 'alias'))!.data!.k, 'MQ==');
    const updated = await dev.client.updateSecret({ ...created, data: { k: 'Mg==' } });
    assert.equal(updated.data!.k, 'Mg==');
    await assert.rejects(dev.client.updateSecret({ ...created, data: { k: 'Mw==' } }), (e) => httpStatusOf(e) === 409);
  });

  it('reads a workload as plain JSON and JSON-patches it; a stale resourceVersion in the ops is a 409', async () => {
    await dev.cluster.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', envFrom: [{ secretRef: { name: 'old' } }] }] } } } });
    const d = (await dev.client.getWorkload('Deployment', 'default', 'web'))!;
    const rv = d.metadata!.resourceVersion;
    const ops = (name: string) => [{ op: 'replace' as const, path: '/metadata/resourceVersion', value: rv }, { op: 'replace' as const, path: '/spec/template/spec/containers/0/envFrom/0/secretRef/name', value: name }];
    await dev.client.patchWorkload('Deployment', 'default', 'web', ops('new'));
    const after = (await dev.client.getWorkload('Deployment', 'default', 'web')) as { spec: { template: { spec: { containers: Array<{ envFrom: Array<{ secretRef: { name: string } }> }> } } } };
    assert.equal(after.spec.template.spec.containers[0]!.envFrom[0]!.secretRef.name, 'new');
    await assert.rejects(dev.client.patchWorkload('Deployment', 'default', 'web', ops('newer')), (e) => httpStatusOf(e) === 409);
    assert.equal(await dev.client.getWorkload('StatefulSet', 'default', 'missing'), undefined);
  });

  it('creates and replaces a ConfigMap; a second create reports it exists', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keyferry-versions', namespace: 'default' }, data: { db: 'db-0123456789' } };
    const created = (await dev.client.createConfigMap(cm))!;
    assert.equal(await dev.client.createConfigMap(cm), undefined);
    const replaced = await dev.client.replaceConfigMap({ ...created, data: { db: 'db-9876543210' } });
    assert.equal((await dev.client.getConfigMap('default', 'keyferry-versions'))!.data!.db, 'db-9876543210');
    await assert.rejects(dev.client.replaceConfigMap({ ...created, data: {} }), (e) => httpStatusOf(e) === 409);
    assert.ok(replaced.metadata?.resourceVersion);
  });

  it('asks a Flux Kustomization to reconcile', async () => {
    await dev.cluster.apply(fluxKustomizationCrd());
    await dev.cluster.apply({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'default' }, spec: { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository', name: 'repo' } } });
    await dev.client.requestFluxReconcile('default', 'apps', '2030-01-01T00:00:00.000Z');
    const ks = dev.cluster.get('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'apps', 'default');
    assert.equal((ks?.metadata?.annotations as Record<string, string>)['reconcile.fluxcd.io/requestedAt'], '2030-01-01T00:00:00.000Z');
  });
});
