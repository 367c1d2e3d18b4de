// Public API of the dev cluster for tests, benchmarks and `keyferry dev`:
//
//   const cluster = await startDevCluster({ bookmarkIntervalMs: 200 });
//   const kc = new k8s.KubeConfig(); kc.loadFromString(cluster.kubeconfigYaml());
//   await cluster.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } }]);
//   cluster.stats.count('create', 'secrets');     // requests seen over HTTP
//   cluster.faults.add({ match: { verb: 'update', resource: 'secrets' }, status: 500, times: 2 });
//   await cluster.stop();
//
// The same controls are on HTTP for separate processes: GET/DELETE /_dev/stats,
// GET/POST/DELETE /_dev/faults, POST /_dev/watches/drop, POST /_dev/restart {downMs},
// POST /_dev/compact.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { ApiError, isApiError } from './api-error.js';
import type { FaultInjector } from './fault-injector.js';
import type { RequestStats } from './request-stats.js';
import type { KubeObject } from './resource-type.js';
import { DevClusterServer, type DevClusterServerOptions } from './server.js';
import { copyOut } from './views.js';

export type { DevClusterLogger, DevClusterServerOptions } from './server.js';
export type { FaultRule, FaultMatch } from './fault-injector.js';
export type { KubeObject } from './resource-type.js';

export type DevClusterOptions = DevClusterServerOptions;

export interface IssuerInfo {
  /** The `iss` of service-account tokens (the server's URL). */
  issuer: string;
  /** `${issuer}/.well-known/openid-configuration` */
  discoveryUrl: string;
  /** `${issuer}/openid/v1/jwks` */
  jwksUri: string;
}

export interface DevCluster {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly issuer: IssuerInfo;
  /** Requests seen over HTTP, by verb and resource (`stats.count('create', 'secrets')`, `stats.reset()`). In-process calls are not counted. */
  readonly stats: RequestStats;
  /** Fault injection rules applied to HTTP requests. */
  readonly faults: FaultInjector;
  /** A kubeconfig for this cluster (context `keyferry-dev`, insecure http, a static token). */
  kubeconfigYaml(): string;
  writeKubeconfig(path: string): Promise<void>;
  /** In-process create-or-replace, for test setup. Objects need apiVersion, kind, metadata.name (and namespace when namespaced). */
  apply(objects: KubeObject | KubeObject[]): Promise<KubeObject[]>;
  /** In-process read; undefined when absent. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined;
  /** In-process list of one kind (all namespaces when `namespace` is omitted). */
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /** In-process delete (with finalizer and cascading semantics); false when absent. */
  delete(apiVersion: string, kind: string, name: string, namespace?: string): boolean;
  /** Closes open watches (of one resource plural, or all). Graceful ends the response (clients re-watch); otherwise resets the connection. */
  dropWatches(filter?: { resource?: string; graceful?: boolean }): number;
  /** Drops every connection and refuses new ones for `downMs`; data is kept. */
  restart(opts?: { downMs?: number }): Promise<void>;
  /** Forgets watch history: a watch from an older resourceVersion gets 410 Gone. */
  compactHistory(): void;
  /** Current cluster-wide resourceVersion. */
  readonly resourceVersion: string;
  /** The underlying server (store, registry, core), for advanced tests. */
  readonly server: DevClusterServer;
  stop(): Promise<void>;
}

export async function startDevCluster(options: DevClusterOptions = {}): Promise<DevCluster> {
  const server = new DevClusterServer(options);
  const url = await server.listen();
  const resolveKind = (apiVersion: string, kind: string) => {
    const r = server.registry.byKind(apiVersion, kind);
    if (!r) throw new ApiError(404, 'NotFound', `no matches for kind "${kind}" in version "${apiVersion}"`);
    return r;
  };
  const kubeconfig = (): string => toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'keyferry-dev', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'keyferry-dev', user: { token: 'keyferry-dev' } }],
    contexts: [{ name: 'keyferry-dev', context: { cluster: 'keyferry-dev', user: 'keyferry-dev', namespace: 'default' } }],
    'current-context': 'keyferry-dev',
    preferences: {},
  });
  return {
    url,
    issuer: { issuer: url, discoveryUrl: `${url}/.well-known/openid-configuration`, jwksUri: `${url}/openid/v1/jwks` },
    stats: server.stats,
    faults: server.faults,
    server,
    get resourceVersion() { return String(server.store.resourceVersion); },
    kubeconfigYaml: kubeconfig,
    async writeKubeconfig(path: string) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, kubeconfig(), { mode: 0o600 });
    },
    async apply(objects) {
      const out: KubeObject[] = [];
      for (const o of Array.isArray(objects) ? objects : [objects]) {
        const r = resolveKind(String(o.apiVersion), String(o.kind));
        const body = structuredClone(o);
        const ns = r.type.namespaced ? (body.metadata?.namespace ?? 'default') : undefined;
        const name = String(body.metadata?.name ?? '');
        const existing = name ? server.store.get(r.storageKey, ns ?? '', name) : undefined;
        let entry;
        if (existing) {
          if (body.metadata) delete body.metadata.resourceVersion;
          entry = server.core.update(r, ns, name, body);
          if (r.type.subresources.includes('status') && o.status !== undefined) {
            entry = server.core.update(r, ns, name, { ...copyOut(r, entry), status: structuredClone(o.status) }, { subresource: 'status' });
          }
        } else {
          entry = server.core.create(r, ns, body);
          if (r.type.subresources.includes('status') && o.status !== undefined) {
            entry = server.core.update(r, ns, name || String(entry.obj.metadata?.name), { ...copyOut(r, entry), status: structuredClone(o.status) }, { subresource: 'status' });
          }
        }
        out.push(copyOut(r, entry));
      }
      return out;
    },
    get(apiVersion, kind, name, namespace) {
      const r = resolveKind(apiVersion, kind);
      const e = server.store.get(r.storageKey, r.type.namespaced ? (namespace ?? 'default') : '', name);
      return e ? copyOut(r, e) : undefined;
    },
    list(apiVersion, kind, namespace) {
      const r = resolveKind(apiVersion, kind);
      return [...server.store.entries(r.storageKey, r.type.namespaced ? namespace : undefined)].map((e) => copyOut(r, e));
    },
    delete(apiVersion, kind, name, namespace) {
      const r = resolveKind(apiVersion, kind);
      try {
        server.core.delete(r, r.type.namespaced ? (namespace ?? 'default') : undefined, name);
        return true;
      } catch (e) {
        if (isApiError(e) && e.code === 404) return false;
        throw e;
      }
    },
    dropWatches: (filter) => server.dropWatches(filter),
    restart: (opts) => server.restart(opts?.downMs ?? 0),
    compactHistory: () => server.store.compact(),
    stop: () => server.close(),
  };
}
