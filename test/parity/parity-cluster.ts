// Setup for the parity suites: the same assertions run against the embedded dev cluster and the
// real kube-apiserver (one suite per cluster, through `forEachCluster`), talking to each over
// HTTP with an admin identity and through the pinned kubectl. Each suite works in a namespace
// of its own, removed with the fixture.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { kubectlPath } from '../support/control-plane/shared-control-plane.js';
import { TestKubeClient } from '../support/test-kube-client.js';
import { startClusterFixture, type ClusterFixture, type ClusterKind, type KubeObject } from '../e2e/fixture.js';

export { forEachCluster, eventually } from '../e2e/fixture.js';
export type { ClusterKind, KubeObject };

/** A Kubernetes `Status` as both servers answer errors with it. */
export interface Status {
  kind?: string;
  status?: string;
  reason?: string;
  message?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string; field?: string }[]; retryAfterSeconds?: number };
}

export interface Reply<T = unknown> {
  status: number;
  body: T;
  text: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ParityCluster {
  readonly kind: ClusterKind;
  readonly fixture: ClusterFixture;
  /** Admin REST client. */
  readonly client: TestKubeClient;
  /** A namespace of this suite's own. */
  readonly ns: string;
  /** One request; the body is parsed when it is JSON. */
  request<T = KubeObject & Status>(method: string, path: string, body?: unknown, contentType?: string): Promise<Reply<T>>;
  /** The pinned kubectl with the admin kubeconfig; never throws on a non-zero exit. */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** A name unique to this run, for cluster-scoped objects on the shared real cluster. */
  unique(prefix: string): string;
}

/**
 * Starts the cluster before the suite and stops it after; `prefix` names the suite's namespace.
 * Returns an accessor, valid from the suite's first test on.
 */
export function parityCluster(kind: ClusterKind, prefix: string): () => ParityCluster {
  let pc: ParityCluster | undefined;
  const suffix = randomBytes(3).toString('hex');
  before(async function () {
    this.timeout(180_000);
    const fixture = await startClusterFixture(kind);
    const ns = `${prefix}-${suffix}`;
    await fixture.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const client = fixture.cluster;
    pc = {
      kind,
      fixture,
      client,
      ns,
      async request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<Reply<T>> {
        const [status, text] = await client.raw(method, path, body, contentType);
        let parsed: unknown = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        return { status, body: parsed as T, text };
      },
      kubectl(args: string[], input?: string): Promise<KubectlResult> {
        return new Promise((resolve) => {
          const child = execFile(kubectlPath(), ['--kubeconfig', fixture.adminKubeconfigPath, ...args], { timeout: 120_000, maxBuffer: 32 << 20 }, (error, stdout, stderr) => {
            const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
            resolve({ code, stdout, stderr });
          });
          if (input !== undefined) child.stdin!.end(input);
        });
      },
      unique: (p: string) => `${p}-${suffix}`,
    };
  });
  after(async function () {
    this.timeout(180_000);
    await pc?.fixture.close();
  });
  return () => {
    if (!pc) throw new Error('the parity cluster is not started yet');
    return pc;
  };
}

/** The field errors of a 422, as `field: message` lines, sorted (the API server's map order is random). */
export function causes(s: Status): string[] {
  return (s.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message}`).sort();
}

export const CORE = '/api/v1';
export const nsPath = (ns: string, plural: string, name?: string): string => `/api/v1/namespaces/${ns}/${plural}${name ? `/${name}` : ''}`;
