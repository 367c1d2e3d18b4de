// The install, on the API server itself: `kubectl apply -k manifests/` (the kustomize base,
// which needs no monitoring CRDs) is accepted, the Deployment's pod template is a Pod the API
// server admits (on the real cluster its ReplicaSet creates one; nothing runs it, as there is
// no kubelet), and every example in manifests/examples/ passes server-side validation.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { kubectl } from '../support/control-plane/shared-control-plane.js';
import { eventually, forEachCluster, namespace, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const examples = join(repoRoot, 'manifests', 'examples');

forEachCluster('install: kubectl apply -k manifests/ and the examples', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  before(async () => {
    fx = await startClusterFixture(kind);
  });
  after(async () => {
    // Leave the shared cluster's CRDs, namespace and RBAC (the operator's identity) in place.
    for (const [k, name] of [['deployment', 'keyferry'], ['service', 'keyferry-metrics'], ['networkpolicy', 'keyferry'], ['configmap', 'keyferry-grafana-dashboard']]) {
      await kubectl(fx.adminKubeconfigPath, ['delete', '-n', 'keyferry-system', k!, name!, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    }
    await fx?.close();
  });

  it('applies the kustomize base, and the Deployment makes an admissible Pod', async () => {
    const out = await kubectl(fx.adminKubeconfigPath, ['apply', '-k', join(repoRoot, 'manifests')]);
    assert.match(out, /deployment\.apps\/keyferry (created|configured|unchanged)/);
    const deployment = await fx.cluster.get('apps/v1', 'Deployment', 'keyferry', 'keyferry-system');
    assert.ok(deployment, 'the Deployment is stored');
    if (fx.kind === 'real') {
      // kube-controller-manager's ReplicaSet controller creates the Pod through the Pod API.
      const pods = await eventually(async () => {
        const list = await fx.cluster.list('v1', 'Pod', 'keyferry-system', { labelSelector: 'app.kubernetes.io/name=keyferry' });
        return list.length > 0 ? list : undefined;
      }, 30_000 * fx.slow, 'a Pod created from the Deployment');
      assert.equal((pods[0]!.spec as { serviceAccountName?: string }).serviceAccountName, 'keyferry');
    }
  });

  it('accepts every example in manifests/examples/ (server-side dry run)', async () => {
    const files = (await readdir(examples)).filter((f) => f.endsWith('.yaml')).sort();
    assert.ok(files.length >= 5, 'examples found');
    const objects: KubeObject[] = [];
    for (const f of files) for (const d of parseAllDocuments(await readFile(join(examples, f), 'utf8'))) if (d.toJS()) objects.push(d.toJS() as KubeObject);
    const namespaces = [...new Set(objects.map((o) => o.metadata?.namespace).filter((n): n is string => !!n && n !== 'default' && n !== 'keyferry-system'))];
    await fx.cluster.apply(namespaces.map((n) => namespace(n)));
    for (const f of files) {
      const out = await kubectl(fx.adminKubeconfigPath, ['apply', '--dry-run=server', '-f', join(examples, f)]);
      assert.match(out, /\(server dry run\)/, f);
    }
  });
});
