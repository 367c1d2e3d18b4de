import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { find as findIn, kustomize, repoRoot, type Obj } from './render.js';
import { VERSION_KEY_SECRET_NAME } from '../../src/versioning/version-key.js';

interface PolicyRule { apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[]; verbs: string[] }

describe('kustomize base (manifests/)', function () {
  this.timeout(60_000);
  let objects: Obj[] = [];
  const find = (kind: string, name?: string) => findIn(objects, kind, name);

  before(async () => {
    objects = await kustomize('manifests/');
  });

  it('builds offline with the pinned kubectl into the expected objects, none of them monitoring.coreos.com', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      'ClusterRole/keyferry-controller',
      'ClusterRole/keyferry-metrics-auth',
      'ClusterRole/keyferry-metrics-reader',
      'ClusterRoleBinding/keyferry-controller',
      'ClusterRoleBinding/keyferry-metrics-auth',
      'ConfigMap/keyferry-grafana-dashboard',
      'CustomResourceDefinition/clusterexternalsecrets.keyferry.io',
      'CustomResourceDefinition/clustersecretstores.keyferry.io',
      'CustomResourceDefinition/externalsecrets.keyferry.io',
      'CustomResourceDefinition/secretstores.keyferry.io',
      'Deployment/keyferry',
      'Namespace/keyferry-system',
      'NetworkPolicy/keyferry',
      'Role/keyferry-leader-election',
      'Role/keyferry-version-key',
      'RoleBinding/keyferry-leader-election',
      'RoleBinding/keyferry-version-key',
      'Service/keyferry-metrics',
      'ServiceAccount/keyferry',
    ]);
    for (const o of objects) assert.ok(!o.apiVersion.startsWith('monitoring.coreos.com/'), `${o.kind} needs the Prometheus Operator`);
  });

  it('carries every CRD unchanged from manifests/crds', () => {
    for (const file of readdirSync(join(repoRoot, 'manifests', 'crds'))) {
      const source = parse(readFileSync(join(repoRoot, 'manifests', 'crds', file), 'utf8')) as Obj;
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
      new Set(rs.filter((r) => (r.apiGroups?.includes(group) || r.apiGroups?.includes('*')) && (r.resources?.includes(resource) || r.resources?.includes('*'))).flatMap((r) => r.verbs));
    const subjectsOf = (kind: string, name: string) => (find(kind, name) as Obj & { subjects: unknown[]; roleRef: { name: string } });

    it('the main ClusterRole has no update or patch on Secrets, and no wildcards', () => {
      const rs = rules('ClusterRole', 'keyferry-controller');
      for (const r of rs) {
        assert.ok(!r.apiGroups?.includes('*') && !r.resources?.includes('*') && !r.verbs.includes('*'), JSON.stringify(r));
      }
      assert.deepEqual([...verbsOn(rs, '', 'secrets')].sort(), ['create', 'delete', 'get', 'list', 'watch']);
    });

    it('grants its own API and status, and leaves review APIs and leases to their own roles', () => {
      const rs = rules('ClusterRole', 'keyferry-controller');
      for (const plural of ['externalsecrets', 'secretstores', 'clustersecretstores', 'clusterexternalsecrets']) {
        // ClusterExternalSecrets write ExternalSecrets: create, replace, delete.
        assert.deepEqual([...verbsOn(rs, 'keyferry.io', plural)].sort(), plural === 'externalsecrets' ? ['create', 'delete', 'list', 'update', 'watch'] : ['list', 'watch'], plural);
        assert.ok(verbsOn(rs, 'keyferry.io', `${plural}/status`).has('patch'), `${plural}/status`);
      }
      assert.equal(verbsOn(rs, 'authentication.k8s.io', 'tokenreviews').size, 0, 'TokenReview is granted with secure metrics only');
      assert.equal(verbsOn(rs, 'coordination.k8s.io', 'leases').size, 0, 'leases are granted only in keyferry-system');
    });

    it('grants TokenReview and SubjectAccessReview create, and nothing else, for secure metrics', () => {
      assert.deepEqual(rules('ClusterRole', 'keyferry-metrics-auth'), [
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ]);
      const binding = subjectsOf('ClusterRoleBinding', 'keyferry-metrics-auth');
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'keyferry', namespace: 'keyferry-system' }]);
      assert.equal(binding.roleRef.name, 'keyferry-metrics-auth');
      const args = ((find('Deployment', 'keyferry').spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args);
      assert.ok(args.includes('--metrics-secure'), 'the Deployment serves /metrics securely');
    });

    it('ships an unbound reader role for scrapers: get on /metrics only', () => {
      assert.deepEqual(rules('ClusterRole', 'keyferry-metrics-reader'), [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
      const bound = objects.filter((o) => (o as { roleRef?: { name: string } }).roleRef?.name === 'keyferry-metrics-reader');
      assert.deepEqual(bound, [], 'who scrapes is the installer\'s choice');
    });

    it('grants leases for leader election only in keyferry-system, bound to the operator\'s ServiceAccount', () => {
      const role = rules('Role', 'keyferry-leader-election');
      assert.deepEqual(role.map((r) => [r.apiGroups, r.resources]), [[['coordination.k8s.io'], ['leases']]]);
      for (const [kind, name] of [['RoleBinding', 'keyferry-leader-election'], ['ClusterRoleBinding', 'keyferry-controller']] as const) {
        const binding = subjectsOf(kind, name);
        assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'keyferry', namespace: 'keyferry-system' }]);
        assert.equal(binding.roleRef.name, name);
      }
    });

    it('lets the operator read only the version key Secret by name, and create it, in keyferry-system', () => {
      const role = find('Role', 'keyferry-version-key') as Obj & { rules: Array<PolicyRule & { resourceNames?: string[] }> };
      assert.equal(role.metadata.namespace, 'keyferry-system');
      assert.deepEqual(role.rules, [
        { apiGroups: [''], resources: ['secrets'], resourceNames: [VERSION_KEY_SECRET_NAME], verbs: ['get'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ]);
      const binding = subjectsOf('RoleBinding', 'keyferry-version-key');
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'keyferry', namespace: 'keyferry-system' }]);
      assert.equal(binding.roleRef.name, 'keyferry-version-key');
    });

    it('keeps update on Secrets for alias mode in a separate, optional build', async () => {
      const alias = await kustomize('manifests/optional/alias-mode');
      const role = alias.find((o) => o.kind === 'ClusterRole')!;
      assert.ok((role.rules as PolicyRule[]).some((r) => r.resources?.includes('secrets') && r.verbs.includes('update')));
      assert.equal(objects.some((o) => o.metadata.name === role.metadata.name), false, 'not in the base');
    });

    it('merge mode (creationPolicy Merge) is the same optional build as alias mode', async () => {
      assert.deepEqual(await kustomize('manifests/optional/merge-mode'), await kustomize('manifests/optional/alias-mode'));
    });
  });

  describe('metrics Service and NetworkPolicy', () => {
    it('the Service and the NetworkPolicy select the Deployment\'s pods, on the port /metrics is served on', () => {
      const pod = (find('Deployment', 'keyferry').spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: { args: string[]; ports: { name: string; containerPort: number }[] }[] } } }).template;
      const container = pod.spec.containers[0]!;
      const matches = (selector: Record<string, string>, on: Record<string, string>) => Object.entries(selector).every(([k, v]) => on[k] === v);
      const port = container.ports.find((p) => p.name === 'metrics')!;
      assert.ok(container.args.includes(`--metrics-addr=:${port.containerPort}`), 'the metrics port is where /metrics listens');
      const svc = find('Service', 'keyferry-metrics') as Obj & { spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] } };
      assert.ok(matches(svc.spec.selector, pod.metadata.labels));
      assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.targetPort]), [['metrics', 'metrics']]);
      const np = find('NetworkPolicy') as Obj & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: string | number }[] }[] } };
      assert.ok(matches(np.spec.podSelector.matchLabels, pod.metadata.labels));
      assert.deepEqual(np.spec.ingress.flatMap((r) => r.ports.map((p) => p.port)), ['metrics']);
    });
  });
});

