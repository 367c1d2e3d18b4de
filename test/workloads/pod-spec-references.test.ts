import assert from 'node:assert/strict';
import { referencedSecretNames, secretReferences } from '../../src/workloads/pod-spec-references.js';
import { REFERENCING_KINDS, followedNames, podSpecOf, toReferencingObject } from '../../src/workloads/referencing-kinds.js';
import { jsonPatch } from '../../src/devcluster/patch.js';

/** A pod spec naming a Secret in every place a pod spec can. */
export function everyReferenceSpec() {
  return {
    containers: [{
      name: 'app',
      env: [{ name: 'PLAIN', value: 'x' }, { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'password' } } }],
      envFrom: [{ configMapRef: { name: 'cm' } }, { secretRef: { name: 'envfrom-secret' } }],
    }],
    initContainers: [{ name: 'init', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'init-secret', key: 't' } } }] }],
    ephemeralContainers: [{ name: 'debug', envFrom: [{ secretRef: { name: 'ephemeral-secret' } }] }],
    volumes: [
      { name: 'plain', emptyDir: {} },
      { name: 'certs', secret: { secretName: 'volume-secret' } },
      { name: 'bundle', projected: { sources: [{ configMap: { name: 'cm' } }, { secret: { name: 'projected-secret' } }] } },
      { name: 'csi', csi: { driver: 'x', nodePublishSecretRef: { name: 'csi-secret' } } },
    ],
    imagePullSecrets: [{ name: 'pull-secret' }],
  };
}

describe('secret references in a pod spec', () => {
  it('finds env secretKeyRef, envFrom, secret/projected/CSI volumes and imagePullSecrets, in init and ephemeral containers too', () => {
    assert.deepEqual(referencedSecretNames(everyReferenceSpec()), [
      'csi-secret', 'env-secret', 'envfrom-secret', 'ephemeral-secret', 'init-secret', 'projected-secret', 'pull-secret', 'volume-secret',
    ]);
    assert.deepEqual(referencedSecretNames(undefined), []);
    assert.deepEqual(referencedSecretNames({ containers: [{ name: 'a', env: [{ name: 'X', valueFrom: { secretKeyRef: {} } }] }] }), []);
  });

  it('gives JSON pointers that address the name, and server-side apply paths keyed as managedFields keys them', () => {
    const spec = everyReferenceSpec();
    for (const ref of secretReferences(spec)) {
      const ops = [{ op: 'test', path: ref.pointer, value: ref.name }];
      assert.doesNotThrow(() => jsonPatch(spec, ops), ref.pointer);
    }
    const env = secretReferences(spec).find((r) => r.name === 'env-secret')!;
    assert.deepEqual(env.fieldPath, ['f:containers', 'k:{"name":"app"}', 'f:env', 'k:{"name":"PASSWORD"}', 'f:valueFrom', 'f:secretKeyRef', 'f:name']);
    // envFrom and projected sources are atomic lists: the list is the owned field.
    assert.deepEqual(secretReferences(spec).find((r) => r.name === 'envfrom-secret')!.fieldPath, ['f:containers', 'k:{"name":"app"}', 'f:envFrom']);
    assert.deepEqual(secretReferences(spec).find((r) => r.name === 'projected-secret')!.fieldPath, ['f:volumes', 'k:{"name":"bundle"}', 'f:projected', 'f:sources']);
  });
});

describe('referencing objects as cached', () => {
  const template = (spec: object) => ({ metadata: { labels: { app: 'x' } }, spec });
  it('keep identity and the referenced names only, for every kind, from where that kind holds its pod spec', () => {
    const spec = { containers: [{ name: 'a', envFrom: [{ secretRef: { name: 's1' } }] }], volumes: [{ name: 'v', secret: { secretName: 's2' } }] };
    const objects: Record<string, object> = {
      Pod: { spec },
      ReplicaSet: { spec: { template: template(spec) } },
      Deployment: { spec: { template: template(spec) } },
      StatefulSet: { spec: { template: template(spec) } },
      DaemonSet: { spec: { template: template(spec) } },
      Job: { spec: { template: template(spec) } },
      CronJob: { spec: { jobTemplate: { spec: { template: template(spec) } } } },
      ControllerRevision: { data: { spec: { template: { ...template(spec), $patch: 'replace' } } }, revision: 3 },
    };
    assert.deepEqual(Object.keys(objects).sort(), Object.keys(REFERENCING_KINDS).sort());
    for (const [kind, body] of Object.entries(objects)) {
      const k = REFERENCING_KINDS[kind as keyof typeof REFERENCING_KINDS];
      assert.ok(podSpecOf(k, body), kind);
      const full = { apiVersion: 'v1', kind, metadata: { name: 'n', namespace: 'ns', resourceVersion: '7', uid: 'u', labels: { big: 'x'.repeat(100) }, annotations: { 'keyferry.io/follow': 'a,b', other: 'y' }, managedFields: [{}] }, ...body };
      const slim = toReferencingObject(k, full);
      assert.deepEqual(slim.secretNames, ['s1', 's2'], kind);
      assert.deepEqual(Object.keys(slim).sort(), ['apiVersion', 'kind', 'metadata', 'secretNames']);
      assert.deepEqual(slim.metadata, { name: 'n', namespace: 'ns', resourceVersion: '7', ...(k.followable ? { annotations: { 'keyferry.io/follow': 'a,b' } } : {}) }, kind);
    }
  });

  it('read the follow annotation as a list of ExternalSecret names', () => {
    assert.deepEqual(followedNames({ metadata: { annotations: { 'keyferry.io/follow': ' db , cache,,db' } } }), ['db', 'cache']);
    assert.deepEqual(followedNames({ metadata: {} }), []);
  });
});
