// The operator benchmark's cluster on a real control plane (test/support/control-plane: etcd,
// kube-apiserver and kube-controller-manager on 127.0.0.1). The benchmark creates and patches
// as admin over HTTPS (one keep-alive agent, bounded concurrency) and follows ExternalSecrets
// and managed Secrets with watch caches. Writes are the API server's own apiserver_request_total
// less the benchmark's ledger of its own requests; the audit log's count for the operator's
// ServiceAccount checks the result. The operator runs as that ServiceAccount, bound to exactly
// manifests/rbac/, in keyferry-system.
import * as k8s from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../../test/support/control-plane/control-plane.js';
import { installKeyferry, OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT } from '../../test/support/control-plane/shared-control-plane.js';
import { byResource, tooManyRequestsInMetrics, writesInMetrics } from './api-server-requests.js';
import { AuditedWrites } from './audited-writes.js';
import type { BenchCluster, BenchObject, ExternalSecretPatch, NewObject, WriteCounts } from './bench-cluster.js';
import { runPool } from './bounded-pool.js';
import { controlPlaneFigures } from './control-plane-processes.js';
import { KeepAliveKubeClient, KubeHttpError } from './keep-alive-kube-client.js';
import { WatchCache } from './watch-cache.js';

const MANAGED_LABEL = 'keyferry.io/external-secret';
const ES = { group: 'keyferry.io', version: 'v1alpha1', plural: 'externalsecrets' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RealBenchCluster implements BenchCluster {
  readonly kind = 'real' as const;
  readonly description: string;
  readonly operator: BenchCluster['operator'];
  private readonly namespaces = new Set<string>();
  private externalSecretsCreated = 0;

  private constructor(
    readonly cp: ControlPlane,
    operatorKubeconfigPath: string,
    private readonly client: KeepAliveKubeClient,
    private readonly concurrency: number,
    private readonly externalSecrets: WatchCache<k8s.KubernetesObject>,
    private readonly secrets: WatchCache<k8s.KubernetesObject>,
    private readonly baseline: Map<string, number>,
    private readonly audited: AuditedWrites,
  ) {
    this.description = `kube-apiserver ${cp.kubernetesVersion}`;
    this.operator = { kubeconfigPath: operatorKubeconfigPath, env: { POD_NAMESPACE: OPERATOR_NAMESPACE } };
  }

  static async start(options: { concurrency: number; log?: (line: string) => void }): Promise<RealBenchCluster> {
    const cp = await startControlPlane({ log: options.log });
    try {
      const operatorKubeconfigPath = await installKeyferry(cp);
      const client = await KeepAliveKubeClient.fromYaml(cp.kubeconfigYaml, options.concurrency);
      // Watches hold their connection: they get agents of their own, not the writers'.
      const watchConfig = new k8s.KubeConfig();
      watchConfig.loadFromString(cp.kubeconfigYaml);
      const custom = watchConfig.makeApiClient(k8s.CustomObjectsApi);
      const core = watchConfig.makeApiClient(k8s.CoreV1Api);
      const externalSecrets = await WatchCache.start(watchConfig, `/apis/${ES.group}/${ES.version}/${ES.plural}`,
        () => custom.listClusterCustomObject(ES) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>);
      const secrets = await WatchCache.start(watchConfig, '/api/v1/secrets',
        () => core.listSecretForAllNamespaces({ labelSelector: MANAGED_LABEL }) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>, MANAGED_LABEL);
      const baseline = writesInMetrics(await client.expect('GET', '/metrics'));
      const audited = new AuditedWrites(cp.auditLogPath, `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`);
      return new RealBenchCluster(cp, operatorKubeconfigPath, client, options.concurrency, externalSecrets, secrets, baseline, audited);
    } catch (e) {
      await cp.stop();
      throw e;
    }
  }

  /** A request retried while the server sheds load (429, 5xx), as any client would. */
  private async send(method: string, path: string, body: unknown, contentType?: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { status, text } = await this.client.request(method, path, body, contentType);
      if (status >= 200 && status <= 299) return;
      if ((status === 429 || status >= 500) && attempt < 10) {
        await sleep(100 * attempt);
        continue;
      }
      throw new KubeHttpError(status, text, `${method} ${path}`);
    }
  }

  async create(objects: NewObject[]): Promise<void> {
    const paths = await Promise.all(objects.map((o) => this.cp.client.path(o.apiVersion, o.kind, o.metadata.namespace)));
    await runPool(objects.length, this.concurrency, (i) => this.send('POST', paths[i]!, objects[i]));
    for (const o of objects) {
      if (o.kind === 'Namespace') this.namespaces.add(o.metadata.name);
      if (o.kind === 'ExternalSecret') this.externalSecretsCreated++;
    }
  }

  async patchExternalSecrets(patches: ExternalSecretPatch[]): Promise<void> {
    await runPool(patches.length, this.concurrency, (i) => {
      const p = patches[i]!;
      const path = `/apis/${ES.group}/${ES.version}/namespaces/${p.namespace}/${ES.plural}/${p.name}`;
      return p.status
        ? this.send('PATCH', `${path}/status`, { status: p.status }, 'application/merge-patch+json')
        : this.send('PATCH', path, { metadata: { annotations: p.annotations } }, 'application/merge-patch+json');
    });
  }

  externalSecret(namespace: string, name: string): BenchObject | undefined {
    return this.externalSecrets.get(namespace, name) as BenchObject | undefined;
  }

  managedSecrets(): Iterable<BenchObject> {
    return this.secrets.all() as BenchObject[];
  }

  async writes(): Promise<WriteCounts> {
    const text = await this.client.expect('GET', '/metrics');
    const now = writesInMetrics(text);
    const others = new Map<string, number>();
    let total = 0;
    for (const [k, n] of now) {
      const d = n - (this.baseline.get(k) ?? 0) - (this.client.ownWrites.get(k) ?? 0);
      if (d === 0) continue;
      others.set(k, d);
      total += d;
    }
    return { total, byResource: byResource(others), byOperatorAccount: await this.audited.count(), tooManyRequests: tooManyRequestsInMetrics(text) };
  }

  /**
   * Waits until the benchmark's watches hold every ExternalSecret created, and the controller
   * manager has given each namespace created its `default` ServiceAccount and root CA
   * ConfigMap, so none of those writes falls into a measured window.
   */
  async settled(): Promise<void> {
    const deadline = Date.now() + 180_000;
    const namespacesWith = async (apiVersion: string, kind: string, name: string) =>
      new Set((await this.cp.client.list(apiVersion, kind, undefined, { fieldSelector: `metadata.name=${name}` })).map((o) => o.metadata?.namespace));
    for (;;) {
      const sa = await namespacesWith('v1', 'ServiceAccount', 'default');
      const ca = await namespacesWith('v1', 'ConfigMap', 'kube-root-ca.crt');
      const cached = this.externalSecrets.all().length;
      if (cached >= this.externalSecretsCreated && [...this.namespaces].every((ns) => sa.has(ns) && ca.has(ns))) return;
      if (Date.now() > deadline) throw new Error(`cluster not settled: ${cached}/${this.externalSecretsCreated} ExternalSecrets in the watch cache`);
      await sleep(500);
    }
  }

  async serverFigures(): Promise<Record<string, { cpuSeconds: number; peakRssMiB: number }>> {
    return controlPlaneFigures(this.cp.dir);
  }

  async stop(): Promise<void> {
    await this.externalSecrets.stop();
    await this.secrets.stop();
    this.client.close();
    await this.cp.stop();
  }
}
