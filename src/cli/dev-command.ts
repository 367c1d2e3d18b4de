// `keyferry dev`: starts the embedded dev cluster, creates keyferry's CRDs through the
// apiextensions endpoint (as on a real cluster), writes `.keyferry/kubeconfig` and stays in
// the foreground until SIGINT/SIGTERM.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { startDevCluster, type DevCluster } from '../devcluster/dev-cluster.js';
import { applyDemoDirectory, printDevInstructions, startDevOperator, untilStopped, type DevOperator } from './dev-operator.js';

export interface DevOptions {
  port: number;
  /** Run the operator (in this process) against the dev cluster. */
  operator: boolean;
  /** Apply the demo from manifests/examples/dev (a `fake` store and ExternalSecrets). */
  demo: boolean;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Creates (or replaces) every CustomResourceDefinition found in `dir`'s YAML files over HTTP. Returns their names. */
export async function applyCrdDirectory(cluster: Pick<DevCluster, 'url'>, dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    return [];
  }
  const names: string[] = [];
  const base = `${cluster.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`;
  for (const f of files) {
    for (const doc of parseAllDocuments(await readFile(join(dir, f), 'utf8'))) {
      const obj = doc.toJS() as { kind?: string; metadata?: { name?: string; resourceVersion?: string } } | null;
      if (!obj || obj.kind !== 'CustomResourceDefinition') continue;
      let res = await fetch(base, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(obj) });
      if (res.status === 409) {
        const cur = (await (await fetch(`${base}/${obj.metadata?.name}`)).json()) as { metadata?: { resourceVersion?: string } };
        obj.metadata = { ...obj.metadata, resourceVersion: cur.metadata?.resourceVersion };
        res = await fetch(`${base}/${obj.metadata?.name}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(obj) });
      }
      if (!res.ok) throw new Error(`${f}: creating CRD ${obj.metadata?.name} failed: ${res.status} ${(await res.text()).slice(0, 500)}`);
      names.push(String(obj.metadata?.name));
    }
  }
  return names;
}

/**
 * Runs until SIGINT/SIGTERM (or until `signal` aborts, for tests), then stops the cluster and
 * resolves to the exit code.
 */
export async function runDevCluster(opts: DevOptions, runtime: { signal?: AbortSignal } = {}): Promise<number> {
  const cluster = await startDevCluster({ port: opts.port });
  let operator: DevOperator | undefined;
  try {
    const crds = await applyCrdDirectory(cluster, join(repoRoot, 'manifests', 'crds'));
    const kubeconfigPath = join(repoRoot, '.keyferry', 'kubeconfig');
    await cluster.writeKubeconfig(kubeconfigPath);

    if (opts.demo) await applyDemoDirectory(cluster, join(repoRoot, 'manifests', 'examples', 'dev'));
    operator = opts.operator ? await startDevOperator(kubeconfigPath, join(repoRoot, '.keyferry', 'operator.log')) : undefined;
    await printDevInstructions({ cluster, operator, demo: opts.demo, kubeconfigPath, crds, what: 'keyferry dev cluster' });
    await untilStopped(runtime.signal);
    console.log('stopping dev cluster');
    return 0;
  } finally {
    await operator?.stop();
    await cluster.stop();
  }
}
