// Wires caches to work queues and reconcilers: which change re-queues what (DESIGN §3).
// ExternalSecrets and stores have their own queues and workers, so a slow store check
// never holds up ExternalSecret syncs.
import { scrubErrorText, type Clock, type Provider, type ProviderName } from '../../providers/contract/index.js';
import { describeKubeError } from '../kube/api-error.js';
import type { RemoteFetcher } from '../fetch/remote-fetcher.js';
import type { ClusterApi } from '../kube/cluster-api.js';
import type { InformerHandlers, ObjectStore } from '../kube/informer.js';
import { objectKey, splitKey, type KubeObject, type SecretObject } from '../kube/kube-object.js';
import type { CredentialReference, CredentialSecretSource } from '../kube/credential-secrets.js';
import type { OperatorMetrics } from '../metrics/operator-metrics.js';
import { WorkQueue } from '../queue/work-queue.js';
import { runWorkers } from '../queue/workers.js';
import { systemTimers, type Timers } from '../queue/timer.js';
import type { InUseCheck } from '../versioning/retention.js';
import { credentialRefs } from './credential-refs.js';
import { EventRecorder } from './events.js';
import { ExternalSecretReconciler, RetryLater, type ControllerLogger } from './external-secret-reconciler.js';
import { ManagedSecretIndex, ownerKeyOf } from './managed-secret-index.js';
import { StoreReconciler } from './store-reconciler.js';
import { ClusterExternalSecretReconciler } from './cluster-external-secret-reconciler.js';
import type { ExternalSecretWriter } from '../kube/external-secret-writer.js';
import { LABEL_CLUSTER_EXTERNAL_SECRET } from '../api/constants.js';
import { StoreRegistry } from './store-registry.js';
import type { TokenMintPolicy } from './token-mint-policy.js';
import { parseStoreKey, storeKey, storeKeyOf } from './store-resolver.js';
import { ownsGroup, type Shard } from './shard.js';
import { ShardView } from './shard-view.js';
import { claimsInCluster } from './target-owner.js';
import { findCondition } from './conditions.js';
import type { ExternalSecretResource, StoreResource } from './types.js';
import { VersionConsumers } from '../workloads/version-consumers.js';
import { WorkloadMetrics } from '../workloads/workload-metrics.js';
import { aliasOwnerKey } from '../workloads/alias-secret.js';
import type { DebounceOptions } from '../workloads/debouncer.js';
import type { ReferencingKindName, ReferencingObject } from '../workloads/referencing-kinds.js';

export interface WatchedStore<T extends KubeObject> extends ObjectStore<T> {
  on(handlers: InformerHandlers<T>): void;
}

/** The managed-Secret cache: sharded, it can be listed again when an ExternalSecret moves into this shard. */
export interface ManagedSecretStore extends WatchedStore<SecretObject> {
  /** Lists again, judging every object anew; resolves once a list started after the call is applied. */
  relist?(): Promise<void>;
}

export interface ControllerCaches {
  externalSecrets: WatchedStore<KubeObject>;
  secretStores: WatchedStore<KubeObject>;
  clusterSecretStores: WatchedStore<KubeObject>;
  managedSecrets: ManagedSecretStore;
  /** The Secrets stores reference, read by name and watched one by one while referenced. */
  credentialSecrets: CredentialSecretSource;
  namespaces: WatchedStore<KubeObject>;
  /** ClusterExternalSecrets; without it (or without `externalSecretWriter`) they are not reconciled. */
  clusterExternalSecrets?: WatchedStore<KubeObject>;
  /** Pods, workloads and ControllerRevisions reduced to the Secret names they reference (retention, rollouts). */
  referencing?: Partial<Record<ReferencingKindName, WatchedStore<ReferencingObject>>>;
}

