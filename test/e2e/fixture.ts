// Shared setup for the operator's end-to-end tests. One suite runs on two clusters:
//   dev   the embedded dev cluster (src/devcluster), one per fixture, with fault injection;
//   real  kube-apiserver + etcd + kube-controller-manager built from Go (test/support/control-plane),
//         one per test process; each fixture's namespaces and cluster-scoped objects are
//         deleted when it closes. The operator runs there as its ServiceAccount, bound to
//         exactly manifests/rbac/.
// KEYFERRY_E2E_CLUSTER=dev|real|dev,real picks the clusters (default both); every suite is
// declared once per cluster with `forEachCluster`, and its title names the cluster.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { applyCrdDirectory } from '../../src/cli/dev-command.js';
import { TestKubeClient, type KubeObject } from '../support/test-kube-client.js';
import { OPERATOR_NAMESPACE, sharedControlPlane } from '../support/control-plane/shared-control-plane.js';
import type { OperatorProcessOptions } from '../support/operator-process.js';

export type { KubeObject };
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const API = 'keyferry.io/v1alpha1';

export type ClusterKind = 'dev' | 'real';

/** The clusters this run's e2e suites run on. */
export function e2eClusters(): ClusterKind[] {
  const wanted = (process.env.KEYFERRY_E2E_CLUSTER ?? 'dev,real').split(',').map((s) => s.trim()).filter(Boolean);
  for (const w of wanted) if (w !== 'dev' && w !== 'real') throw new Error(`KEYFERRY_E2E_CLUSTER: unknown cluster "${w}" (dev, real)`);
  return wanted as ClusterKind[];
}

/** How much longer waits and timeouts are on each cluster: the real control plane is slower to create and delete. */
export const SLOWER: Record<ClusterKind, number> = { dev: 1, real: 3 };

/**
 * Declares a suite once per cluster of this run; the title ends with `[dev]` or `[real]`. The
 * body runs as mocha's suite function (`this.timeout(...)` works), and the suite's timeout is
 * scaled by SLOWER for the cluster afterwards.
 */
export function forEachCluster(title: string, body: (this: Mocha.Suite, kind: ClusterKind) => void, only: ClusterKind[] = ['dev', 'real']): void {
  for (const kind of e2eClusters().filter((k) => only.includes(k))) {
    describe(`${title} [${kind}]`, function () {
      body.call(this, kind);
      this.timeout(this.timeout() * SLOWER[kind]);
    });
  }
}

export interface IssuerInfo {
  issuer: string;
  discoveryUrl: string;
  jwksUri: string;
}

/** The cluster as tests see it: REST over HTTP(S) with an admin identity, plus its token issuer. */
export class FixtureCluster extends TestKubeClient {
  /** Namespaces and cluster-scoped objects this fixture created, deleted on close (real cluster). */
  readonly created = new Map<string, { apiVersion: string; kind: string; name: string }>();

  constructor(readonly kind: ClusterKind, kubeconfigYaml: string, readonly issuer: IssuerInfo) {
    const probe = TestKubeClient.fromYaml(kubeconfigYaml);
    super(probe.config);
  }

  override async apply(objects: KubeObject | KubeObject[]): Promise<KubeObject[]> {
    const stored: KubeObject[] = [];
    for (const o of Array.isArray(objects) ? objects : [objects]) {
      const { apiVersion, kind } = o as { apiVersion: string; kind: string };
      const clusterScoped = !o.metadata?.namespace && !(await this.isNamespaced(apiVersion, kind).catch(() => true));
      const name = String(o.metadata?.name);
      // An earlier suite's namespace (or other cluster-scoped object) of the same name may still
      // be terminating (close() does not wait for namespaces): wait for it to go first.
      if (clusterScoped) await eventually(async () => !(await this.get(apiVersion, kind, name))?.metadata?.deletionTimestamp, 120_000, `${kind} ${name} of an earlier suite gone`);
      const [s] = await super.apply(o);
      stored.push(s!);
      if (clusterScoped) this.created.set(`${apiVersion}/${kind}/${name}`, { apiVersion, kind, name });
    }
    return stored;
  }
}

export interface ClusterFixture {
  readonly kind: ClusterKind;
  readonly cluster: FixtureCluster;
  /** How to start the operator on this cluster: its kubeconfig and environment (spread into startOperatorProcess). */
  readonly operator: Pick<OperatorProcessOptions, 'kubeconfigPath' | 'env'>;
  /** The operator's kubeconfig (same as operator.kubeconfigPath). */
  readonly kubeconfigPath: string;
  /** A cluster-admin kubeconfig, for kubectl. */
  readonly adminKubeconfigPath: string;
  /** Where the operator keeps its Leases. */
  readonly operatorNamespace: string;
  /** The dev cluster itself (fault injection, request counts); undefined on the real cluster. */
  readonly dev?: DevCluster;
  /** Multiplier for waits: the real control plane is slower to create and delete. */
  readonly slow: number;
  close(): Promise<void>;
}

export async function startClusterFixture(kind: ClusterKind = 'dev'): Promise<ClusterFixture> {
  return kind === 'real' ? startRealFixture() : startDevFixture();
}

