// `keyferry dev`: starts the embedded dev cluster, creates keyferry's CRDs through the
// apiextensions endpoint (as on a real cluster), writes `.keyferry/kubeconfig` and stays in
// the foreground until SIGINT/SIGTERM.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { startDevCluster, type DevCluster } from '../devcluster/dev-cluster.js';
import { applyDemoDirectory, startDevOperator, waitForDemo, type DevOperator } from './dev-operator.js';

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
    const rel = relative(process.cwd(), kubeconfigPath) || kubeconfigPath;

    if (opts.demo) await applyDemoDirectory(cluster, join(repoRoot, 'manifests', 'examples', 'dev'));
    operator = opts.operator ? await startDevOperator(kubeconfigPath, join(repoRoot, '.keyferry', 'operator.log')) : undefined;
    if (operator) {
      console.log(`operator metrics: ${operator.metricsUrl}  (logs: ${relative(process.cwd(), operator.logPath)})`);
      if (opts.demo) for (const line of await waitForDemo(cluster, 'demo', 10_000)) console.log(`  ExternalSecret demo/${line}`);
      console.log(`  kubectl --kubeconfig ${rel} get externalsecrets -n demo`);
      console.log(`  kubectl --kubeconfig ${rel} get secrets -n demo -l keyferry.io/managed=true`);
      console.log(`  kubectl --kubeconfig ${rel} describe externalsecret db -n demo`);
    }

    console.log(`keyferry dev cluster listening on ${cluster.url}`);
    console.log(`CRDs: ${crds.length ? crds.join(', ') : '(none found in manifests/crds)'}`);
    console.log(`kubeconfig: ${kubeconfigPath}`);
    console.log('');
    console.log(`  kubectl --kubeconfig ${rel} get ns`);
    console.log(`  export KUBECONFIG=${kubeconfigPath}`);
    console.log('');
    console.log('Press Ctrl-C to stop.');

    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        runtime.signal?.removeEventListener('abort', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      if (runtime.signal?.aborted) stop();
      runtime.signal?.addEventListener('abort', stop);
    });
    console.log('stopping dev cluster');
    return 0;
  } finally {
    await operator?.stop();
    await cluster.stop();
  }
}