export interface ControllerDeps {
  caches: ControllerCaches;
  api: ClusterApi;
  providers: Partial<Record<ProviderName, Provider>>;
  fetcher: RemoteFetcher;
  metrics: OperatorMetrics;
  clock: Clock;
  logger: ControllerLogger;
  concurrency: number;
  timers?: Timers;
  /** Backoff for failed keys; defaults 1 s doubling to 5 min, so a broken spec never spins. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  inUse?: (namespace: string) => InUseCheck;
  /** How long a burst of new versions may last and still roll a workload, or publish, once (default 5 s quiet, 30 s at most). */
  rolloutDebounce?: DebounceOptions;
  /** The key version names are an HMAC under (versioning/version-key.ts). */
  versionKey: Buffer;
  /** This replica's share of the ExternalSecrets; all of them when not given. */
  shard?: Shard;
  /** How long one reconcile may hold a worker before what it waits on is given up (default 30 s). */
  reconcileTimeoutMs?: number;
  /** Let namespaced SecretStores use the operator's ambient credentials (default: only ClusterSecretStores). */
  allowAmbientCredentialsInSecretStores?: boolean;
  /** Which ServiceAccount tokens stores may have minted; without one, none. */
  tokenPolicy?: TokenMintPolicy;
  /** Writes the ExternalSecrets of ClusterExternalSecrets. */
  externalSecretWriter?: ExternalSecretWriter;
}

const specChanged = (obj: KubeObject, old: KubeObject | undefined): boolean =>
  !old
  || obj.metadata?.generation !== old.metadata?.generation
  || obj.metadata?.deletionTimestamp !== old.metadata?.deletionTimestamp
  || JSON.stringify(obj.metadata?.labels ?? {}) !== JSON.stringify(old.metadata?.labels ?? {})
  || JSON.stringify(obj.metadata?.annotations ?? {}) !== JSON.stringify(old.metadata?.annotations ?? {});

/**
 * The Secret keys a store's provider block references, each in the namespace it resolves in:
 * a SecretStore's own, the one a ClusterSecretStore's reference names (none: not resolvable).
 */
function secretRefsOf(store: StoreResource, kind: 'SecretStore' | 'ClusterSecretStore'): CredentialReference[] {
  const out: CredentialReference[] = [];
  for (const r of credentialRefs(store.spec?.provider)) {
    const namespace = kind === 'SecretStore' ? store.metadata?.namespace : r.namespace;
    if (r.configMap || r.key === undefined || !namespace) continue;
    out.push({ namespace, name: r.name, key: r.key });
  }
  return out;
}

export class Controller {
  readonly externalSecretQueue: WorkQueue;
  readonly storeQueue: WorkQueue;
  readonly managed = new ManagedSecretIndex();
  readonly stores = new StoreRegistry();
  readonly externalSecrets: ExternalSecretReconciler;
  readonly storeReconciler: StoreReconciler;
  /** ClusterExternalSecrets, on shard 0 only (see ownsClusterExternalSecrets). */
  readonly clusterExternalSecretQueue?: WorkQueue;
  readonly clusterExternalSecrets?: ClusterExternalSecretReconciler;
  /** How workloads consume versions: what is in use, the alias, rollouts, publishing (src/workloads). */
  readonly consumers: VersionConsumers;
  private running?: Promise<void>;
  private readonly shardView: ShardView;
  private get storeWorkers(): number {
    return Math.max(1, Math.min(2, this.deps.concurrency));
  }

