// The real ClusterApi over @kubernetes/client-node. Every call waits for the client budget
// (`--client-qps/--client-burst`); Events use their own small budget so a burst of Events
// can never delay the Secret and status writes a sync needs.
import * as k8s from '@kubernetes/client-node';
import type { Agent } from 'node:http';
import type { ClusterApi, ConfigMapObject, EventInput, FollowerKind, JsonPatchOperation, ResourceRef } from './cluster-api.js';
import type { KubeObject, SecretObject } from './kube-object.js';
import type { ExternalSecretWriter } from './external-secret-writer.js';
import { httpStatusOf } from './api-error.js';
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

/**
 * client-node builds a new, non-keep-alive agent for every request, so each call pays a
 * TCP (and TLS) handshake. Reuse one keep-alive agent per distinct set of agent options.
 */
function reuseConnections(config: k8s.KubeConfig): void {
  const target = config as unknown as { createAgent(cluster: unknown, options: Record<string, unknown>): Agent };
  const original = target.createAgent.bind(config);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, options) => {
    const key = JSON.stringify([(cluster as { server?: string } | undefined)?.server, options]);
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...options, keepAlive: true, maxFreeSockets: 64 });
      agents.set(key, agent);
    }
    return agent;
  };
}

export class KubeClient implements ClusterApi, ExternalSecretWriter {
  readonly core: k8s.CoreV1Api;
  readonly custom: k8s.CustomObjectsApi;
  private readonly limiter: RequestLimiter;
  private readonly eventLimiter: RequestLimiter;
  private readonly component: string;
  private readonly now: () => number;
  private eventSeq = 0;
  /** Events dropped because the Event backlog was full. */
  droppedEvents = 0;

