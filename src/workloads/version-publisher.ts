// rollout `Publish` (DESIGN §2): the ConfigMap `keyferry-versions` in each namespace maps every
// publishing target (key: publish-keys.ts) to its current versioned Secret name, for Flux's
// postBuild.substituteFrom. GitOps keeps owning the workloads; keyferry only publishes. The
// ConfigMap is written only when a value changes, debounced per namespace, with its
// resourceVersion as precondition; a Flux Kustomization named by a changed ExternalSecret is then
// asked to reconcile.
import { FLUX_RECONCILE_ANNOTATION, PUBLISH_CONFIGMAP_NAME } from '../api/constants.js';
import { describeKubeError, httpStatusOf } from '../kube/api-error.js';
import type { ClusterApi, ConfigMapObject } from '../kube/cluster-api.js';
import type { ObjectStore } from '../kube/informer.js';
import type { KubeObject } from '../kube/kube-object.js';
import type { Timers } from '../queue/timer.js';
import type { ExternalSecretSpec } from '../api/index.js';
import { LABEL_PUBLISHED_BY } from './annotations.js';
import type { ConsumerEvents, ConsumerLogger } from './consumer-events.js';
import type { CurrentVersions } from './current-versions.js';
import { KeyedDebouncer, type DebounceOptions } from './debouncer.js';
import { publishKey } from './publish-keys.js';
import type { WorkloadMetrics } from './workload-metrics.js';

const PUBLISHED_BY = 'keyferry';
const MAX_CONFLICTS = 5;

export interface VersionPublisherDeps {
  api: ClusterApi;
  /** ExternalSecrets as cached: which ones publish, even before this process has reconciled them. */
  externalSecrets: ObjectStore<KubeObject>;
  versions: CurrentVersions;
  events: ConsumerEvents;
  logger: ConsumerLogger;
  metrics: WorkloadMetrics;
  timers: Timers;
  debounce: DebounceOptions;
}

interface Publisher {
  externalSecret: string;
  target: string;
  key: string;
}

const specOf = (es: KubeObject) => (es as { spec?: ExternalSecretSpec }).spec;

export class VersionPublisher {
  private readonly debouncer: KeyedDebouncer;

  constructor(private readonly deps: VersionPublisherDeps) {
    this.debouncer = new KeyedDebouncer(deps.timers, deps.debounce, (ns) => this.publish(ns),
      (ns, error) => deps.logger.warn({ namespace: ns, configMap: PUBLISH_CONFIGMAP_NAME, error: describeKubeError(error) }, 'could not publish versions'));
  }

  /** Something a namespace's ConfigMap shows may have changed. */
  namespaceChanged(namespace: string): void {
    this.debouncer.schedule(namespace);
  }

  idle(): Promise<void> {
    return this.debouncer.idle();
  }

  stop(): Promise<void> {
    return this.debouncer.stop();
  }