async function startDevFixture(): Promise<ClusterFixture> {
  const dev = await startDevCluster({ port: 0 });
  await applyCrdDirectory(dev, join(repoRoot, 'manifests', 'crds'));
  const dir = await mkdtemp(join(tmpdir(), 'keyferry-e2e-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await dev.writeKubeconfig(kubeconfigPath);
  const cluster = new FixtureCluster('dev', dev.kubeconfigYaml(), dev.issuer);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE } });
  return {
    kind: 'dev',
    cluster,
    dev,
    operator: { kubeconfigPath, env: { POD_NAMESPACE: OPERATOR_NAMESPACE } },
    kubeconfigPath,
    adminKubeconfigPath: kubeconfigPath,
    operatorNamespace: OPERATOR_NAMESPACE,
    slow: SLOWER.dev,
    async close() {
      await dev.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Namespaces kube-apiserver's NamespaceLifecycle admission never lets anyone delete. */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

async function startRealFixture(): Promise<ClusterFixture> {
  const cp = await sharedControlPlane();
  const cluster = new FixtureCluster('real', cp.kubeconfigYaml, cp.issuer);
  return {
    kind: 'real',
    cluster,
    operator: { kubeconfigPath: cp.operatorKubeconfigPath, env: { POD_NAMESPACE: OPERATOR_NAMESPACE } },
    kubeconfigPath: cp.operatorKubeconfigPath,
    adminKubeconfigPath: cp.kubeconfigPath,
    operatorNamespace: OPERATOR_NAMESPACE,
    slow: SLOWER.real,
    async close() {
      // Leave the shared cluster as this fixture found it: the next suite's operator must not
      // see this one's objects, nor wait out its Leases.
      // The keyferry objects in its namespaces go at once; the namespaces themselves go in the
      // background (the namespace controller takes ~5 s each): nothing keyferry acts on is left
      // in them, and apply() waits if a later suite makes one of the same name.
      const keyferryPlurals = await cluster.namespacedPlurals(API);
      for (const ref of [...cluster.created.values()].reverse()) {
        if (ref.kind === 'Namespace') {
          for (const plural of keyferryPlurals) await cluster.raw('DELETE', `/apis/${API}/namespaces/${encodeURIComponent(ref.name)}/${plural}`);
          // The API server refuses to delete these (403); what a suite put there is its to remove.
          if (IMMORTAL_NAMESPACES.has(ref.name)) continue;
        }
        await cluster.delete(ref.apiVersion, ref.kind, ref.name);
      }
      for (const lease of await cluster.list('coordination.k8s.io/v1', 'Lease', OPERATOR_NAMESPACE)) {
        await cluster.delete('coordination.k8s.io/v1', 'Lease', lease.metadata!.name!, OPERATOR_NAMESPACE);
      }
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

export async function managedSecrets(cluster: TestKubeClient, ns: string, es: string): Promise<KubeObject[]> {
  return (await cluster.list('v1', 'Secret', ns)).filter((s) => s.metadata?.labels?.['keyferry.io/external-secret'] === es);
}

/** A Secret's decoded value of `key`, or undefined. */
export function decoded(secret: KubeObject | undefined, key: string): string | undefined {
  const v = (secret?.data as Record<string, string> | undefined)?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString();
}

/**
 * Fails when any of `needles` (planted values, tokens, key material) appears in what the
 * operator shows the world: its output, ExternalSecret and store status, Events and /metrics.
 */
export async function assertNothingLeaked(op: { output(): string; metrics(): Promise<string> }, cluster: TestKubeClient, ns: string, needles: string[]): Promise<void> {
  const texts = [
    op.output(),
    JSON.stringify((await cluster.list(API, 'ExternalSecret', ns)).map((o) => o.status)),
    JSON.stringify((await cluster.list(API, 'SecretStore', ns)).map((o) => o.status)),
    JSON.stringify(await cluster.list('v1', 'Event', ns)),
    await op.metrics(),
  ].join('\n');
  for (const needle of needles) {
    assert.ok(!texts.includes(needle), `"${needle.slice(0, 12)}…" leaked into logs, status, Events or metrics`);
  }
}

/** Readers and waits over the ExternalSecrets and Secrets of one namespace of a fixture started later (in `before`). */
export function namespaceView<Status>(fixture: () => ClusterFixture, ns: string) {
  const es = (name: string) => fixture().cluster.get(API, 'ExternalSecret', name, ns);
  const scaled = (ms: number) => ms * fixture().slow;
  return {
    es,
    statusOf: async (name: string) => ((await es(name))?.status ?? {}) as Status,
    secretValue: async (secretName: string, key: string) => decoded(await fixture().cluster.get('v1', 'Secret', secretName, ns), key),
    waitReady: (name: string, timeoutMs = 20_000) =>
      eventually(async () => { const o = await es(name); return readyOf(o)?.status === 'True' ? o : undefined; }, scaled(timeoutMs), `${name} Ready`),
    waitReason: (name: string, reason: string, timeoutMs = 20_000) =>
      eventually(async () => { const c = readyOf(await es(name)); return c?.reason === reason ? c : undefined; }, scaled(timeoutMs), `${name} ${reason}`),
  };
}
