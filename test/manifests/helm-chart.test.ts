// The Helm chart (charts/keyferry): `helm lint --strict` and `helm template` for the defaults
// and each setting it has a switch for, what each switch changes, and values it refuses.
// The API server's verdict on the rendered objects is test/manifests/apply.test.ts's.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { find, helmLint, helmTemplate, repoRoot, RELEASE, TOGGLES, type Obj } from './render.js';

interface PolicyRule { apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[]; verbs: string[] }
interface Container {
  image: string; imagePullPolicy: string; args: string[]; env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  ports: Array<{ name: string; containerPort: number }>; resources: Record<string, Record<string, string>>;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodTemplate { metadata: { labels: Record<string, string> }; spec: { containers: Container[]; volumes: Array<{ name: string; secret?: { secretName: string } }>; imagePullSecrets?: unknown[] } }
type Workload = Obj & { spec: { replicas: number; serviceName?: string; template: PodTemplate } };

const workload = (objects: Obj[]) => objects.find((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as Workload;
const container = (objects: Obj[]) => workload(objects).spec.template.spec.containers[0]!;
const rulesOf = (o: Obj) => o.rules as PolicyRule[];
const manifestRules = (path: string) => (parse(readFileSync(join(repoRoot, 'manifests', path), 'utf8')) as { rules: PolicyRule[] }).rules;

/** (group, resource, verb) triples a set of rules grants. */
function grants(rules: PolicyRule[]): string[] {
  return rules.flatMap((r) => (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}/${v}`)))).sort();
}

describe('Helm chart (charts/keyferry)', function () {
  this.timeout(120_000);
  const rendered = new Map<string, Obj[]>();

  before(async () => {
    for (const [name, values] of Object.entries(TOGGLES)) rendered.set(name, await helmTemplate(values));
  });

  for (const [name, values] of Object.entries(TOGGLES)) {
    it(`lints with --strict and renders: ${name}`, async () => {
      const lint = await helmLint(values);
      assert.match(lint, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      const objects = rendered.get(name)!;
      assert.ok(objects.length > 10);
      for (const o of objects) {
        assert.equal(o.metadata.labels?.['app.kubernetes.io/name'], 'keyferry', `${o.kind}/${o.metadata.name} is labelled`);
        if (o.kind === 'ServiceMonitor') new ServiceMonitor(o as never).validate();
        if (o.kind === 'PrometheusRule') new PrometheusRule(o as never).validate();
      }
      const clusterScoped = new Set(['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
      for (const o of objects.filter((x) => !clusterScoped.has(x.kind))) {
        assert.ok(o.metadata.namespace === RELEASE.namespace || (name === 'namespace-scoped' && o.metadata.namespace === 'team-a'), `${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`);
      }
    });
  }

  it('defaults: one Deployment with leader election and secure metrics; no monitoring objects, no PodDisruptionBudget', () => {
    const objects = rendered.get('defaults')!;
    const w = workload(objects);
    assert.equal(w.kind, 'Deployment');
    assert.equal(w.spec.replicas, 1);
    const args = container(objects).args;
    for (const flag of ['--metrics-secure', '--leader-elect']) assert.ok(args.includes(flag), flag);
    for (const kind of ['StatefulSet', 'PodDisruptionBudget', 'ServiceMonitor', 'PrometheusRule']) assert.ok(!objects.some((o) => o.kind === kind), kind);
  });

  it('image: repository, tag, pull policy and pull secrets', () => {
    const objects = rendered.get('image')!;
    const c = container(objects);
    assert.equal(c.image, 'registry.example.com/platform/keyferry:0.2.0');
    assert.equal(c.imagePullPolicy, 'Always');
    assert.deepEqual(workload(objects).spec.template.spec.imagePullSecrets, [{ name: 'registry' }]);
    assert.equal(container(rendered.get('defaults')!).image, `keyferry:${(parse(readFileSync(join(repoRoot, 'charts', 'keyferry', 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion}`);
  });

  it('replicas: more standbys behind the leader Lease, and a PodDisruptionBudget over them', () => {
    const objects = rendered.get('replicas')!;
    assert.equal(workload(objects).spec.replicas, 3);
    assert.ok(container(objects).args.includes('--leader-elect'));
    const pdb = find(objects, 'PodDisruptionBudget') as Obj & { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } };
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.deepEqual(pdb.spec.selector.matchLabels, workload(objects).spec.template.metadata.labels);
  });

  it('leader election off: no --leader-elect and no Lease Role', () => {
    const objects = rendered.get('leader election off')!;
    assert.ok(!container(objects).args.includes('--leader-elect'));
    assert.ok(!objects.some((o) => o.kind === 'Role' && o.metadata.name.endsWith('leader-election')));
  });

  it('sharding: a StatefulSet whose pod ordinal is the shard, with the shard count, and no Deployment', () => {
    const objects = rendered.get('sharding')!;
    const w = workload(objects);
    assert.equal(w.kind, 'StatefulSet');
    assert.equal(w.spec.replicas, 3);
    assert.ok(!objects.some((o) => o.kind === 'Deployment'));
    const c = container(objects);
    assert.ok(c.args.includes('--shard-index-from-pod-name') && c.args.includes('--shard-count=3'), c.args.join(' '));
    assert.ok(!c.args.some((a) => a.startsWith('--shard-index=')));
    assert.equal(c.env.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', 'the ordinal comes from the pod name');
    assert.equal(w.spec.serviceName, find(objects, 'Service').metadata.name);
    assert.ok(objects.some((o) => o.kind === 'PodDisruptionBudget'));
  });

  it('resources: as given', () => {
    assert.deepEqual(container(rendered.get('resources')!).resources, TOGGLES.resources!.resources);
  });

  it('operator flags: each becomes a flag that `keyferry run` has, and Redis\'s port is let out', async () => {
    const objects = rendered.get('operator flags')!;
    const args = container(objects).args;
    for (const flag of ['--concurrency=16', '--client-qps=200', '--client-burst=400', '--provider-qps=50', '--provider-max-concurrent=64', '--fetch-mode=direct',
      '--redis-url=redis://redis.keyferry-system.svc:6380/0', '--log-level=debug', '--log-level=warn']) assert.ok(args.includes(flag), flag);
    const { stdout: help } = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin', 'keyferry.js'), 'run', '--help'], { cwd: repoRoot, timeout: 60_000 });
    const flags = new Set([...help.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!));
    const emitted = new Set([...rendered.values()].flatMap((objs) => container(objs).args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!)));
    for (const flag of emitted) assert.ok(flags.has(flag), `the chart passes ${flag}, which keyferry run does not have`);
    const np = find(objects, 'NetworkPolicy') as Obj & { spec: { egress: Array<{ ports: Array<{ port: number }> }> } };
    assert.ok(np.spec.egress.some((r) => r.ports.some((p) => p.port === 6380)));
  });

  it('ServiceMonitor and PrometheusRule: scrape the metrics Service over HTTPS, and carry the alerts of manifests/monitoring', () => {
    const objects = rendered.get('ServiceMonitor and PrometheusRule')!;
    const sm = find(objects, 'ServiceMonitor') as Obj & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; scheme: string; bearerTokenFile: string }> } };
    const svc = find(objects, 'Service');
    assert.equal(sm.metadata.labels?.release, 'prometheus');
    assert.ok(Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v));
    assert.deepEqual([sm.spec.endpoints[0]!.port, sm.spec.endpoints[0]!.scheme], ['metrics', 'https']);
    const rule = find(objects, 'PrometheusRule') as Obj & { spec: unknown };
    const source = parse(readFileSync(join(repoRoot, 'manifests', 'monitoring', 'prometheus-rule.yaml'), 'utf8')) as { spec: unknown };
    assert.deepEqual(rule.spec, source.spec);
  });

  it('plain metrics: HTTP on the given port, no review RBAC, scraped over HTTP', () => {
    const objects = rendered.get('plain metrics')!;
    const c = container(objects);
    assert.ok(!c.args.includes('--metrics-secure'));
    assert.ok(c.args.includes('--metrics-addr=:8080'));
    assert.equal(c.ports.find((p) => p.name === 'metrics')?.containerPort, 8080);
    assert.ok(!objects.some((o) => o.metadata.name.endsWith('metrics-auth')));
    const sm = find(objects, 'ServiceMonitor') as Obj & { spec: { endpoints: Array<{ scheme?: string; bearerTokenFile?: string }> } };
    assert.equal(sm.spec.endpoints[0]!.scheme, undefined);
    assert.equal(sm.spec.endpoints[0]!.bearerTokenFile, undefined);
  });

  it('metrics certificate: the Secret is mounted read-only where --metrics-cert-dir points; the reader role is bound to the given ServiceAccount', () => {
    const objects = rendered.get('metrics certificate')!;
    const w = workload(objects);
    const c = container(objects);
    const dir = c.args.find((a) => a.startsWith('--metrics-cert-dir='))!.split('=')[1];
    const mount = c.volumeMounts.find((m) => m.mountPath === dir)!;
    assert.equal(mount.readOnly, true);
    assert.equal(w.spec.template.spec.volumes.find((v) => v.name === mount.name)?.secret?.secretName, 'keyferry-metrics-tls');
    const binding = find(objects, 'ClusterRoleBinding', 'keyferry-metrics-reader') as Obj & { subjects: unknown[]; roleRef: { name: string } };
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }]);
    assert.deepEqual(rulesOf(find(objects, 'ClusterRole', binding.roleRef.name)), manifestRules('rbac/metrics-reader-role.yaml'));
  });

  it('alias mode: the objects of manifests/optional/alias-mode, bound to the release\'s ServiceAccount', () => {
    const objects = rendered.get('alias mode')!;
    const sa = find(objects, 'ServiceAccount');
    const base = new Set(rendered.get('defaults')!.map((o) => `${o.kind}/${o.metadata.name}`));
    const added = objects.filter((o) => !base.has(`${o.kind}/${o.metadata.name}`));
    assert.ok(added.length > 0);
    for (const o of added) {
      for (const s of (o.subjects as Array<{ kind: string; name: string; namespace: string }> | undefined) ?? []) {
        assert.deepEqual(s, { kind: 'ServiceAccount', name: sa.metadata.name, namespace: RELEASE.namespace });
      }
    }
    const role = added.find((o) => o.kind === 'ClusterRole')!;
    assert.ok(rulesOf(role).some((r) => r.resources?.includes('secrets') && r.verbs.includes('update')));
  });

  it('namespace-scoped: --namespace, a Role in that namespace, and the cluster-scoped reads only in a ClusterRole; together exactly the base\'s grants', () => {
    const objects = rendered.get('namespace-scoped')!;
    assert.ok(container(objects).args.includes('--namespace=team-a'));
    assert.ok(!objects.some((o) => o.kind === 'ClusterRole' && o.metadata.name === 'keyferry-controller'));
    const role = find(objects, 'Role', 'keyferry-controller');
    assert.equal(role.metadata.namespace, 'team-a');
    const binding = find(objects, 'RoleBinding', 'keyferry-controller') as Obj & { subjects: unknown[] };
    assert.equal(binding.metadata.namespace, 'team-a');
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'keyferry', namespace: RELEASE.namespace }]);
    const cluster = find(objects, 'ClusterRole', 'keyferry-controller-cluster');
    for (const r of rulesOf(cluster)) for (const res of r.resources ?? []) assert.ok(['clustersecretstores', 'clustersecretstores/status', 'namespaces'].includes(res), res);
    // ClusterExternalSecrets are not reconciled when one namespace is watched: neither they nor their ExternalSecret writes are granted.
    const cesOnly = (g: string) => g.includes('/clusterexternalsecrets/') || /^keyferry\.io\/externalsecrets\/(create|update|delete)$/.test(g);
    assert.deepEqual([...grants(rulesOf(role)), ...grants(rulesOf(cluster))].sort(), grants(manifestRules('rbac/cluster-role.yaml')).filter((g) => !cesOnly(g)));
  });

  it('no dashboard, no NetworkPolicy: both left out', () => {
    const objects = rendered.get('no dashboard, no NetworkPolicy')!;
    assert.ok(!objects.some((o) => o.kind === 'ConfigMap' || o.kind === 'NetworkPolicy'));
  });

  it('names every object after another release, in its namespace, and alerts on that release\'s metrics job', async () => {
    const objects = await helmTemplate({ metrics: { prometheusRule: { enabled: true } } }, { name: 'secrets', namespace: 'platform' });
    const sa = find(objects, 'ServiceAccount', 'secrets-keyferry');
    assert.equal(sa.metadata.namespace, 'platform');
    for (const o of objects.filter((x) => x.kind.endsWith('Binding'))) {
      assert.deepEqual(o.subjects, [{ kind: 'ServiceAccount', name: 'secrets-keyferry', namespace: 'platform' }], o.metadata.name);
    }
    const svc = find(objects, 'Service');
    assert.equal(svc.metadata.name, 'secrets-keyferry-metrics');
    assert.match(JSON.stringify(find(objects, 'PrometheusRule').spec), /job=\\"secrets-keyferry-metrics\\"/);
  });

  it('refuses values that would not run, saying which', async () => {
    await assert.rejects(helmTemplate({ sharding: { enabled: true, shards: 1 } }), /sharding\.shards: Must be greater than or equal to 2/);
    await assert.rejects(helmTemplate({ operator: { fetchMode: 'fast' } }), /operator\.fetchMode/);
    await assert.rejects(helmTemplate({ operator: { redisUrl: 'http://redis:6379' } }), /operator\.redisUrl/);
    await assert.rejects(helmTemplate({ replica: 2 }), /Additional property replica is not allowed/);
    await assert.rejects(helmTemplate({ metrics: { readerServiceAccount: { name: 'prometheus' } } }), /metrics\.readerServiceAccount\.namespace is required/);
  });
});
