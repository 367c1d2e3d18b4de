// How workloads consume versions (DESIGN §2), behind one object the controller holds: which
// versions are in use (retention), and what follows a reconcile that found the current version:
// the alias Secret, rollouts of followers (Patch) and the keyferry-versions ConfigMap (Publish).
// The reconciler calls `settle` and `forget`; everything else is driven by the caches.
import type { ClusterApi } from '../kube/cluster-api.js';
import type { InformerHandlers, ObjectStore } from '../kube/informer.js';
import type { KubeObject, SecretObject } from '../kube/kube-object.js';
import type { Timers } from '../queue/timer.js';
import type { InUseCheck } from '../versioning/retention.js';
import type { OwnerRef } from '../versioning/versioned-secret.js';
import type { ExternalSecretSpec } from '../api/index.js';
import { AliasSecrets } from './alias-secret.js';
import type { ConsumerEvents, ConsumerLogger } from './consumer-events.js';
import { CurrentVersions, consumerChange, type CurrentVersion } from './current-versions.js';
import type { DebounceOptions } from './debouncer.js';
import { FOLLOWABLE_KINDS, type ReferencingKindName, type ReferencingObject } from './referencing-kinds.js';
import { SecretReferenceIndex, type ReleaseListener } from './secret-reference-index.js';
import { VersionPublisher } from './version-publisher.js';
import { DEFAULT_ROLLOUT_DEBOUNCE, WorkloadRollouts } from './workload-rollouts.js';
import type { WorkloadMetrics } from './workload-metrics.js';

export interface Watched<T extends KubeObject> extends ObjectStore<T> {
  on(handlers: InformerHandlers<T>): void;
}

export interface VersionConsumersDeps {
  api: ClusterApi;
  externalSecrets: Watched<KubeObject>;
  managedSecrets: ObjectStore<SecretObject>;
  /** The referencing caches; a kind that is missing counts no references (and has no followers). */
  referencing: Partial<Record<ReferencingKindName, Watched<ReferencingObject>>>;
  events: ConsumerEvents;
  logger: ConsumerLogger;
  metrics: WorkloadMetrics;
  timers: Timers;
  /** How long a burst of new versions may last and still roll a workload, or publish, once. */
  debounce?: DebounceOptions;
}

/** What the ExternalSecret's Ready condition must say when a consumer could not be served. */
export interface ConsumerProblem {
  reason: string;
  message: string;
}

export interface SettleRequest {
  externalSecret: KubeObject & { spec?: ExternalSecretSpec };
  target: string;
  /** The current version, which the reconcile has seen exist. */
  current: string;
  /** Set with creationPolicy Owner. */
  owner?: OwnerRef;
}

const emptyStore: Watched<ReferencingObject> = { get: () => undefined, list: () => [], on: () => {} };

export class VersionConsumers {
  readonly references = new SecretReferenceIndex();
  readonly versions = new CurrentVersions();
  readonly rollouts: WorkloadRollouts;
  readonly publisher: VersionPublisher;
  readonly aliases: AliasSecrets;

  constructor(private readonly deps: VersionConsumersDeps) {
    const debounce = deps.debounce ?? DEFAULT_ROLLOUT_DEBOUNCE;
    const store = (kind: ReferencingKindName) => deps.referencing[kind] ?? emptyStore;
    this.rollouts = new WorkloadRollouts({
      api: deps.api, versions: this.versions, events: deps.events, logger: deps.logger, metrics: deps.metrics, timers: deps.timers, debounce,
      workloads: { Deployment: store('Deployment'), StatefulSet: store('StatefulSet'), DaemonSet: store('DaemonSet') },
    });
    this.publisher = new VersionPublisher({
      api: deps.api, externalSecrets: deps.externalSecrets, versions: this.versions, events: deps.events, logger: deps.logger,
      metrics: deps.metrics, timers: deps.timers, debounce,
    });
    this.aliases = new AliasSecrets({ api: deps.api, managedSecrets: deps.managedSecrets, metrics: deps.metrics });
    this.wire();
  }

  /** Retention's check: whether a Pod, pod template or ControllerRevision in `namespace` references a name. */
  inUse(namespace: string): InUseCheck {
    return this.references.inUse(namespace);
  }

  /** Called when the last reference to a Secret name in a namespace goes away. */
  onReleased(listener: ReleaseListener): void {
    this.references.onReleased(listener);
  }

  /**
   * After a reconcile found the current version: keeps the alias (when asked for) and tells
   * rollouts and publishing when the version or what the spec asks of consumers changed.
   */
  async settle(req: SettleRequest): Promise<ConsumerProblem | undefined> {
    const es = req.externalSecret;
    const namespace = es.metadata!.namespace!;
    const name = es.metadata!.name!;
    const versioning = es.spec?.target?.versioning ?? {};
    const flux = versioning.fluxKustomization;
    const record: CurrentVersion = {
      namespace, externalSecret: name, target: req.target, current: req.current,
      rollout: versioning.rollout ?? 'None', alias: versioning.alias ?? false,
      ...(flux ? { fluxKustomization: { name: flux.name, namespace: flux.namespace || namespace } } : {}),
    };
    const before = this.versions.set(record);
    if (consumerChange(before, record)) {
      if (record.rollout === 'Patch' || before?.rollout === 'Patch') this.rollouts.versionChanged(namespace, name);
      if (record.rollout === 'Publish' || before?.rollout === 'Publish') this.publisher.namespaceChanged(namespace);
    }
    if (record.alias) {
      const outcome = await this.aliases.ensure({ namespace, externalSecret: name, target: req.target, current: req.current, owner: req.owner });
      return outcome.ok ? undefined : { reason: outcome.reason, message: outcome.message };
    }
    // Alias turned off (or never on): an alias this ExternalSecret left behind goes.
    if (await this.aliases.remove(namespace, name, req.target).catch(() => false)) {
      this.deps.logger.info({ namespace, externalSecret: name, secretName: req.target }, 'deleted alias Secret');
    }
    return undefined;
  }

  /** The ExternalSecret is gone or has no current version any more. */
  forget(namespace: string, name: string): void {
    const before = this.versions.delete(namespace, name);
    if (before?.rollout === 'Publish') this.publisher.namespaceChanged(namespace);
  }

  async stop(): Promise<void> {
    await Promise.all([this.rollouts.stop(), this.publisher.stop()]);
  }

  private wire(): void {
    for (const [kind, cache] of Object.entries(this.deps.referencing) as Array<[ReferencingKindName, Watched<ReferencingObject>]>) {
      const followable = (FOLLOWABLE_KINDS as readonly string[]).includes(kind) ? (kind as (typeof FOLLOWABLE_KINDS)[number]) : undefined;
      cache.on({
        add: (obj) => {
          this.references.set(obj);
          if (followable) this.rollouts.workloadChanged(followable, obj, undefined);
        },
        update: (obj, old) => {
          this.references.set(obj);
          if (followable) this.rollouts.workloadChanged(followable, obj, old);
        },
        delete: (obj) => this.references.remove(obj),
      });
    }
    // An ExternalSecret that publishes and is deleted takes its key out of keyferry-versions.
    this.deps.externalSecrets.on({ delete: (es) => this.forget(es.metadata!.namespace!, es.metadata!.name!) });
  }
}
