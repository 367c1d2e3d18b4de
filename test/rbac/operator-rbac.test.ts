// Least privilege, proven on the real control plane. The operator runs there as its
// ServiceAccount bound to exactly manifests/rbac/ (test/support/control-plane), so a missing
// permission fails the test that needs it. This suite shows the other half: every rule the
// bindings grant is used. The API server's audit log records each request the operator makes
// (verb, resource, response code; never a body) during the whole test run; this suite runs a
// sync of its own (create, rotate, prune, leader election), then compares what was requested
// with what the ClusterRoles and Roles bound to the ServiceAccount grant, read from the cluster.
// Run alone it sees only its own requests; `make test` runs it after the other suites that use
// the real cluster (mocha --sort), so every feature's requests are in the log.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT, sharedControlPlane } from '../support/control-plane/shared-control-plane.js';
import { API, eventually, externalSecret, fakeStore, forEachCluster, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject } from '../e2e/fixture.js';

const USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`;

/**
 * Rules the API server checks without the operator making a request for them, so no audit
 * entry shows their use; each says what checks it and which test fails without it.
 */
const CHECKED_BY_AUTHORIZATION_ONLY: Record<string, string> = {
  'keyferry.io/externalsecrets/finalizers:update':
    'OwnerReferencesPermissionEnforcement (on in the test control plane) checks it when a versioned Secret is created with an owner reference that blocks deletion; every sync e2e test on the real cluster fails without it',
};

interface Rule { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }

/** `group/resource[/sub]:verb` for every (group, resource, verb) a rule grants. */
function grants(rules: Rule[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    if (r.nonResourceURLs) continue;
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs) out.add(`${g === '' ? 'core' : g}/${res}:${v}`);
  }
  return out;
}

/**
 * Requests RBAC refuses on purpose in some test, each with the test that makes it: the
 * operator must then say what is missing, not fail silently.
 */
const REFUSED_ON_PURPOSE: Record<string, string> = {
  'core/secrets:update':
    'alias mode before manifests/optional/alias-mode is applied: the ExternalSecret reports AliasForbidden (test/e2e/workloads.e2e.test.ts); creationPolicy Merge before manifests/optional/merge-mode is: MergeForbidden (test/e2e/creation-policy.e2e.test.ts)',
};

interface AuditEvent {
  annotations?: Record<string, string>;
  user?: { username?: string };
  verb?: string;
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string };
  responseStatus?: { code?: number };
  stage?: string;
}

forEachCluster('operator RBAC is least privilege', function (kind) {
  this.timeout(90_000);
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;

  before(async () => {
    fx = await startClusterFixture(kind);
  });
  after(async () => {
    await op?.kill();
    await fx?.close();
  });

  it('uses every permission its bindings grant, and is refused none it needs', async () => {
    const ns = 'rbac-check';
    await fx.cluster.apply([namespace(ns), fakeStore('fake', ns, [{ key: 'k', value: 'first' }])]);
    await fx.cluster.apply(externalSecret('es', ns, {
      secretStoreRef: { name: 'fake' }, refreshInterval: '1s',
      data: [{ secretKey: 'k', remoteRef: { key: 'k' } }], target: { name: 'es', versioning: { retain: 0, minRetention: '0s' } },
    }));
    // Informers list by watch-list (a watch request) where the API server offers it, and list in
    // pages where it refuses: an API server without the WatchList feature, or one whose watch
    // cache is still starting (429). This run takes the paged list, so `list` is requested by
    // the operator itself; the other real-cluster suites take watch-list.
    op = await startOperatorProcess({ ...fx.operator, env: { ...fx.operator.env, KEYFERRY_WATCH_LIST: 'off' }, args: ['--leader-elect'] });
    await eventually(async () => readyOf(await fx.cluster.get(API, 'ExternalSecret', 'es', ns))?.status === 'True', 30_000 * fx.slow, 'synced');
    await fx.cluster.apply(fakeStore('fake', ns, [{ key: 'k', value: 'second' }]));
    await eventually(async () => (await managedSecrets(fx.cluster, ns, 'es')).length === 1 && (await op!.metricValue('keyferry_kube_requests_total', { verb: 'delete', resource: 'secrets' })) === 1, 30_000 * fx.slow, 'rotated and pruned');
    await op.stop();
    op = undefined;

    // What the bindings grant, as the cluster has them.
    const boundTo = (b: KubeObject) => ((b.subjects as Array<{ kind: string; name: string; namespace?: string }> | undefined) ?? [])
      .some((s) => s.kind === 'ServiceAccount' && s.name === OPERATOR_SERVICE_ACCOUNT && s.namespace === OPERATOR_NAMESPACE);
    const granted = new Set<string>();
    for (const b of (await fx.cluster.list('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')).filter(boundTo)) {
      const role = await fx.cluster.get('rbac.authorization.k8s.io/v1', 'ClusterRole', (b.roleRef as { name: string }).name);
      for (const g of grants((role?.rules as Rule[]) ?? [])) granted.add(g);
    }
    for (const b of (await fx.cluster.list('rbac.authorization.k8s.io/v1', 'RoleBinding', OPERATOR_NAMESPACE)).filter(boundTo)) {
      const role = await fx.cluster.get('rbac.authorization.k8s.io/v1', 'Role', (b.roleRef as { name: string }).name, OPERATOR_NAMESPACE);
      for (const g of grants((role?.rules as Rule[]) ?? [])) granted.add(g);
    }
    assert.ok(granted.size > 0, 'the operator has bindings');

    // What the operator asked for during this whole run.
    const cp = await sharedControlPlane();
    const events = (await readFile(cp.auditLogPath, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.user?.username === USER && e.stage === 'ResponseComplete' && e.objectRef?.resource);
    const key = (e: AuditEvent) => `${e.objectRef!.apiGroup || 'core'}/${e.objectRef!.resource}${e.objectRef!.subresource ? `/${e.objectRef!.subresource}` : ''}:${e.verb}`;
    // RBAC's own verdict, not the response code: an admission policy's refusal is a 403 too.
    const forbidden = (e: AuditEvent) => e.annotations?.['authorization.k8s.io/decision'] === 'forbid';
    const used = new Set(events.filter((e) => !forbidden(e)).map(key));
    const refused = [...new Set(events.filter(forbidden).map(key))].filter((k) => !REFUSED_ON_PURPOSE[k]).sort();

    assert.deepEqual(refused, [], `refused by RBAC: a permission the operator needs is missing from manifests/rbac/:\n  ${refused.join('\n  ')}`);
    const unused = [...granted].filter((g) => !used.has(g) && !CHECKED_BY_AUTHORIZATION_ONLY[g]).sort();
    assert.deepEqual(unused, [], `granted but never requested in this run (remove the rule, or exercise it on the real cluster):\n  ${unused.join('\n  ')}`);
  });
}, ['real']);
