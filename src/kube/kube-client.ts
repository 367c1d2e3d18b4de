// The real ClusterApi over the API server's REST interface (kube-http.ts). Every call waits
// for the client budget (`--client-qps/--client-burst`); Events use their own small budget so
// a burst of Events can never delay the Secret and status writes a sync needs.
import type { ClusterApi, ConfigMapObject, EventInput, FollowerKind, JsonPatchOperation, ResourceRef } from './cluster-api.js';
import type { KubeObject, SecretObject } from './kube-object.js';
import type { ExternalSecretWriter } from './external-secret-writer.js';
import { httpStatusOf } from './api-error.js';
import { CONTENT_TYPE, DEFAULT_LIST_PAGE_SIZE, KubeHttp } from './kube-http.js';
import type { KubeConnection } from './kube-connection.js';
import { createRequestLimiter, LimiterOverflowError, type RequestBudget, type RequestLimiter } from './request-limiter.js';
import { GROUP, PLURALS, VERSION } from './resources.js';
import { FLUX_RECONCILE_ANNOTATION } from '../api/constants.js';

const WORKLOAD_PLURALS: Record<FollowerKind, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' };

export interface KubeClientOptions {
  budget: RequestBudget;
  eventBudget?: RequestBudget;
  /** Component name on Events. */
  component?: string;
  now?: () => number;
}

const enc = encodeURIComponent;
const secretPath = (namespace: string, name?: string) => `/api/v1/namespaces/${enc(namespace)}/secrets${name === undefined ? '' : `/${enc(name)}`}`;
const configMapPath = (namespace: string, name?: string) => `/api/v1/namespaces/${enc(namespace)}/configmaps${name === undefined ? '' : `/${enc(name)}`}`;
const ownPath = (plural: string, namespace: string | undefined, name?: string) =>
  `/apis/${GROUP}/${VERSION}${namespace ? `/namespaces/${enc(namespace)}` : ''}/${plural}${name === undefined ? '' : `/${enc(name)}`}`;

/** undefined for a 404 (or the given status), the error otherwise. */
async function unless<T>(status: number, call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (httpStatusOf(e) === status) return undefined;
    throw e;
  }
}

export class KubeClient implements ClusterApi, ExternalSecretWriter {
  readonly http: KubeHttp;
  private readonly limiter: RequestLimiter;
  private readonly eventLimiter: RequestLimiter;
  private readonly component: string;
  private readonly now: () => number;
  private eventSeq = 0;
  /** Events dropped because the Event backlog was full. */
  droppedEvents = 0;

  constructor(readonly connection: KubeConnection, options: KubeClientOptions) {
    this.http = new KubeHttp(connection);
    this.limiter = createRequestLimiter(options.budget);
    // Events are best effort: at most a bounded backlog waits, the rest are dropped.
    this.eventLimiter = createRequestLimiter(options.eventBudget ?? { qps: Math.max(1, options.budget.qps / 10), burst: Math.max(5, Math.round(options.budget.burst / 10)) }, { maxQueued: 1000 });
    this.component = options.component ?? 'keyferry';
    this.now = options.now ?? Date.now;
  }

  /** Runs a read or write under the client budget. */
  call<T>(fn: () => Promise<T>): Promise<T> {
    return this.limiter.schedule(fn);
  }

  getSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    return unless(404, this.call(() => this.http.get<SecretObject>(secretPath(namespace, name))));
  }

  async listSecrets(namespace: string, labelSelector: string): Promise<SecretObject[]> {
    const items: SecretObject[] = [];
    let next: string | undefined;
    do {
      const page = await this.call(() => this.http.list<SecretObject>(secretPath(namespace), { labelSelector, limit: DEFAULT_LIST_PAGE_SIZE, continue: next }));
      items.push(...page.items);
      next = page.metadata?.continue || undefined;
    } while (next);
    return items;
  }

  createSecret(secret: SecretObject): Promise<SecretObject | undefined> {
    return unless(409, this.call(() => this.http.request<SecretObject>('POST', secretPath(secret.metadata!.namespace!), { body: secret })));
  }

  async deleteSecret(namespace: string, name: string): Promise<boolean> {
    return (await unless(404, this.call(async () => {
      await this.http.request('DELETE', secretPath(namespace, name));
      return true;
    }))) ?? false;
  }

  getConfigMap(namespace: string, name: string): Promise<ConfigMapObject | undefined> {
    return unless(404, this.call(() => this.http.get<ConfigMapObject>(configMapPath(namespace, name))));
  }

  updateSecret(secret: SecretObject, options: { dryRun?: boolean } = {}): Promise<SecretObject> {
    const { namespace, name } = secret.metadata as { namespace: string; name: string };
    return this.call(() => this.http.request<SecretObject>('PUT', secretPath(namespace, name), { body: secret, query: { dryRun: options.dryRun ? 'All' : undefined } }));
  }

  getWorkload(kind: FollowerKind, namespace: string, name: string): Promise<KubeObject | undefined> {
    return unless(404, this.call(() => this.http.get<KubeObject>(`/apis/apps/v1/namespaces/${enc(namespace)}/${WORKLOAD_PLURALS[kind]}/${enc(name)}`)));
  }

  async patchWorkload(kind: FollowerKind, namespace: string, name: string, ops: JsonPatchOperation[]): Promise<void> {
    await this.call(() => this.http.request('PATCH', `/apis/apps/v1/namespaces/${enc(namespace)}/${WORKLOAD_PLURALS[kind]}/${enc(name)}`, { body: ops, contentType: CONTENT_TYPE.jsonPatch }));
  }

  createConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject | undefined> {
    return unless(409, this.call(() => this.http.request<ConfigMapObject>('POST', configMapPath(configMap.metadata!.namespace!), { body: configMap })));
  }

  replaceConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject> {
    const { namespace, name } = configMap.metadata as { namespace: string; name: string };
    return this.call(() => this.http.request<ConfigMapObject>('PUT', configMapPath(namespace, name), { body: configMap }));
  }

  async requestFluxReconcile(namespace: string, name: string, requestedAt: string): Promise<void> {
    const body = { metadata: { annotations: { [FLUX_RECONCILE_ANNOTATION]: requestedAt } } };
    await this.call(() => this.http.request('PATCH', `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${enc(namespace)}/kustomizations/${enc(name)}`, { body, contentType: CONTENT_TYPE.mergePatch }));
  }

  createExternalSecret(obj: KubeObject): Promise<KubeObject | undefined> {
    return unless(409, this.call(() => this.http.request<KubeObject>('POST', ownPath(PLURALS.ExternalSecret, obj.metadata!.namespace!), { body: obj })));
  }

  replaceExternalSecret(obj: KubeObject): Promise<KubeObject> {
    const { namespace, name } = obj.metadata as { namespace: string; name: string };
    return this.call(() => this.http.request<KubeObject>('PUT', ownPath(PLURALS.ExternalSecret, namespace, name), { body: obj }));
  }

  async deleteExternalSecret(namespace: string, name: string, uid: string): Promise<boolean> {
    try {
      await this.call(() => this.http.request('DELETE', ownPath(PLURALS.ExternalSecret, namespace, name), { body: { preconditions: { uid } } }));
      return true;
    } catch (e) {
      // 409: the uid precondition failed, the name now holds another object.
      if (httpStatusOf(e) === 404 || httpStatusOf(e) === 409) return false;
      throw e;
    }
  }

  async patchStatus(ref: ResourceRef, status: Record<string, unknown>): Promise<void> {
    await this.call(() => this.http.request('PATCH', `${ownPath(PLURALS[ref.kind], ref.namespace, ref.name)}/status`, { body: { status }, contentType: CONTENT_TYPE.mergePatch }));
  }

  async createEvent(event: EventInput): Promise<void> {
    // A cluster-scoped object's Events go to `default`, as kubectl looks for them there.
    const namespace = event.involved.namespace ?? 'default';
    const at = new Date(this.now());
    const name = `${event.involved.name}.${at.getTime().toString(16)}${(this.eventSeq++ % 4096).toString(16)}`;
    // The API server's Time has whole seconds.
    const time = `${at.toISOString().slice(0, 19)}Z`;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: { apiVersion: event.involved.apiVersion, kind: event.involved.kind, name: event.involved.name, namespace: event.involved.namespace, uid: event.involved.uid },
      type: event.type,
      reason: event.reason,
      message: event.message,
      source: { component: this.component },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
      reportingComponent: this.component,
    };
    try {
      await this.eventLimiter.schedule(() => this.http.request('POST', `/api/v1/namespaces/${enc(namespace)}/events`, { body }));
    } catch (e) {
      if (e instanceof LimiterOverflowError) {
        this.droppedEvents++;
        return;
      }
      throw e;
    }
  }

  async createServiceAccountToken(namespace: string, name: string, options: { audiences?: string[]; expirationSeconds?: number }): Promise<{ token: string; expiresAt: Date }> {
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: options.audiences ?? [], expirationSeconds: options.expirationSeconds ?? 600 } };
    const result = await this.call(() => this.http.request<{ status?: { token?: string; expirationTimestamp?: string } }>('POST', `/api/v1/namespaces/${enc(namespace)}/serviceaccounts/${enc(name)}/token`, { body }));
    const expiry = result.status?.expirationTimestamp;
    return { token: result.status?.token ?? '', expiresAt: expiry ? new Date(expiry) : new Date(this.now() + (options.expirationSeconds ?? 600) * 1000) };
  }

  async close(): Promise<void> {
    await Promise.all([this.limiter.stop(), this.eventLimiter.stop()]);
  }
}