  constructor(private readonly deps: ControllerDeps) {
    const { metrics } = deps;
    this.shardView = new ShardView(deps.shard);
    // Fair between namespaces (tenants): one namespace may hold at most half the workers while
    // another has work waiting. Keys are `<namespace>/<name>` and `<Kind>/<namespace>/<name>`.
    const queueOptions = (queue: string, workers: number, groupOf: (key: string) => string) => ({
      timers: deps.timers,
      baseDelayMs: deps.retryBaseMs ?? 1000,
      maxDelayMs: deps.retryMaxMs ?? 300_000,
      observer: { depth: (n: number) => metrics.queueDepth.set({ queue }, n), retry: () => metrics.queueRetries.inc({ queue }) },
      groupOf,
      maxInFlightPerGroup: Math.ceil(workers / 2),
    });
    this.externalSecretQueue = new WorkQueue(queueOptions('externalsecrets', deps.concurrency, (key) => splitKey(key).namespace ?? ''));
    this.storeQueue = new WorkQueue(queueOptions('stores', this.storeWorkers, (key) => parseStoreKey(key).namespace ?? ''));
    const events = new EventRecorder(deps.api, deps.logger);
    this.consumers = new VersionConsumers({
      api: deps.api, externalSecrets: deps.caches.externalSecrets, managedSecrets: deps.caches.managedSecrets, referencing: deps.caches.referencing ?? {},
      events: { record: (ns, name, type, reason, message) => { const es = deps.caches.externalSecrets.get(name, ns); if (es) events.record('ExternalSecret', es, type, reason, message); } },
      logger: deps.logger, metrics: new WorkloadMetrics(metrics.registry), timers: deps.timers ?? systemTimers, debounce: deps.rolloutDebounce,
    });
    const storeCaches = { secretStores: deps.caches.secretStores, clusterSecretStores: deps.caches.clusterSecretStores, namespaces: deps.caches.namespaces };
    this.externalSecrets = new ExternalSecretReconciler({
      externalSecrets: deps.caches.externalSecrets, storeCaches, managed: this.managed, stores: this.stores, api: deps.api,
      fetcher: deps.fetcher, events, metrics, clock: deps.clock, monotonic: () => (deps.timers ?? systemTimers).now(), logger: deps.logger, inUse: deps.inUse ?? ((ns) => this.consumers.inUse(ns)), consumers: this.consumers, versionKey: deps.versionKey,
      claimsElsewhere: this.shardView.sharded ? claimsInCluster(deps.api, (es) => this.shardView.owns(es)) : undefined,
    });
    this.storeReconciler = new StoreReconciler({
      caches: storeCaches, credentialSecrets: deps.caches.credentialSecrets, api: deps.api, providers: deps.providers, stores: this.stores,
      fetcher: deps.fetcher, events, metrics, clock: deps.clock, logger: deps.logger,
      onStoreChanged: (key) => this.enqueueDependents(key),
      allowAmbientCredentialsInSecretStores: deps.allowAmbientCredentialsInSecretStores, tokenPolicy: deps.tokenPolicy,
      scope: this.shardView.sharded ? { usedHere: (key) => this.usesStore(key), reports: (key) => ownsGroup(deps.shard, key) } : undefined,
    });
    const cesCache = deps.caches.clusterExternalSecrets;
    if (cesCache && deps.externalSecretWriter && this.ownsClusterExternalSecrets) {
      this.clusterExternalSecretQueue = new WorkQueue(queueOptions('clusterexternalsecrets', 1, () => ''));
      this.clusterExternalSecrets = new ClusterExternalSecretReconciler({
        clusterExternalSecrets: cesCache, externalSecrets: deps.caches.externalSecrets, namespaces: deps.caches.namespaces,
        writer: deps.externalSecretWriter, api: deps.api, events, clock: deps.clock,
      });
    }
    this.wire();
    // A handle id is `<store key>#<spec hash>` (store reconciler).
    deps.fetcher.onStoreRecovered?.((storeId) => this.enqueueDependents(storeId.slice(0, storeId.lastIndexOf('#')), { onlyNotReady: true }));
  }

  /** Whether this replica reconciles the ExternalSecret `key` (see shard.ts). */
  owns(key: string, obj?: KubeObject): boolean {
    if (!this.shardView.sharded) return true;
    const { name, namespace } = splitKey(key);
    const es = obj ?? this.deps.caches.externalSecrets.get(name, namespace);
    // A deleted one is only forgotten; any replica may do that.
    return !es || this.shardView.owns(es as ExternalSecretResource);
  }

