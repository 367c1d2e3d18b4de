// The operator and demo part of `keyferry dev`: applies the demo from
// manifests/examples/dev, runs the operator in this process against the dev cluster (its
// logs go to a file so the console stays readable), and says what to try.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { DevCluster, KubeObject } from '../devcluster/dev-cluster.js';
import { createLogger } from '../logging/logger.js';
import { startOperator, type RunningOperator } from './operator.js';

/** Applies every object in the YAML files of `dir`, in file-name order; returns how many. */
export async function applyDemoDirectory(cluster: Pick<DevCluster, 'apply'>, dir: string): Promise<KubeObject[]> {
  const applied: KubeObject[] = [];
  for (const file of (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (obj?.kind) applied.push(...(await cluster.apply(obj)));
    }
  }
  return applied;
}

export interface DevOperator {
  metricsUrl: string;
  logPath: string;
  stop(): Promise<void>;
}

export async function startDevOperator(kubeconfigPath: string, logPath: string): Promise<DevOperator> {
  await mkdir(dirname(logPath), { recursive: true });
  const stream = createWriteStream(logPath, { flags: 'a' });
  const logger = createLogger({ level: 'info', destination: stream });
  const operator: RunningOperator = await startOperator({
    kubeconfig: kubeconfigPath, concurrency: 4, clientQps: 50, clientBurst: 100,
    metricsAddr: '127.0.0.1:0', healthAddr: '127.0.0.1:0', logger,
  });
  return {
    metricsUrl: `http://${operator.metricsAddress}/metrics`,
    logPath,
    async stop() {
      await operator.stop();
      await new Promise<void>((resolve) => stream.end(resolve));
    },
  };
}

/** Waits (up to `timeoutMs`) for the demo's ExternalSecrets to be Ready; returns `name: reason` lines. */
export async function waitForDemo(cluster: { list(apiVersion: string, kind: string, namespace?: string): KubeObject[] | Promise<KubeObject[]> }, namespace: string, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = await cluster.list('keyferry.io/v1alpha1', 'ExternalSecret', namespace);
    const ready = (o: KubeObject) => ((o.status as { conditions?: Array<{ type: string; status: string; reason: string }> } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
    if (items.every((o) => ready(o)?.status === 'True') || Date.now() > deadline) {
      return items.map((o) => `${o.metadata?.name}: ${ready(o)?.reason ?? 'pending'} ${(o.status as { currentSecretName?: string } | undefined)?.currentSecretName ?? ''}`.trimEnd());
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What `keyferry dev` (and `make dev CLUSTER=real`) prints once the cluster, demo and operator
 * are up: the demo's ExternalSecrets, the metrics URL and the commands to try.
 */
export async function printDevInstructions(o: {
  cluster: { url: string; list(apiVersion: string, kind: string, namespace?: string): KubeObject[] | Promise<KubeObject[]> };
  operator?: DevOperator;
  demo: boolean;
  kubeconfigPath: string;
  crds: string[];
  /** First words of the "listening on" line. */
  what: string;
}): Promise<void> {
  const rel = relative(process.cwd(), o.kubeconfigPath) || o.kubeconfigPath;
  if (o.operator) {
    console.log(`operator metrics: ${o.operator.metricsUrl}  (logs: ${relative(process.cwd(), o.operator.logPath)})`);
    if (o.demo) for (const line of await waitForDemo(o.cluster, 'demo', 30_000)) console.log(`  ExternalSecret demo/${line}`);
    console.log(`  kubectl --kubeconfig ${rel} get externalsecrets -n demo`);
    console.log(`  kubectl --kubeconfig ${rel} get secrets -n demo -l keyferry.io/managed=true`);
    console.log(`  kubectl --kubeconfig ${rel} describe externalsecret db -n demo`);
    if (o.demo) {
      // The demo's Deployment follows `db` (rollout: Patch); rotating the fake value moves it to a new version.
      const ref = `kubectl --kubeconfig ${rel} -n demo get deployment web -o jsonpath='{.spec.template.spec.containers[0].envFrom[0].secretRef.name}{"\\n"}'`;
      console.log('  # Deployment web follows ExternalSecret db: rotate the fake value, then see web reference the new version');
      console.log(`  ${ref}`);
      console.log(`  kubectl --kubeconfig ${rel} -n demo patch secretstore demo-store --type json -p '[{"op":"replace","path":"/spec/provider/fake/data/0/value","value":"{\\"username\\":\\"app\\",\\"password\\":\\"demo-db-password-v2\\",\\"host\\":\\"db.demo.svc\\"}"}]'`);
      console.log(`  ${ref}`);
    }
  }
  console.log(`${o.what} listening on ${o.cluster.url}`);
  console.log(`CRDs: ${o.crds.length ? o.crds.join(', ') : '(none found in manifests/crds)'}`);
  console.log(`kubeconfig: ${o.kubeconfigPath}`);
  console.log('');
  console.log(`  kubectl --kubeconfig ${rel} get ns`);
  console.log(`  export KUBECONFIG=${o.kubeconfigPath}`);
  console.log('');
  console.log('Press Ctrl-C to stop.');
}

/** Resolves on SIGINT or SIGTERM (or when `signal` aborts, for tests). */
export function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop);
  });
}
