// The operator benchmark's cluster on the embedded dev cluster: it runs in the benchmark's
// process, the benchmark creates and patches in-process (never counted) and reads the store
// directly; writes are the server's request stats, which count only HTTP requests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevCluster, type DevCluster, type KubeObject } from '../../src/devcluster/dev-cluster.js';
import { applyCrdDirectory } from '../../src/cli/dev-command.js';
import type { BenchCluster, BenchObject, ExternalSecretPatch, NewObject, WriteCounts } from './bench-cluster.js';

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const OPERATOR_NAMESPACE = 'keyferry-system';

export class DevBenchCluster implements BenchCluster {
  readonly kind = 'dev' as const;
  readonly description = 'dev cluster';

  private constructor(readonly cluster: DevCluster, private readonly dir: string, readonly operator: BenchCluster['operator']) {}

  static async start(options: { watchHistorySize: number; crdDir: string }): Promise<DevBenchCluster> {
    const cluster = await startDevCluster({ port: 0, watchHistorySize: options.watchHistorySize });
    const dir = await mkdtemp(join(tmpdir(), 'keyferry-bench-'));
    const kubeconfigPath = join(dir, 'kubeconfig');
    await cluster.writeKubeconfig(kubeconfigPath);
    await applyCrdDirectory(cluster, options.crdDir);
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE } });
    return new DevBenchCluster(cluster, dir, { kubeconfigPath, env: { POD_NAMESPACE: OPERATOR_NAMESPACE } });
  }

  async create(objects: NewObject[]): Promise<void> {
    for (let start = 0; start < objects.length; start += 1000) await this.cluster.apply(objects.slice(start, start + 1000) as KubeObject[]);
  }

  async patchExternalSecrets(patches: ExternalSecretPatch[]): Promise<void> {
    const updated = patches.map((p) => {
      const es = structuredClone(this.externalSecret(p.namespace, p.name));
      if (!es) throw new Error(`ExternalSecret ${p.namespace}/${p.name} not found`);
      delete es.metadata.resourceVersion;
      if (p.annotations) es.metadata.annotations = { ...es.metadata.annotations, ...p.annotations };
      // Without status the apply leaves the operator's status alone.
      if (p.status) es.status = { ...es.status, ...p.status };
      else delete es.status;
      return es as unknown as KubeObject;
    });
    for (let start = 0; start < updated.length; start += 1000) await this.cluster.apply(updated.slice(start, start + 1000));
  }

  externalSecret(namespace: string, name: string): BenchObject | undefined {
    return this.cluster.server.store.get('keyferry.io/externalsecrets', namespace, name)?.obj as BenchObject | undefined;
  }

  *managedSecrets(): Iterable<BenchObject> {
    for (const e of this.cluster.server.store.entries('/secrets')) {
      const o = e.obj as BenchObject;
      if (o.metadata.labels?.['keyferry.io/external-secret']) yield o;
    }
  }

  async writes(): Promise<WriteCounts> {
    const byResource: Record<string, number> = {};
    let total = 0;
    for (const [k, n] of Object.entries(this.cluster.stats.snapshot())) {
      const [verb, resource] = k.split(' ');
      if (!WRITE_VERBS.has(verb!)) continue;
      byResource[resource!] = (byResource[resource!] ?? 0) + n;
      total += n;
    }
    return { total, byResource };
  }

  async settled(): Promise<void> {}

  /** The dev cluster runs inside the benchmark's process: no figures of its own. */
  async serverFigures(): Promise<undefined> {
    return undefined;
  }

  async stop(): Promise<void> {
    await this.cluster.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
