// `make dev CLUSTER=real`: what `keyferry dev` does, on the real control plane (kube-apiserver,
// etcd, kube-controller-manager built by scripts/build-controlplane.sh): installs the CRDs,
// namespace and RBAC from manifests/, applies the demo, runs the operator in this process as
// its ServiceAccount (bound to manifests/rbac/), writes an admin kubeconfig to
// .keyferry/kubeconfig and prints the same lines. Ctrl-C stops everything.
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyDemoDirectory, printDevInstructions, startDevOperator, untilStopped, type DevOperator } from '../src/cli/dev-operator.js';
import { startControlPlane } from '../test/support/control-plane/control-plane.js';
import { installKeyferry, OPERATOR_NAMESPACE } from '../test/support/control-plane/shared-control-plane.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const cp = await startControlPlane({ log: (line) => console.log(line) });
let operator: DevOperator | undefined;
try {
  const operatorKubeconfig = await installKeyferry(cp);
  const kubeconfigPath = join(repoRoot, '.keyferry', 'kubeconfig');
  await mkdir(dirname(kubeconfigPath), { recursive: true });
  await copyFile(cp.kubeconfigPath, kubeconfigPath);
  const crds = (await cp.client.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).map((c) => String(c.metadata?.name)).filter((n) => n.endsWith('.keyferry.io'));
  await applyDemoDirectory(cp.client, join(repoRoot, 'manifests', 'examples', 'dev'));
  // The operator's Leases and key material live in its namespace, as in the Deployment.
  process.env.POD_NAMESPACE = OPERATOR_NAMESPACE;
  operator = await startDevOperator(operatorKubeconfig, join(repoRoot, '.keyferry', 'operator.log'));
  await printDevInstructions({ cluster: { url: cp.url, list: (v, k, ns) => cp.client.list(v, k, ns) }, operator, demo: true, kubeconfigPath, crds, what: `Kubernetes ${cp.kubernetesVersion} (kube-apiserver, etcd, kube-controller-manager)` });
  await untilStopped();
  console.log('stopping the control plane');
} finally {
  await operator?.stop();
  await cp.stop();
}
