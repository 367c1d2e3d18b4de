// The operator and demo part of `keyferry dev`: applies the demo from
// manifests/examples/dev, runs the operator in this process against the dev cluster (its
// logs go to a file so the console stays readable), and says what to try.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
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