describe('monitoring (manifests/monitoring)', function () {
  this.timeout(60_000);

  it('builds the ServiceMonitor and PrometheusRule, and the ServiceMonitor scrapes the base\'s Service over HTTPS with a bearer token', async () => {
    const monitoring = await kustomize('manifests/monitoring');
    assert.deepEqual(monitoring.map((o) => `${o.apiVersion} ${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort(), [
      'monitoring.coreos.com/v1 PrometheusRule/keyferry-system/keyferry',
      'monitoring.coreos.com/v1 ServiceMonitor/keyferry-system/keyferry',
    ]);
    const base = await kustomize('manifests/');
    const svc = findIn(base, 'Service', 'keyferry-metrics') as Obj & { spec: { ports: { name: string }[] } };
    const sm = findIn(monitoring, 'ServiceMonitor') as Obj & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string; scheme: string; bearerTokenFile: string }> } };
    assert.ok(Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v), 'selects the metrics Service');
    const [endpoint] = sm.spec.endpoints;
    assert.ok(svc.spec.ports.some((p) => p.name === endpoint!.port));
    assert.deepEqual([endpoint!.path, endpoint!.scheme, endpoint!.bearerTokenFile], ['/metrics', 'https', '/var/run/secrets/kubernetes.io/serviceaccount/token']);
  });

  it('ships the dashboard JSON as the ConfigMap Grafana\'s sidecar loads, byte for byte', async () => {
    const cm = findIn(await kustomize('manifests/'), 'ConfigMap', 'keyferry-grafana-dashboard') as Obj & { data: Record<string, string> };
    assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
    assert.equal(cm.data['keyferry-dashboard.json'], readFileSync(join(repoRoot, 'manifests', 'monitoring', 'keyferry-dashboard.json'), 'utf8'));
  });
});
