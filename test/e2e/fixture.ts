// Shared setup for the operator's end-to-end tests: a dev cluster with keyferry's CRDs and
// a kubeconfig file, plus small helpers to poll it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevCluster, type DevCluster, type KubeObject } from '../../src/devcluster/dev-cluster.js';
import { applyCrdDirectory } from '../../src/cli/dev-command.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const API = 'keyferry.io/v1alpha1';

export interface ClusterFixture {
  cluster: DevCluster;
  kubeconfigPath: string;
  close(): Promise<void>;
}

export async function startClusterFixture(): Promise<ClusterFixture> {
  const cluster = await startDevCluster({ port: 0 });
  await applyCrdDirectory(cluster, join(repoRoot, 'manifests', 'crds'));
  const dir = await mkdtemp(join(tmpdir(), 'keyferry-e2e-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await cluster.writeKubeconfig(kubeconfigPath);
  return {
    cluster,
    kubeconfigPath,
    async close() {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function fakeStore(name: string, ns: string, data: Array<{ key: string; value: string; version?: string }>): KubeObject {
  return { apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: ns }, spec: { provider: { fake: { data } } } };
}

export function externalSecret(name: string, ns: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API, kind: 'ExternalSecret', metadata: { name, namespace: ns }, spec };
}

export function readyOf(obj: KubeObject | undefined): { status?: string; reason?: string; message?: string } | undefined {
  const conditions = (obj?.status as { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } | undefined)?.conditions;
  return conditions?.find((c) => c.type === 'Ready');
}

export function managedSecrets(cluster: DevCluster, ns: string, es: string): KubeObject[] {
  return cluster.list('v1', 'Secret', ns).filter((s) => (s.metadata?.labels as Record<string, string> | undefined)?.['keyferry.io/external-secret'] === es);
}

/**
 * Fails when any of `needles` (planted values, tokens, key material) appears in what the
 * operator shows the world: its output, ExternalSecret and store status, Events and /metrics.
 */
export async function assertNothingLeaked(op: { output(): string; metrics(): Promise<string> }, cluster: DevCluster, ns: string, needles: string[]): Promise<void> {
  const texts = [
    op.output(),
    JSON.stringify(cluster.list(API, 'ExternalSecret', ns).map((o) => o.status)),
    JSON.stringify(cluster.list(API, 'SecretStore', ns).map((o) => o.status)),
    JSON.stringify(cluster.list('v1', 'Event', ns)),
    await op.metrics(),
  ].join('\n');
  for (const needle of needles) {
    assert.ok(!texts.includes(needle), `"${needle.slice(0, 12)}…" leaked into logs, status, Events or metrics`);
  }
}

/** Readers and waits over the ExternalSecrets and Secrets of one namespace of a fixture started later (in `before`). */
export function namespaceView<Status>(fixture: () => ClusterFixture, ns: string) {
  const es = (name: string) => fixture().cluster.get(API, 'ExternalSecret', name, ns);
  return {
    es,
    statusOf: (name: string) => (es(name)?.status ?? {}) as Status,
    secretValue: (secretName: string, key: string) => {
      const data = fixture().cluster.get('v1', 'Secret', secretName, ns)?.data as Record<string, string> | undefined;
      return data?.[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString();
    },
    waitReady: (name: string, timeoutMs = 20_000) =>
      eventually(() => (readyOf(es(name))?.status === 'True' ? es(name) : undefined), timeoutMs, `${name} Ready`),
    waitReason: (name: string, reason: string, timeoutMs = 20_000) =>
      eventually(() => (readyOf(es(name))?.reason === reason ? readyOf(es(name)) : undefined), timeoutMs, `${name} ${reason}`),
  };
}
