// Deployment hardening, read from what users install: the kustomize base's Deployment and
// the chart's Deployment and sharded StatefulSet. Non-root, read-only root filesystem, no
// capabilities, seccomp RuntimeDefault, probes on /healthz and /readyz, resource requests and
// limits (sized by memory-sizing.test.ts), topology spread, a PodDisruptionBudget
// when more than one pod runs, and a NetworkPolicy that lets in only the metrics port and
// lets out only what the operator talks to.
import assert from 'node:assert/strict';
import { bytes, find, helmTemplate, kustomize, type Obj } from './render.js';

interface Probe { httpGet: { path: string; port: string | number } }
interface Container {
  args: string[];
  ports: Array<{ name: string; containerPort: number }>;
  livenessProbe: Probe; readinessProbe: Probe;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; runAsNonRoot: boolean; privileged?: boolean; capabilities: { drop: string[]; add?: string[] } };
}
interface PodSpec {
  securityContext: { runAsNonRoot: boolean; runAsUser: number; seccompProfile: { type: string } };
  containers: Container[];
  hostNetwork?: boolean; hostPID?: boolean;
  topologySpreadConstraints?: Array<{ topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }>;
}
type Workload = Obj & { spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };

function cores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** The operator's memory as README's benchmark section measured it: held after cache sync, and the highest cold-start peak. */
function assertHardened(objects: Obj[], kind: 'Deployment' | 'StatefulSet'): void {
  const w = find(objects, kind) as Workload;
  const pod = w.spec.template.spec;
  const labels = w.spec.template.metadata.labels;
  assert.equal(pod.securityContext.runAsNonRoot, true, 'non-root');
  assert.ok(pod.securityContext.runAsUser > 0, 'a non-zero uid');
  assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.ok(!pod.hostNetwork && !pod.hostPID);
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0]!;
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext.runAsNonRoot, true);
  assert.ok(!c.securityContext.privileged);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.equal(c.securityContext.capabilities.add, undefined);

  // Probes on the port the health server listens on.
  const healthPort = c.ports.find((p) => p.name === 'health')!;
  assert.ok(c.args.includes(`--health-addr=:${healthPort.containerPort}`));
  assert.deepEqual([c.livenessProbe.httpGet.path, c.livenessProbe.httpGet.port], ['/healthz', 'health']);
  assert.deepEqual([c.readinessProbe.httpGet.path, c.readinessProbe.httpGet.port], ['/readyz', 'health']);

  // Requests and limits are set, limits not below requests; the memory figures themselves are
  // checked against README's sizing by memory-sizing.test.ts.
  const { requests, limits } = c.resources;
  assert.ok(requests?.cpu && requests.memory && limits?.cpu && limits.memory, 'requests and limits for cpu and memory');
  assert.ok(bytes(limits.memory) >= bytes(requests.memory) && cores(limits.cpu) >= cores(requests.cpu));

  // Spread over nodes, counting this workload's pods.
  const spread = pod.topologySpreadConstraints ?? [];
  assert.ok(spread.some((t) => t.topologyKey === 'kubernetes.io/hostname'));
  for (const t of spread) assert.ok(Object.entries(t.labelSelector.matchLabels).every(([k, v]) => labels[k] === v), 'spread counts this workload\'s pods');

  // A PodDisruptionBudget exactly when more than one pod runs.
  const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget') as (Obj & { spec: { maxUnavailable?: number; selector: { matchLabels: Record<string, string> } } }) | undefined;
  if (w.spec.replicas > 1) {
    assert.ok(pdb, 'a PodDisruptionBudget');
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.ok(Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
  } else {
    assert.equal(pdb, undefined, 'no PodDisruptionBudget over one pod: it would block node drains');
  }

  // In: the metrics port only. Out: DNS, the API server and the stores, each rule limited to ports.
  const np = find(objects, 'NetworkPolicy') as Obj & { spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: Array<{ from?: unknown; ports: Array<{ port: string | number }> }>; egress: Array<{ to?: unknown; ports?: Array<{ port: number; protocol: string }> }> } };
  assert.ok(Object.entries(np.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v));
  assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(np.spec.ingress.flatMap((r) => r.ports.map((p) => p.port)), ['metrics']);
  for (const rule of np.spec.egress) assert.ok(rule.ports && rule.ports.length > 0, 'no egress rule open to every port');
  const egress = np.spec.egress.flatMap((r) => r.ports!.map((p) => `${p.port}/${p.protocol}`));
  for (const p of ['53/UDP', '53/TCP', '443/TCP', '6443/TCP']) assert.ok(egress.includes(p), `egress ${p}`);
}

describe('deployment hardening', function () {
  this.timeout(60_000);

  it('the kustomize base\'s Deployment', async () => assertHardened(await kustomize('manifests/'), 'Deployment'));
  it('the chart\'s Deployment', async () => assertHardened(await helmTemplate(), 'Deployment'));
  it('the chart\'s Deployment with standbys', async () => assertHardened(await helmTemplate({ replicas: 2 }), 'Deployment'));
  it('the chart\'s sharded StatefulSet', async () => assertHardened(await helmTemplate({ sharding: { enabled: true, shards: 3 } }), 'StatefulSet'));

  it('would catch a container that may escalate, or a memory limit below its request', async () => {
    const objects = await helmTemplate({ resources: { requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '1', memory: '256Mi' } } });
    assert.throws(() => assertHardened(objects, 'Deployment'));
    const base = await kustomize('manifests/');
    const pod = (find(base, 'Deployment') as Workload).spec.template.spec;
    pod.containers[0]!.securityContext.allowPrivilegeEscalation = true;
    assert.throws(() => assertHardened(base, 'Deployment'));
  });
});
