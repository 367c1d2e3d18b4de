import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kubectl = join(root, '.tools', 'kubectl', 'kubectl');

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}
interface PolicyRule { apiGroups: string[]; resources: string[]; verbs: string[] }

async function build(dir: string): Promise<Obj[]> {
  assert.ok(existsSync(kubectl), 'the pinned kubectl is missing: run `make tools`');
  const { stdout } = await promisify(execFile)(kubectl, ['kustomize', dir], { cwd: root, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as Obj).filter(Boolean);
}

/** Metric names an expression (PromQL) refers to; histogram series map to their histogram. */
function metricNames(expr: string, known: Set<string>): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/"[^"]*"/g, '');
  return [...withoutLabels.matchAll(/\b((?:externalsecret|keyferry)_[a-z_]+)\b/g)].map((m) => (known.has(m[1]!) ? m[1]! : m[1]!.replace(/_(bucket|count|sum)$/, '')));
}

/** Metric names defined in src/metrics (prom-client `name: '...'`). */
function definedMetrics(): Set<string> {
  const dir = join(root, 'src', 'metrics');
  const names = new Set<string>();
  if (!existsSync(dir)) return names;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/name: '((?:externalsecret|keyferry)_[a-z_]+)'/g)) names.add(m[1]!);
  }
  return names;
}

/**
 * Fetch-path metrics of DESIGN §6 that the alerts and dashboard use under these names
 * (circuit state 0 closed / 1 open / 2 half-open, labelled `store`).
 */
const FETCH_PATH_METRICS = ['keyferry_circuit_state', 'keyferry_limiter_queue_depth', 'keyferry_limiter_wait_seconds', 'keyferry_cache_hits_total', 'keyferry_cache_misses_total', 'keyferry_singleflight_merged_total', 'keyferry_rollouts_total'];
const ESO_METRICS = ['externalsecret_sync_calls_total', 'externalsecret_sync_calls_error', 'externalsecret_status_condition', 'externalsecret_reconcile_duration', 'externalsecret_provider_api_calls_count'];