  /**
   * Lists the managed Secrets again so that the versions of ExternalSecrets that just moved
   * into this shard, which the cache dropped while another shard owned them, are cached.
   */
  private relistManagedSecrets(): Promise<void> {
    return this.deps.caches.managedSecrets.relist?.() ?? Promise.resolve();
  }

  /**
   * ClusterExternalSecrets are few and writing their ExternalSecrets is cheap, so with
   * --shard-count > 1 shard 0 alone reconciles them; the ExternalSecrets they write are
   * sharded like any other.
   */
  get ownsClusterExternalSecrets(): boolean {
    return !this.deps.shard || this.deps.shard.count <= 1 || this.deps.shard.index === 0;
  }

  /**
   * Re-queues every ExternalSecret that uses the store `key`; with `onlyNotReady`, those
   * whose last sync failed (a provider outage is over: no need to touch the healthy ones).
   */
  enqueueDependents(key: string, options: { onlyNotReady?: boolean } = {}): void {
    const { kind, namespace, name } = parseStoreKey(key);
    for (const obj of this.deps.caches.externalSecrets.list(kind === 'SecretStore' ? namespace : undefined)) {
      const es = obj as ExternalSecretResource;
      const ref = es.spec?.secretStoreRef;
      if ((ref?.kind ?? 'SecretStore') !== kind || ref?.name !== name) continue;
      if (options.onlyNotReady && findCondition(es.status?.conditions)?.status === 'True') continue;
      this.enqueueExternalSecret(objectKey(obj), obj);
    }
  }

  private enqueueExternalSecret(key: string, obj?: KubeObject): void {
    if (!this.owns(key, obj)) return;
    this.externalSecretQueue.add(key);
    // Sharded, a store is connected only where it is used: the first user here connects it.
    // Until then the ExternalSecret's reconcile waits for the store (no status is written).
    if (!this.shardView.sharded) return;
    const { name, namespace } = splitKey(key);
    const es = (obj ?? this.deps.caches.externalSecrets.get(name, namespace)) as ExternalSecretResource | undefined;
    const store = es && storeKeyOf(es);
    // Only a store that exists: a missing one re-queues its dependents, which would queue it again.
    if (store && !this.stores.get(store) && this.storeExists(store)) this.storeQueue.add(store);
  }

  private storeExists(key: string): boolean {
    const { kind, namespace, name } = parseStoreKey(key);
    return !!(kind === 'SecretStore' ? this.deps.caches.secretStores.get(name, namespace) : this.deps.caches.clusterSecretStores.get(name));
  }

  /** Whether an ExternalSecret this replica reconciles uses the store `key`. */
  private usesStore(key: string): boolean {
    const { kind, namespace } = parseStoreKey(key);
    return this.deps.caches.externalSecrets.list(kind === 'SecretStore' ? namespace : undefined)
      .some((obj) => storeKeyOf(obj as ExternalSecretResource) === key && this.shardView.owns(obj as ExternalSecretResource));
  }

