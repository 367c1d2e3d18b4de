import assert from 'node:assert/strict';
import { jsonPatch } from '../../src/devcluster/patch.js';
import { applyOwners } from '../../src/workloads/apply-ownership.js';
import { isVersionOf, planRollout, type FollowedVersion } from '../../src/workloads/rollout-plan.js';
import type { KubeObject } from '../../src/kube/kube-object.js';

const V1 = 'db-0000000001';
const V2 = 'db-0000000002';
const V3 = 'db-0000000003';

function deployment(refs: { env?: string; envFrom?: string; volume?: string }, extra: { annotations?: Record<string, string>; managedFields?: unknown[] } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', resourceVersion: '42', annotations: { 'keyferry.io/follow': 'db', ...extra.annotations }, ...(extra.managedFields ? { managedFields: extra.managedFields } : {}) },
    spec: {
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{
            name: 'app',
            env: refs.env ? [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: refs.env, key: 'password' } } }] : [],
            envFrom: refs.envFrom ? [{ secretRef: { name: refs.envFrom } }] : [],
          }],
          volumes: refs.volume ? [{ name: 'creds', secret: { secretName: refs.volume } }] : [],
        },
      },
    },
  } as KubeObject;
}

const follow = (current: string, alias = false): FollowedVersion => ({ externalSecret: 'db', target: 'db', current, alias });
const apply = (obj: KubeObject, ops: unknown[]) => jsonPatch(obj, ops) as unknown as KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> }; spec: { containers: Array<{ env: Array<{ valueFrom: { secretKeyRef: { name: string } } }>; envFrom: Array<{ secretRef: { name: string } }> }>; volumes: Array<{ secret: { secretName: string } }> } } } };

describe('rollout plan', () => {
  it('recognises versions of a target by name', () => {
    assert.ok(isVersionOf(V1, 'db'));
    assert.ok(!isVersionOf('db', 'db'));
    assert.ok(!isVersionOf('db-000000000g', 'db'));
    assert.ok(!isVersionOf('dbx-0000000001', 'db'));
    assert.ok(isVersionOf('a.b-0123456789', 'a.b'));
  });

  it('rewrites references to the base name and to older versions to the current one, with the resourceVersion as precondition, and records it', () => {
    const d = deployment({ env: 'db', envFrom: V1, volume: V2 });
    const plan = planRollout(d, [follow(V3)]);
    assert.deepEqual(plan.ops[0], { op: 'replace', path: '/metadata/resourceVersion', value: '42' });
    assert.deepEqual(plan.rolled, [{ externalSecret: 'db', current: V3, from: ['db', V1, V2] }]);
    const after = apply(d, plan.ops);
    const spec = after.spec.template.spec;
    assert.equal(spec.containers[0]!.env[0]!.valueFrom.secretKeyRef.name, V3);
    assert.equal(spec.containers[0]!.envFrom[0]!.secretRef.name, V3);
    assert.equal(spec.volumes[0]!.secret.secretName, V3);
    assert.equal(after.metadata!.annotations!['keyferry.io/rolled-out'], `db=${V3}`);
    // Planned again against the result: nothing left to do.
    assert.deepEqual(planRollout(after, [follow(V3)]).ops, []);
  });

  it('leaves other Secrets alone, and a workload already rolled to the current version alone (a rollout undo stays undone)', () => {
    const undone = deployment({ envFrom: V1, volume: 'dbx-0000000001' }, { annotations: { 'keyferry.io/rolled-out': `db=${V2}` } });
    assert.deepEqual(planRollout(undone, [follow(V2)]).ops, []);
    const plan = planRollout(undone, [follow(V3)]);
    const after = apply(undone, plan.ops);
    assert.equal(after.spec.template.spec.containers[0]!.envFrom[0]!.secretRef.name, V3);
    assert.equal(after.spec.template.spec.volumes[0]!.secret.secretName, 'dbx-0000000001');
  });

  it('records a workload that already uses the current version without touching its pod template', () => {
    const d = deployment({ envFrom: V3 });
    const plan = planRollout(d, [follow(V3)]);
    assert.deepEqual(plan.rolled, []);
    assert.deepEqual(plan.ops.slice(1).map((o) => o.path), ['/metadata/annotations/keyferry.io~1rolled-out']);
  });

  it('with alias keeps references to the base name and stamps the pod template so the Pods restart', () => {
    const d = deployment({ envFrom: 'db', volume: V1 });
    const plan = planRollout(d, [follow(V2, true)]);
    const after = apply(d, plan.ops);
    assert.equal(after.spec.template.spec.containers[0]!.envFrom[0]!.secretRef.name, 'db');
    assert.equal(after.spec.template.spec.volumes[0]!.secret.secretName, V2);
    assert.equal(after.spec.template.metadata.annotations!['keyferry.io/alias-versions'], `db=${V2}`);
    assert.deepEqual(planRollout(after, [follow(V2, true)]).ops, []);
  });

  it('moves several followed ExternalSecrets in one patch', () => {
    const d = deployment({ envFrom: V1, volume: 'cache-0000000001' }, { annotations: { 'keyferry.io/follow': 'db,cache' } });
    const plan = planRollout(d, [follow(V2), { externalSecret: 'cache', target: 'cache', current: 'cache-0000000002', alias: false }]);
    assert.deepEqual(plan.rolled.map((r) => r.externalSecret), ['cache', 'db']);
    const after = apply(d, plan.ops);
    assert.equal(after.metadata!.annotations!['keyferry.io/rolled-out'], `cache=cache-0000000002,db=${V2}`);
  });

  it('does not take over a reference that a server-side apply manager owns, and says who owns it', () => {
    const fluxOwned = {
      manager: 'kustomize-controller', operation: 'Apply',
      fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:envFrom': {}, 'f:name': {} } } } } } },
    };
    const d = deployment({ envFrom: V1 }, { managedFields: [fluxOwned, { manager: 'kubectl-client-side-apply', operation: 'Update', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:volumes': {} } } } } }] });
    const plan = planRollout(d, [follow(V2)]);
    assert.deepEqual(plan.ops, []);
    assert.deepEqual(plan.blocked, [{ externalSecret: 'db', field: 'spec.template.spec.containers[0].envFrom[0].secretRef.name', owners: ['kustomize-controller'] }]);
  });
});

describe('server-side apply ownership', () => {
  const entry = (manager: string, operation: string, fieldsV1: object, subresource?: string) => ({ manager, operation, fieldsV1, subresource });
  const path = ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"app"}', 'f:env', 'k:{"name":"X"}', 'f:valueFrom', 'f:secretKeyRef', 'f:name'];
  const owned = { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:env': { 'k:{"name":"X"}': { '.': {}, 'f:valueFrom': { 'f:secretKeyRef': { 'f:name': {}, 'f:key': {} } } } } } } } } } };
  it('finds Apply managers owning the field or an atomic ancestor, not Update managers or status', () => {
    assert.deepEqual(applyOwners([entry('helm', 'Apply', owned), entry('kubectl', 'Update', owned), entry('flux', 'Apply', owned, 'status')], path), ['helm']);
    assert.deepEqual(applyOwners([entry('flux', 'Apply', { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': {} } } } })], path), ['flux'], 'an atomic list above the field');
    assert.deepEqual(applyOwners([entry('flux', 'Apply', { 'f:spec': { 'f:replicas': {} } })], path), []);
    assert.deepEqual(applyOwners(undefined, path), []);
  });
});