  /** The ExternalSecrets of a namespace that publish, one per key: the first target by name wins a shared key. */
  private publishers(namespace: string): Publisher[] {
    const all = this.deps.externalSecrets.list(namespace)
      .filter((es) => specOf(es)?.target?.versioning?.rollout === 'Publish' && !es.metadata?.deletionTimestamp)
      .map((es) => {
        const target = specOf(es)?.target?.name ?? es.metadata!.name!;
        return { externalSecret: es.metadata!.name!, target, key: publishKey(target) };
      })
      .sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : a.externalSecret < b.externalSecret ? -1 : 1));
    const byKey = new Map<string, Publisher>();
    for (const p of all) {
      const holder = byKey.get(p.key);
      if (!holder) byKey.set(p.key, p);
      else if (holder.target !== p.target) {
        this.deps.events.record(namespace, p.externalSecret, 'Warning', 'PublishConflict',
          `target "${p.target}" maps to key "${p.key}" of ConfigMap ${PUBLISH_CONFIGMAP_NAME}, which target "${holder.target}" already uses; it is not published`);
      }
    }
    return [...byKey.values()];
  }

  private async publish(namespace: string): Promise<void> {
    const { api, versions, events, metrics } = this.deps;
    const publishers = this.publishers(namespace);
    for (let attempt = 1; ; attempt++) {
      const existing = await api.getConfigMap(namespace, PUBLISH_CONFIGMAP_NAME);
      if (existing && existing.metadata?.labels?.[LABEL_PUBLISHED_BY] !== PUBLISHED_BY) {
        for (const p of publishers) {
          events.record(namespace, p.externalSecret, 'Warning', 'PublishConflict', `ConfigMap ${PUBLISH_CONFIGMAP_NAME} exists and was not written by keyferry; it is left alone`);
        }
        return;
      }
      const before = existing?.data ?? {};
      // A publisher this process has not reconciled yet keeps the value it had: a key that
      // vanished would break every Flux substitution that uses it.
      const data: Record<string, string> = {};
      for (const p of publishers) {
        const value = versions.get(namespace, p.externalSecret)?.current ?? before[p.key];
        if (value !== undefined) data[p.key] = value;
      }
      const changed = publishers.filter((p) => data[p.key] !== undefined && data[p.key] !== before[p.key]);
      const removed = Object.keys(before).filter((k) => data[k] === undefined);
      if (changed.length === 0 && removed.length === 0) return;
      if (!existing && Object.keys(data).length === 0) return;
      try {
        if (existing) {
          await api.replaceConfigMap({ ...existing, data } as ConfigMapObject);
        } else if (!(await api.createConfigMap(this.configMap(namespace, data)))) {
          // Someone created it meanwhile: read it and decide again.
          continue;
        }
      } catch (e) {
        if (httpStatusOf(e) === 409 && attempt < MAX_CONFLICTS) {
          metrics.rollouts.inc({ kind: 'ConfigMap', outcome: 'conflict' });
          continue;
        }
        metrics.rollouts.inc({ kind: 'ConfigMap', outcome: httpStatusOf(e) === 409 ? 'conflict' : 'failed' });
        throw e;
      }
      metrics.rollouts.inc({ kind: 'ConfigMap', outcome: 'rolled' });
      for (const p of changed) events.record(namespace, p.externalSecret, 'Normal', 'Published', `${PUBLISH_CONFIGMAP_NAME}: ${p.key}=${data[p.key]}`);
      this.deps.logger.info({ namespace, configMap: PUBLISH_CONFIGMAP_NAME, changed: changed.map((p) => p.key), removed }, 'published versions');
      await this.requestReconciles(namespace, changed);
      return;
    }
  }

  private configMap(namespace: string, data: Record<string, string>): ConfigMapObject {
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: PUBLISH_CONFIGMAP_NAME, namespace, labels: { [LABEL_PUBLISHED_BY]: PUBLISHED_BY } }, data };
  }

  /** Each Flux Kustomization named by a changed ExternalSecret is asked once to reconcile. */
  private async requestReconciles(namespace: string, changed: Publisher[]): Promise<void> {
    const asked = new Map<string, string[]>();
    for (const p of changed) {
      const ref = this.deps.versions.get(namespace, p.externalSecret)?.fluxKustomization;
      if (!ref) continue;
      const key = `${ref.namespace}/${ref.name}`;
      asked.set(key, [...(asked.get(key) ?? []), p.externalSecret]);
    }
    const at = new Date(this.deps.timers.now()).toISOString();
    for (const [key, externalSecrets] of asked) {
      const [ksNamespace, ksName] = key.split('/') as [string, string];
      try {
        await this.deps.api.requestFluxReconcile(ksNamespace, ksName, at);
      } catch (e) {
        for (const es of externalSecrets) {
          this.deps.events.record(namespace, es, 'Warning', 'ReconcileRequestFailed', `could not set ${FLUX_RECONCILE_ANNOTATION} on Kustomization ${key}: ${describeKubeError(e)}`);
        }
      }
    }
  }
}