  private wire(): void {
    const { caches } = this.deps;
    const esQueue = this.externalSecretQueue;
    const enqueue = (obj: KubeObject) => this.enqueueExternalSecret(objectKey(obj), obj);
    caches.externalSecrets.on({
      add: enqueue,
      update: (obj, old) => {
        if (!specChanged(obj, old)) return;
        // Moved into this shard: its versions are cached once the managed Secrets are listed again.
        const movedIn = this.shardView.sharded && !!old && !this.shardView.owns(old as ExternalSecretResource) && this.shardView.owns(obj as ExternalSecretResource);
        if (!movedIn) enqueue(obj);
        else {
          this.relistManagedSecrets().then(() => enqueue(obj), (error: unknown) => {
            this.deps.logger.warn({ externalSecret: objectKey(obj), error: scrubErrorText(describeKubeError(error)) }, 'could not list managed Secrets again after a shard move; its older versions are pruned once they are listed');
            enqueue(obj);
          });
        }
      },
      // Whichever replica owned it forgets it.
      delete: (obj) => esQueue.add(objectKey(obj)),
    });
    const storeHandlers = (kind: 'SecretStore' | 'ClusterSecretStore'): InformerHandlers<KubeObject> => {
      const key = (o: KubeObject) => storeKey(kind, o.metadata!.name!, o.metadata?.namespace);
      // The credential Secrets a store references are watched while it references them.
      const track = (o: KubeObject) => caches.credentialSecrets.track(key(o), secretRefsOf(o as StoreResource, kind));
      return {
        add: (obj) => { track(obj); this.storeQueue.add(key(obj)); },
        update: (obj, old) => { track(obj); if (specChanged(obj, old)) this.storeQueue.add(key(obj)); },
        delete: (obj) => { caches.credentialSecrets.track(key(obj), []); this.storeQueue.add(key(obj)); },
      };
    };
    caches.secretStores.on(storeHandlers('SecretStore'));
    caches.clusterSecretStores.on(storeHandlers('ClusterSecretStore'));
    caches.managedSecrets.on({
      add: (s) => this.managed.upsert(s),
      update: (s) => this.managed.upsert(s),
      // A version deleted behind keyferry's back may have been the current one.
      delete: (s) => {
        this.managed.remove(s);
        // An alias deleted behind keyferry's back is written again.
        const owner = ownerKeyOf(s) ?? aliasOwnerKey(s);
        if (owner) this.enqueueExternalSecret(owner);
      },
    });
    // The last reference to a version went away: its ExternalSecret prunes it now, not at its next refresh.
    this.consumers.onReleased((namespace, secretName) => {
      const secret = caches.managedSecrets.get(secretName, namespace);
      const owner = secret && ownerKeyOf(secret);
      if (owner) this.enqueueExternalSecret(owner);
    });
    caches.credentialSecrets.onChange((namespace, name) => this.credentialSecretChanged(namespace, name));
    this.wireClusterExternalSecrets();
    caches.namespaces.on({
      update: (ns, old) => {
        if (JSON.stringify(ns.metadata?.labels ?? {}) === JSON.stringify(old?.metadata?.labels ?? {})) return;
        for (const es of caches.externalSecrets.list(ns.metadata?.name)) {
          if ((es as ExternalSecretResource).spec?.secretStoreRef?.kind === 'ClusterSecretStore') enqueue(es);
        }
      },
    });
  }

  /** A ClusterExternalSecret, any namespace change, and a change to an ExternalSecret one wrote re-queue it. */
  private wireClusterExternalSecrets(): void {
    const queue = this.clusterExternalSecretQueue;
    const cesCache = this.deps.caches.clusterExternalSecrets;
    if (!queue || !cesCache) return;
    const enqueue = (obj: KubeObject) => queue.add(obj.metadata!.name!);
    cesCache.on({ add: enqueue, update: (obj, old) => { if (specChanged(obj, old)) enqueue(obj); }, delete: enqueue });
    const all = () => { for (const ces of cesCache.list()) enqueue(ces); };
    this.deps.caches.namespaces.on({
      add: all,
      update: (ns, old) => {
        if (JSON.stringify(ns.metadata?.labels ?? {}) !== JSON.stringify(old?.metadata?.labels ?? {}) || ns.metadata?.deletionTimestamp !== old?.metadata?.deletionTimestamp) all();
      },
      delete: all,
    });
    const written = (es: KubeObject) => { const owner = es.metadata?.labels?.[LABEL_CLUSTER_EXTERNAL_SECRET]; if (owner) queue.add(owner); };
    this.deps.caches.externalSecrets.on({ add: written, update: (es, old) => { if (specChanged(es, old)) written(es); }, delete: written });
  }

