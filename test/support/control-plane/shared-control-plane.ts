// One real control plane per test process, started on first use and stopped when the process
// ends (mocha's root afterAll hook in test/support/cluster-hooks.ts), with keyferry's CRDs,
// namespace and RBAC installed, and a kubeconfig for the operator's own ServiceAccount, bound to
// exactly manifests/rbac/ (so a missing permission fails the test that needs it).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { startControlPlane, type ControlPlane } from './control-plane.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const OPERATOR_NAMESPACE = 'keyferry-system';
export const OPERATOR_SERVICE_ACCOUNT = 'keyferry';

export interface InstalledControlPlane extends ControlPlane {
  /** kubeconfig of the operator's ServiceAccount (token from the TokenRequest API). */
  operatorKubeconfigPath: string;
}

/** The pinned kubectl from .tools (make tools). */
export function kubectlPath(): string {
  return join(repoRoot, '.tools', 'kubectl', 'kubectl');
}

export async function kubectl(kubeconfigPath: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(kubectlPath(), ['--kubeconfig', kubeconfigPath, ...args], { timeout: 120_000, maxBuffer: 32 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || error.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Installs CRDs, namespace and RBAC from manifests/ and writes the operator's kubeconfig. */
export async function installKeyferry(cp: ControlPlane): Promise<string> {
  const m = (p: string) => join(repoRoot, 'manifests', p);
  await kubectl(cp.kubeconfigPath, ['apply', '-f', m('crds'), '-f', m('namespace.yaml')]);
  // The files carry no namespace (the kustomize base sets it): the namespaced ones go to the operator's.
  await kubectl(cp.kubeconfigPath, ['apply', '-n', OPERATOR_NAMESPACE, '-f', m('rbac')]);
  await kubectl(cp.kubeconfigPath, ['wait', '--for=condition=Established', '--timeout=60s', '-f', m('crds')]);
  const token = (await kubectl(cp.kubeconfigPath, ['create', 'token', OPERATOR_SERVICE_ACCOUNT, '-n', OPERATOR_NAMESPACE, '--duration=24h'])).trim();
  const path = join(cp.dir, 'operator.kubeconfig');
  await writeFile(path, toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'keyferry-real', cluster: { server: cp.url, 'certificate-authority-data': Buffer.from(cp.caCertPem).toString('base64') } }],
    users: [{ name: OPERATOR_SERVICE_ACCOUNT, user: { token } }],
    contexts: [{ name: 'keyferry-real', context: { cluster: 'keyferry-real', user: OPERATOR_SERVICE_ACCOUNT, namespace: OPERATOR_NAMESPACE } }],
    'current-context': 'keyferry-real',
  }), { mode: 0o600 });
  return path;
}

let shared: Promise<InstalledControlPlane> | undefined;

export function sharedControlPlane(): Promise<InstalledControlPlane> {
  shared ??= (async () => {
    const started = Date.now();
    const cp = await startControlPlane();
    try {
      const operatorKubeconfigPath = await installKeyferry(cp);
      if (process.env.KEYFERRY_E2E_VERBOSE) console.log(`      real control plane ${cp.kubernetesVersion} up in ${Date.now() - started} ms`);
      return Object.assign(cp, { operatorKubeconfigPath });
    } catch (e) {
      await cp.stop();
      throw e;
    }
  })();
  shared.catch(() => { shared = undefined; });
  return shared;
}

/** Stops the shared control plane if one was started. */
export async function stopSharedControlPlane(): Promise<void> {
  const running = shared;
  shared = undefined;
  if (running) await (await running.catch(() => undefined))?.stop();
}
