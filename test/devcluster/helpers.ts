// Shared setup for dev cluster tests: a server on a free port and client-node clients for it.
import * as k8s from '@kubernetes/client-node';
import { startDevCluster, type DevCluster, type DevClusterOptions } from '../../src/devcluster/dev-cluster.js';

export interface TestCluster {
  cluster: DevCluster;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
  apps: k8s.AppsV1Api;
}

export async function startTestCluster(opts: DevClusterOptions = {}): Promise<TestCluster> {
  const cluster = await startDevCluster(opts);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfigYaml());
  return { cluster, kc, core: kc.makeApiClient(k8s.CoreV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi), apps: kc.makeApiClient(k8s.AppsV1Api) };
}

/** The HTTP status and parsed Status body of a failed client-node call. */
export async function failure(p: Promise<unknown>): Promise<{ code: number; body: { kind?: string; reason?: string; message?: string; code?: number } }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; body?: unknown };
    const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { code: err.code ?? 0, body: body as { reason?: string; message?: string } };
  }
  throw new Error('expected the call to fail');
}

export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
export const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
export const strategicPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

/** A small namespaced CRD with a status subresource, independent of keyferry's own CRDs. */
export const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.keyferry.io' },
  spec: {
    group: 'test.keyferry.io',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList', shortNames: ['wd'] },
    versions: [{
      name: 'v1', served: true, storage: true,
      subresources: { status: {} },
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
    }],
  },
};

export const W = { group: 'test.keyferry.io', version: 'v1', plural: 'widgets' };

export function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

export type { DevCluster };
