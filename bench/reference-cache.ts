// What retention's view of the cluster costs: N Pods as the referencing informer holds them
// (reduced to the Secret names they reference before they are cached, plus the per-namespace
// reference index) against the same Pods cached whole, in the same run. The Pods are parsed
// from JSON as an informer receives them: a Deployment's Pod with one container, env and envFrom,
// the service-account projected volume, managedFields and status.
//
//   node --import tsx bench/reference-cache.ts [--pods 10000] [--namespaces 100]
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { REFERENCING_KINDS, toReferencingObject } from '../src/workloads/referencing-kinds.js';
import { SecretReferenceIndex } from '../src/workloads/secret-reference-index.js';
import { numberArg } from './support/command-line.js';
import { printMarkdownTable } from './support/markdown-table.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const pods = numberArg('pods', 10_000);
const namespaces = numberArg('namespaces', 100);

function podJson(i: number): string {
  const ns = `ns-${i % namespaces}`;
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: `web-7d9f8c6b5-${i.toString(36).padStart(5, 'x')}`, namespace: ns, uid: `3f2a1b4c-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(100_000 + i), creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: 'u', controller: true, blockOwnerDeletion: true }],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:envFrom': {}, 'f:image': {} } } } } }],
    },
    spec: {
      containers: [{
        name: 'app', image: 'registry.example/web:1.2.3', ports: [{ containerPort: 8080, protocol: 'TCP' }],
        envFrom: [{ secretRef: { name: `db-${(i % namespaces).toString(16).padStart(10, '0')}` } }],
        env: [{ name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'api-0123456789', key: 'key' } } }, { name: 'LOG_LEVEL', value: 'info' }],
        resources: { requests: { cpu: '100m', memory: '128Mi' } }, imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log',
        volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
      }],
      volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } }],
      restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', serviceAccountName: 'default', nodeName: 'node-1', schedulerName: 'default-scheduler',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
    status: {
      phase: 'Running', podIP: '10.0.0.1', hostIP: '192.168.0.1', startTime: '2026-01-01T00:00:00Z', conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'registry.example/web:1.2.3', imageID: 'sha256:abc', containerID: 'containerd://abc', started: true, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }],
    },
  });
}

/** Heap retained by what `build` returns, after full collections. */
function retained(build: () => unknown): number {
  gc(); gc();
  const before = process.memoryUsage().heapUsed;
  const held = build();
  gc(); gc();
  const bytes = process.memoryUsage().heapUsed - before;
  if (!held) throw new Error('nothing held');
  return bytes;
}

const texts = Array.from({ length: pods }, (_, i) => podJson(i));
/** The informer's cache layout: namespace → name → object. */
const cache = <T extends { metadata: { namespace: string; name: string } }>(objects: T[]) => {
  const byNamespace = new Map<string, Map<string, T>>();
  for (const o of objects) {
    let names = byNamespace.get(o.metadata.namespace);
    if (!names) byNamespace.set(o.metadata.namespace, (names = new Map()));
    names.set(o.metadata.name, o);
  }
  return byNamespace;
};
const whole = retained(() => cache(texts.map((t) => JSON.parse(t) as { metadata: { namespace: string; name: string } })));
const reduced = retained(() => {
  const index = new SecretReferenceIndex();
  const objects = texts.map((t) => toReferencingObject(REFERENCING_KINDS.Pod, JSON.parse(t)));
  for (const o of objects) index.set(o);
  return { cache: cache(objects), index };
});

const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
printMarkdownTable(['Pods cached as', 'heap MiB', 'bytes per Pod', 'ratio to whole'], [
  ['whole objects', mib(whole), Math.round(whole / pods), '1'],
  ['Secret names + reference index', mib(reduced), Math.round(reduced / pods), (reduced / whole).toFixed(3)],
]);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'reference-cache.json'), JSON.stringify({ pods, namespaces, wholeBytes: whole, reducedBytes: reduced, ratio: reduced / whole, node: process.version }, null, 2));