  private credentialSecretChanged(namespace: string, name: string): void {
    const refers = (store: StoreResource, ownNamespace?: string) =>
      credentialRefs(store.spec?.provider).some((r) => r.name === name && (ownNamespace ?? r.namespace) === namespace);
    for (const s of this.deps.caches.secretStores.list(namespace)) {
      if (refers(s as StoreResource, namespace)) this.requeueStore(storeKey('SecretStore', s.metadata!.name!, namespace));
    }
    for (const s of this.deps.caches.clusterSecretStores.list()) {
      if (refers(s as StoreResource)) this.requeueStore(storeKey('ClusterSecretStore', s.metadata!.name!));
    }
  }

  private requeueStore(key: string): void {
    this.storeReconciler.invalidate(key);
    this.storeQueue.add(key);
  }

  /** Starts the workers; call once the caches have synced. */
  start(): void {
    const log = (kind: string) => (key: string, error: unknown, retryInMs: number) => {
      const message = error instanceof RetryLater ? error.message : scrubErrorText(describeKubeError(error));
      if (error instanceof RetryLater) this.deps.logger.debug({ [kind]: key, retryInMs, reason: message }, 'will retry');
      else this.deps.logger.warn({ [kind]: key, retryInMs, error: message }, 'reconcile failed; will retry');
    };
    const worker = { deadlineMs: this.reconcileTimeoutMs, timers: this.deps.timers };
    this.running = Promise.all([
      // A spec change can move an ExternalSecret to another shard; its old owner drops it.
      runWorkers(this.externalSecretQueue, this.deps.concurrency, (key, { signal }) => (this.owns(key) ? this.externalSecrets.reconcile(key, signal) : Promise.resolve(this.externalSecrets.forget(key))), { ...worker, onError: log('externalSecret') }),
      runWorkers(this.storeQueue, this.storeWorkers, (key, { signal }) => this.storeReconciler.reconcile(key, signal), { ...worker, onError: log('store') }),
      ...(this.clusterExternalSecretQueue && this.clusterExternalSecrets ? [runWorkers(this.clusterExternalSecretQueue, 1, (key) => this.clusterExternalSecrets!.reconcile(key), { ...worker, onError: log('clusterExternalSecret') })] : []),
    ]).then(() => undefined);
  }

  private get reconcileTimeoutMs(): number {
    return this.deps.reconcileTimeoutMs ?? 30_000;
  }

  /**
   * Names of the work queues that have had keys waiting, with no reconcile finishing, for
   * longer than `afterMs` (default: twice the reconcile timeout) while workers run: every
   * worker is held by something that no deadline ends. For /readyz.
   */
  stalledQueues(afterMs = 2 * this.reconcileTimeoutMs): string[] {
    if (!this.running) return [];
    const queues: Array<[string, WorkQueue]> = [['externalsecrets', this.externalSecretQueue], ['stores', this.storeQueue]];
    if (this.clusterExternalSecretQueue) queues.push(['clusterexternalsecrets', this.clusterExternalSecretQueue]);
    return queues.filter(([, q]) => q.stalledForMs() > afterMs).map(([name, q]) => `${name} work queue (${q.length} waiting, none finished in ${Math.round(q.stalledForMs() / 1000)} s)`);
  }

  /**
   * Stops taking work and resolves once in-flight reconciles are done, or after `graceMs`
   * (whichever is first: what is still running then is abandoned); closes store clients.
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    const drained = Promise.all([this.externalSecretQueue.shutDown(), this.storeQueue.shutDown(), this.clusterExternalSecretQueue?.shutDown()]).then(() => this.running);
    if (Number.isFinite(graceMs)) {
      const timers = this.deps.timers ?? systemTimers;
      let timer: unknown;
      const graceOver = new Promise<void>((resolve) => { timer = timers.setTimeout(resolve, graceMs); });
      await Promise.race([drained, graceOver]);
      timers.clearTimeout(timer);
    } else {
      await drained;
    }
    await this.consumers.stop();
    await this.storeReconciler.closeRetired();
    await Promise.all(this.stores.handles().map((h) => h.client.close().catch(() => undefined)));
  }
}
