// What users install, put to a real API server (the control plane built from Go; RBAC,
// admission and schema validation as in production): the kustomize base applies to a cluster
// without the Prometheus Operator's CRDs, and every object the chart renders, for the defaults
// and each switch, is accepted with `kubectl apply --dry-run=server`. ServiceMonitor and
// PrometheusRule have no CRD there; helm-chart.test.ts checks them against the Prometheus
// Operator's own schemas instead, and here the monitoring build is shown to need those CRDs.
// The dev cluster serves neither RBAC nor Services, so these run on the real cluster only.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { kubectl } from '../support/control-plane/shared-control-plane.js';
import { forEachCluster, startClusterFixture, type ClusterFixture } from '../e2e/fixture.js';
import { helmTemplate, repoRoot, TOGGLES, type Obj } from './render.js';

const MONITORING_GROUP = 'monitoring.coreos.com/';

forEachCluster('manifests on the API server', function (kind) {
  this.timeout(240_000);
  let fx: ClusterFixture;
  const admin = (args: string[], input?: string) => kubectl(fx.adminKubeconfigPath, args, input);

  before(async () => {
    fx = await startClusterFixture(kind);
    // Namespaces the toggles install into must exist for a dry run of what goes in them.
    await fx.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  });

  after(async () => {
    await fx?.close();
  });

  it('has no Prometheus Operator CRDs, so it stands for a bare cluster', async () => {
    const groups = await admin(['api-resources', '--api-group=monitoring.coreos.com', '-o', 'name']);
    assert.equal(groups.trim(), '');
  });

  it('accepts the kustomize base (kubectl apply -k manifests/, server-side dry run)', async () => {
    const out = await admin(['apply', '--dry-run=server', '-k', `${repoRoot}/manifests`]);
    assert.match(out, /deployment\.apps\/keyferry (created|configured|unchanged) \(server dry run\)/);
    assert.match(out, /clusterrole\.rbac\.authorization\.k8s\.io\/keyferry-metrics-auth/);
  });

  it('refuses the optional monitoring build there, for want of its CRDs', async () => {
    await assert.rejects(admin(['apply', '--dry-run=server', '-k', `${repoRoot}/manifests/monitoring`]), /no matches for kind "(ServiceMonitor|PrometheusRule)"/);
  });

  for (const [name, values] of Object.entries(TOGGLES)) {
    it(`accepts every object the chart renders: ${name}`, async () => {
      const objects = (await helmTemplate(values)).filter((o: Obj) => !o.apiVersion.startsWith(MONITORING_GROUP));
      const out = await admin(['apply', '--dry-run=server', '-f', '-'], objects.map((o) => `---\n${stringify(o)}`).join(''));
      const accepted = out.split('\n').filter((l) => l.includes('(server dry run)'));
      assert.equal(accepted.length, objects.length, out);
    });
  }
}, ['real']);