describe('kustomize base (manifests/)', function () {
  this.timeout(60_000);
  let objects: Obj[] = [];
  const find = (kind: string, name?: string): Obj => {
    const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
    assert.ok(o, `${kind}${name ? `/${name}` : ''} is in the build`);
    return o;
  };

  before(async () => {
    objects = await build('manifests/');
  });

  it('builds offline with the pinned kubectl into the expected objects', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      'ClusterRole/keyferry-controller',
      'ClusterRoleBinding/keyferry-controller',
      'ConfigMap/keyferry-grafana-dashboard',
      'CustomResourceDefinition/clustersecretstores.keyferry.io',
      'CustomResourceDefinition/externalsecrets.keyferry.io',
      'CustomResourceDefinition/secretstores.keyferry.io',
      'Deployment/keyferry',
      'Namespace/keyferry-system',
      'NetworkPolicy/keyferry',
      'PrometheusRule/keyferry',
      'Role/keyferry-leader-election',
      'RoleBinding/keyferry-leader-election',
      'Service/keyferry-metrics',
      'ServiceAccount/keyferry',
      'ServiceMonitor/keyferry',
    ]);
  });

  it('carries every CRD unchanged from manifests/crds', () => {
    for (const file of readdirSync(join(root, 'manifests', 'crds'))) {
      const source = parse(readFileSync(join(root, 'manifests', 'crds', file), 'utf8')) as Obj;
      const built = find('CustomResourceDefinition', source.metadata.name);
      assert.deepEqual(built.spec, source.spec, file);
      assert.equal(built.metadata.namespace, undefined);
    }
  });

  it('puts every namespaced object in keyferry-system', () => {
    const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);
    for (const o of objects) {
      if (clusterScoped.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name}`);
      else assert.equal(o.metadata.namespace, 'keyferry-system', `${o.kind}/${o.metadata.name}`);
    }
  });

  describe('RBAC', () => {
    const rules = (kind: string, name: string) => (find(kind, name).rules as PolicyRule[]);
    const verbsOn = (rs: PolicyRule[], group: string, resource: string) =>
      new Set(rs.filter((r) => (r.apiGroups.includes(group) || r.apiGroups.includes('*')) && (r.resources.includes(resource) || r.resources.includes('*'))).flatMap((r) => r.verbs));

    it('the main ClusterRole has no update or patch on Secrets, and no wildcards', () => {
      const rs = rules('ClusterRole', 'keyferry-controller');
      for (const r of rs) {
        assert.ok(!r.apiGroups.includes('*') && !r.resources.includes('*') && !r.verbs.includes('*'), JSON.stringify(r));
      }
      assert.deepEqual([...verbsOn(rs, '', 'secrets')].sort(), ['create', 'delete', 'get', 'list', 'watch']);
    });

    it('grants what the operator needs: its API and status, tokens, Events, Pods/ReplicaSets, rollout targets, ConfigMaps', () => {
      const rs = rules('ClusterRole', 'keyferry-controller');
      for (const plural of ['externalsecrets', 'secretstores', 'clustersecretstores']) {
        assert.deepEqual([...verbsOn(rs, 'keyferry.io', plural)].sort(), ['get', 'list', 'watch'], plural);
        assert.ok(verbsOn(rs, 'keyferry.io', `${plural}/status`).has('patch'), `${plural}/status`);
      }
      assert.deepEqual([...verbsOn(rs, '', 'serviceaccounts/token')], ['create']);
      assert.ok(verbsOn(rs, '', 'events').has('create'));
      // Retention only watches what references Secrets; nothing reads one of them by name.
      for (const [group, plural] of [['', 'pods'], ['apps', 'replicasets'], ['apps', 'controllerrevisions'], ['batch', 'jobs'], ['batch', 'cronjobs']] as const) {
        assert.deepEqual([...verbsOn(rs, group, plural)].sort(), ['list', 'watch'], plural);
      }
      for (const w of ['deployments', 'statefulsets', 'daemonsets']) {
        const verbs = verbsOn(rs, 'apps', w);
        assert.ok(verbs.has('patch') && !verbs.has('create') && !verbs.has('delete') && !verbs.has('update'), w);
      }
      assert.ok(verbsOn(rs, '', 'configmaps').has('create'));
      assert.equal(verbsOn(rs, 'authentication.k8s.io', 'tokenreviews').size, 0, 'TokenReview is not needed');
      assert.equal(verbsOn(rs, 'coordination.k8s.io', 'leases').size, 0, 'leases are granted only in keyferry-system');
    });

    it('grants leases for leader election only in keyferry-system, bound to the operator\'s ServiceAccount', () => {
      const role = rules('Role', 'keyferry-leader-election');
      assert.deepEqual(role.map((r) => [r.apiGroups, r.resources]), [[['coordination.k8s.io'], ['leases']]]);
      for (const [kind, name] of [['RoleBinding', 'keyferry-leader-election'], ['ClusterRoleBinding', 'keyferry-controller']] as const) {
        const binding = find(kind, name) as Obj & { subjects: { kind: string; name: string; namespace: string }[]; roleRef: { name: string } };
        assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'keyferry', namespace: 'keyferry-system' }]);
        assert.equal(binding.roleRef.name, name);
      }
    });

    it('keeps update/patch on Secrets for alias mode in a separate, optional build', async () => {
      const alias = await build('manifests/optional/alias-mode');
      const role = alias.find((o) => o.kind === 'ClusterRole')!;
      assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['update', 'patch'] }]);
      const binding = alias.find((o) => o.kind === 'ClusterRoleBinding') as Obj & { subjects: unknown[] };
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'keyferry', namespace: 'keyferry-system' }]);
    });
  });

  describe('Deployment', () => {
    type Container = {
      image: string; args: string[]; ports: { name: string; containerPort: number }[];
      livenessProbe: { httpGet: { path: string; port: string } }; readinessProbe: { httpGet: { path: string; port: string } };
      resources: { requests: Record<string, string>; limits: Record<string, string> };
      securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; runAsNonRoot: boolean; capabilities: { drop: string[]; add?: string[] } };
    };
    type PodSpec = { serviceAccountName: string; securityContext: { runAsNonRoot: boolean; runAsUser: number; seccompProfile: { type: string } }; containers: Container[] };
    const pod = () => ((find('Deployment', 'keyferry').spec as { template: { spec: PodSpec; metadata: { labels: Record<string, string> } } }).template);

    it('runs non-root with a read-only root filesystem, no capabilities and the RuntimeDefault seccomp profile', () => {
      const { spec } = pod();
      assert.equal(spec.securityContext.runAsNonRoot, true);
      assert.ok(spec.securityContext.runAsUser > 0);
      assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
      assert.equal(spec.containers.length, 1);
      const sc = spec.containers[0]!.securityContext;
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.equal(sc.runAsNonRoot, true);
      assert.deepEqual(sc.capabilities.drop, ['ALL']);
      assert.equal(sc.capabilities.add, undefined);
      assert.equal(spec.serviceAccountName, find('ServiceAccount').metadata.name);
    });

    it('runs the operator with metrics, health and leader election, probes on the health port, and resource bounds', () => {
      const c = pod().spec.containers[0]!;
      assert.deepEqual(c.args, ['run', '--metrics-addr=:8080', '--health-addr=:8081', '--leader-elect']);
      assert.equal(c.image, 'keyferry:0.1.0');
      const port = (name: string) => c.ports.find((p) => p.name === name)?.containerPort;
      assert.equal(port('metrics'), 8080);
      assert.equal(port('health'), 8081);
      assert.deepEqual([c.livenessProbe.httpGet.path, c.livenessProbe.httpGet.port], ['/healthz', 'health']);
      assert.deepEqual([c.readinessProbe.httpGet.path, c.readinessProbe.httpGet.port], ['/readyz', 'health']);
      for (const r of ['cpu', 'memory']) assert.ok(c.resources.requests[r] && c.resources.limits[r], r);
    });

    it('is selected by the metrics Service, the ServiceMonitor (through the Service) and the NetworkPolicy', () => {
      const labels = pod().metadata.labels;
      const matches = (selector: Record<string, string>, on: Record<string, string>) => Object.entries(selector).every(([k, v]) => on[k] === v);
      const svc = find('Service', 'keyferry-metrics') as Obj & { spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] } };
      assert.ok(matches(svc.spec.selector, labels));
      assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [['metrics', 8080, 'metrics']]);
      const sm = find('ServiceMonitor') as Obj & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } };
      assert.ok(matches(sm.spec.selector.matchLabels, svc.metadata.labels!));
      assert.deepEqual(sm.spec.endpoints.map((e) => [e.port, e.path]), [['metrics', '/metrics']]);
      const np = find('NetworkPolicy') as Obj & { spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: { ports: { port: string | number }[] }[]; egress: { ports: { port: number }[] }[] } };
      assert.ok(matches(np.spec.podSelector.matchLabels, labels));
      assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
      assert.deepEqual(np.spec.ingress.flatMap((r) => r.ports.map((p) => p.port)), ['metrics']);
      const egress = np.spec.egress.flatMap((r) => r.ports.map((p) => p.port));
      for (const p of [53, 443, 6443]) assert.ok(egress.includes(p), `egress ${p}`);
    });
  });

  describe('monitoring', () => {
    const known = new Set([...definedMetrics(), ...ESO_METRICS, ...FETCH_PATH_METRICS]);

    it('alerts on sync errors, stale secrets, expiry, open circuits and throttling, using DESIGN §6 metrics', () => {
      const rule = find('PrometheusRule') as Obj & { spec: { groups: { rules: { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[] }[] } };
      const alerts = rule.spec.groups.flatMap((g) => g.rules);
      const names = alerts.map((a) => a.alert);
      for (const a of ['KeyferrySyncErrors', 'KeyferryStaleSecret', 'KeyferrySecretExpiringSoon', 'KeyferryCircuitOpen', 'KeyferryProviderThrottling']) assert.ok(names.includes(a), a);
      for (const a of alerts) {
        assert.ok(['warning', 'critical'].includes(a.labels.severity), a.alert);
        assert.ok(a.annotations.summary, a.alert);
        for (const m of metricNames(a.expr, known)) assert.ok(known.has(m), `${a.alert} uses unknown metric ${m}`);
      }
    });

    it('ships a Grafana dashboard with panels on the metrics of DESIGN §6', () => {
      const cm = find('ConfigMap', 'keyferry-grafana-dashboard') as Obj & { data: Record<string, string> };
      assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
      const dashboard = JSON.parse(cm.data['keyferry-dashboard.json']!) as { uid: string; panels: { id: number; type: string; title: string; targets?: { expr: string }[] }[] };
      assert.equal(dashboard.uid, 'keyferry');
      const used = new Set<string>();
      for (const p of dashboard.panels) for (const t of p.targets ?? []) for (const m of metricNames(t.expr, known)) used.add(m);
      for (const m of used) assert.ok(known.has(m), `dashboard uses unknown metric ${m}`);
      for (const m of [...ESO_METRICS, 'keyferry_provider_request_duration_seconds', 'keyferry_circuit_state', 'keyferry_limiter_queue_depth', 'keyferry_secret_expiry_timestamp_seconds', 'keyferry_versions_retained', 'keyferry_workqueue_depth']) {
        assert.ok(used.has(m), `dashboard shows ${m}`);
      }
      assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids are unique');
    });
  });
});