  constructor(readonly config: k8s.KubeConfig, options: KubeClientOptions) {
    reuseConnections(config);
    this.core = config.makeApiClient(k8s.CoreV1Api);
    this.custom = config.makeApiClient(k8s.CustomObjectsApi);
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

  async getSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    try {
      return (await this.call(() => this.core.readNamespacedSecret({ namespace, name }))) as SecretObject;
    } catch (e) {
      if (httpStatusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async createSecret(secret: SecretObject): Promise<SecretObject | undefined> {
    try {
      return (await this.call(() => this.core.createNamespacedSecret({ namespace: secret.metadata!.namespace!, body: secret as k8s.V1Secret }))) as SecretObject;
    } catch (e) {
      if (httpStatusOf(e) === 409) return undefined;
      throw e;
    }
  }

  async deleteSecret(namespace: string, name: string): Promise<boolean> {
    try {
      await this.call(() => this.core.deleteNamespacedSecret({ namespace, name }));
      return true;
    } catch (e) {
      if (httpStatusOf(e) === 404) return false;
      throw e;
    }
  }

  async getConfigMap(namespace: string, name: string): Promise<ConfigMapObject | undefined> {
    try {
      return (await this.call(() => this.core.readNamespacedConfigMap({ namespace, name }))) as ConfigMapObject;
    } catch (e) {
      if (httpStatusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async updateSecret(secret: SecretObject, options: { dryRun?: boolean } = {}): Promise<SecretObject> {
    const { namespace, name } = secret.metadata as { namespace: string; name: string };
    const dryRun = options.dryRun ? 'All' : undefined;
    return (await this.call(() => this.core.replaceNamespacedSecret({ namespace, name, body: secret as k8s.V1Secret, dryRun }))) as SecretObject;
  }

  // Workloads and Flux objects go through the custom-objects client: plain JSON, as JSON pointers see it.
  async getWorkload(kind: FollowerKind, namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return (await this.call(() => this.custom.getNamespacedCustomObject({ group: 'apps', version: 'v1', plural: WORKLOAD_PLURALS[kind], namespace, name }))) as KubeObject;
    } catch (e) {
      if (httpStatusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async patchWorkload(kind: FollowerKind, namespace: string, name: string, ops: JsonPatchOperation[]): Promise<void> {
    const options = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
    await this.call(() => this.custom.patchNamespacedCustomObject({ group: 'apps', version: 'v1', plural: WORKLOAD_PLURALS[kind], namespace, name, body: ops }, options));
  }

  async createConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject | undefined> {
    try {
      return (await this.call(() => this.core.createNamespacedConfigMap({ namespace: configMap.metadata!.namespace!, body: configMap as k8s.V1ConfigMap }))) as ConfigMapObject;
    } catch (e) {
      if (httpStatusOf(e) === 409) return undefined;
      throw e;
    }
  }

  async replaceConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject> {
    const { namespace, name } = configMap.metadata as { namespace: string; name: string };
    return (await this.call(() => this.core.replaceNamespacedConfigMap({ namespace, name, body: configMap as k8s.V1ConfigMap }))) as ConfigMapObject;
  }

  async requestFluxReconcile(namespace: string, name: string, requestedAt: string): Promise<void> {
    const options = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    const body = { metadata: { annotations: { [FLUX_RECONCILE_ANNOTATION]: requestedAt } } };
    await this.call(() => this.custom.patchNamespacedCustomObject({ group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations', namespace, name, body }, options));
  }

  async createExternalSecret(obj: KubeObject): Promise<KubeObject | undefined> {
    try {
      return (await this.call(() => this.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURALS.ExternalSecret, namespace: obj.metadata!.namespace!, body: obj }))) as KubeObject;
    } catch (e) {
      if (httpStatusOf(e) === 409) return undefined;
      throw e;
    }
  }

  async replaceExternalSecret(obj: KubeObject): Promise<KubeObject> {
    const { namespace, name } = obj.metadata as { namespace: string; name: string };
    return (await this.call(() => this.custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURALS.ExternalSecret, namespace, name, body: obj }))) as KubeObject;
  }

  async deleteExternalSecret(namespace: string, name: string, uid: string): Promise<boolean> {
    try {
      await this.call(() => this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURALS.ExternalSecret, namespace, name, body: { preconditions: { uid } } }));
      return true;
    } catch (e) {
      // 409: the uid precondition failed, the name now holds another object.
      if (httpStatusOf(e) === 404 || httpStatusOf(e) === 409) return false;
      throw e;
    }
  }

  async patchStatus(ref: ResourceRef, status: Record<string, unknown>): Promise<void> {
    const plural = PLURALS[ref.kind];
    const body = { status };
    const options = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    await this.call(() => ref.namespace
      ? this.custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, plural, namespace: ref.namespace, name: ref.name, body }, options)
      : this.custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural, name: ref.name, body }, options));
  }

  async createEvent(event: EventInput): Promise<void> {
    // A cluster-scoped object's Events go to `default`, as kubectl looks for them there.
    const namespace = event.involved.namespace ?? 'default';
    const at = new Date(this.now());
    const name = `${event.involved.name}.${at.getTime().toString(16)}${(this.eventSeq++ % 4096).toString(16)}`;
    const body: k8s.CoreV1Event = {
      metadata: { name, namespace },
      involvedObject: { apiVersion: event.involved.apiVersion, kind: event.involved.kind, name: event.involved.name, namespace: event.involved.namespace, uid: event.involved.uid },
      type: event.type,
      reason: event.reason,
      message: event.message,
      source: { component: this.component },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      reportingComponent: this.component,
    };
    try {
      await this.eventLimiter.schedule(() => this.core.createNamespacedEvent({ namespace, body }));
    } catch (e) {
      if (e instanceof LimiterOverflowError) {
        this.droppedEvents++;
        return;
      }
      throw e;
    }
  }

  async createServiceAccountToken(namespace: string, name: string, options: { audiences?: string[]; expirationSeconds?: number }): Promise<{ token: string; expiresAt: Date }> {
    const result = await this.call(() => this.core.createNamespacedServiceAccountToken({
      namespace,
      name,
      body: { spec: { audiences: options.audiences ?? [], expirationSeconds: options.expirationSeconds ?? 600 } },
    }));
    const expiry = result.status?.expirationTimestamp;
    return { token: result.status?.token ?? '', expiresAt: expiry ? new Date(expiry) : new Date(this.now() + (options.expirationSeconds ?? 600) * 1000) };
  }

  async close(): Promise<void> {
    await Promise.all([this.limiter.stop(), this.eventLimiter.stop()]);
  }
}
