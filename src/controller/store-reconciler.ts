// Reconciles a SecretStore or ClusterSecretStore: checks its provider block, connects,
// validates, and sets its Ready condition (Valid / InvalidProviderConfig / ValidationFailed).
// When its readiness or connection changes, the ExternalSecrets that use it are re-queued
// at once, so a store appearing does not wait for their backoff.
import { createHash } from 'node:crypto';
import {
  ConfigError, ambientCredentialsRefused, isProviderError, scrubErrorText,
  type Clock, type Provider, type ProviderDeps, type ProviderName, type SecretKeySelector,
} from '../../providers/contract/index.js';
import type { RemoteFetcher, StoreHandle } from '../fetch/remote-fetcher.js';
import type { ClusterApi } from '../kube/cluster-api.js';
import type { CredentialSecretSource } from '../kube/credential-secrets.js';
import { describeKubeError } from '../kube/api-error.js';
import type { OperatorMetrics } from '../metrics/operator-metrics.js';
import type { ReconcileResult } from '../queue/workers.js';
import { canonicalJson } from './canonical-json.js';
import { refsOutsideNamespace } from './credential-refs.js';
import { Reasons, findCondition, readyCondition } from './conditions.js';
import type { EventRecorder } from './events.js';
import { RetryLater, type ControllerLogger } from './external-secret-reconciler.js';
import { parseStoreKey, type StoreCaches } from './store-resolver.js';
import { TokenMintPolicy } from './token-mint-policy.js';
import { PatternError, compileUserPattern, isAnchored } from './user-pattern.js';
import { isDuration, parseDuration } from '../api/index.js';
import type { StoreRegistry, StoreState } from './store-registry.js';
import type { StoreResource } from './types.js';

export interface StoreReconcilerDeps {
  caches: StoreCaches;
  credentialSecrets: Pick<CredentialSecretSource, 'read'>;
  api: ClusterApi;
  providers: Partial<Record<ProviderName, Provider>>;
  stores: StoreRegistry;
  fetcher: RemoteFetcher;
  events: EventRecorder;
  metrics: OperatorMetrics;
  clock: Clock;
  logger: ControllerLogger;
  /** Re-queues the ExternalSecrets that use this store. */
  onStoreChanged(storeKey: string): void;
  /** How long a replaced client stays open for fetches already under way (default 60 s). */
  retireGraceMs?: number;
  /** Re-validation interval for a store whose `spec.refreshInterval` is empty or 0 (default 5 min, as ESO's). */
  defaultRefreshIntervalMs?: number;
  /**
   * Let namespaced SecretStores use the operator's own ambient credentials (SDK default
   * chains); off by default, as anyone who may create a SecretStore would borrow them.
   */
  allowAmbientCredentialsInSecretStores?: boolean;
  /** Which ServiceAccount tokens stores may have minted; without one, none (no TokenReview to check them). */
  tokenPolicy?: TokenMintPolicy;
  /** Sharded: which stores this replica connects and which it reports on; without it, all of both. */
  scope?: StoreScope;
}

/**
 * A sharded replica's share of the stores: it connects (and so validates) only the stores its
 * own ExternalSecrets use, and one replica, the store key's shard, validates each store whether
 * or not it uses it and alone writes its status and Events, so replicas do not write a store's
 * status in turn nor hold clients they never fetch through.
 */
export interface StoreScope {
  /** Whether an ExternalSecret this replica reconciles uses the store. */
  usedHere(key: string): boolean;
  /** Whether this replica writes the store's status. */
  reports(key: string): boolean;
}

/** Refuses every mint: no TokenReview can tell whether the API server accepts a token. */
const noTokenReview = new TokenMintPolicy({
  apiAudiences: [],
  review: () => Promise.reject(new Error('this operator has no TokenReview access configured')),
});

/** Resolves with `work`, or rejects with the signal's reason once it aborts; `late` gets a result that came too late. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, late: (value: T) => void): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      work.then(late, () => undefined);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { if (!signal.aborted) { signal.removeEventListener('abort', onAbort); resolve(v); } },
      (e: unknown) => { if (!signal.aborted) { signal.removeEventListener('abort', onAbort); reject(e); } },
    );
  });
}

/**
 * Warnings about a ClusterSecretStore's namespaceRegexes: one RE2 refuses admits no
 * namespace; one not anchored admits every namespace whose name merely contains a match
 * (External Secrets Operator's meaning, kept for compatibility).
 */
function namespaceRegexWarnings(store: StoreResource): string[] {
  const warnings: string[] = [];
  (store.spec?.conditions ?? []).forEach((c, i) => (c.namespaceRegexes ?? []).forEach((source, j) => {
    const field = `spec.conditions[${i}].namespaceRegexes[${j}]`;
    try {
      compileUserPattern(source);
    } catch (e) {
      if (e instanceof PatternError) warnings.push(`${field}: ${e.message}; it admits no namespace`);
      return;
    }
    if (!isAnchored(source)) {
      const example = /^[a-z0-9-]+$/.test(source) ? ` (for example "not${source}-x")` : '';
      const core = source.replace(/^\^/, '').replace(/(^|[^\\])\$$/, '$1');
      warnings.push(`${field} ${JSON.stringify(source)} is not anchored: it admits every namespace whose name contains a match${example}; write ${JSON.stringify(`^(${core})$`)} to admit only whole names`);
    }
  }));
  return warnings;
}

/** The operator's default for `spec.refreshInterval`, as External Secrets Operator's `--store-requeue-interval`. */
export const DEFAULT_STORE_REFRESH_INTERVAL_MS = 5 * 60_000;

function specHashOf(store: StoreResource): string {
  return createHash('sha256').update(canonicalJson(store.spec ?? {})).digest('hex').slice(0, 16);
}

export class StoreReconciler {
  /** Stores whose credentials changed: reconnect even though the spec did not. */
  private readonly stale = new Set<string>();
  private readonly retiring = new Map<StoreHandle, ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: StoreReconcilerDeps) {}

  /** Forces a reconnect at the next reconcile (a credential Secret changed). */
  invalidate(key: string): void {
    this.stale.add(key);
  }

  /** `signal` aborts connecting and validating when the reconcile has run too long (the worker's deadline). */
  async reconcile(key: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const { kind, namespace, name } = parseStoreKey(key);
    const store = (kind === 'SecretStore' ? this.deps.caches.secretStores.get(name, namespace) : this.deps.caches.clusterSecretStores.get(name)) as StoreResource | undefined;
    if (!store || store.metadata?.deletionTimestamp) {
      const old = this.deps.stores.delete(key);
      if (old) await this.release(old);
      this.deps.metrics.storeReady.remove({ kind, namespace: namespace ?? '', name });
      this.deps.onStoreChanged(key);
      return {};
    }
    const scope = this.deps.scope;
    const reports = !scope || scope.reports(key);
    if (!reports && !scope.usedHere(key)) {
      // Another replica's store: no client is held here, nothing is written. An ExternalSecret
      // of this shard that comes to use it queues it again (controller.ts).
      const old = this.deps.stores.delete(key);
      if (old) await this.release(old);
      this.deps.metrics.storeReady.remove({ kind, namespace: namespace ?? '', name });
      return {};
    }
    const specHash = specHashOf(store);
    const previous = this.deps.stores.get(key);
    const now = this.deps.clock.now();
    // ESO's spec.refreshInterval: a Ready store is validated again on that interval (empty or 0: the operator's default).
    const intervalText = store.spec?.refreshInterval;
    const parsed = intervalText && isDuration(intervalText) ? Math.round(parseDuration(intervalText)) : 0;
    const intervalMs = parsed > 0 ? Math.max(1000, parsed) : this.deps.defaultRefreshIntervalMs ?? DEFAULT_STORE_REFRESH_INTERVAL_MS;
    if (previous && previous.specHash === specHash && previous.ready && !this.stale.has(key)) {
      const validatedAt = previous.validatedAt ?? now;
      // Validated "in the future": the wall clock stepped back since. Validate again now rather
      // than wait out the step (a store is validated once more; that is all a step costs).
      const dueAt = validatedAt > now ? now : validatedAt + intervalMs;
      if (now < dueAt) {
        if (reports) await this.writeStatus(kind, store, previous);
        return { requeueAfter: dueAt - now };
      }
      const revalidated = await this.revalidate(store, previous, now, signal);
      if (revalidated.ready) {
        // The same client: ExternalSecrets see no change of store, so nothing is fetched again.
        this.deps.stores.set(key, revalidated);
        if (reports) await this.writeStatus(kind, store, revalidated);
        return { requeueAfter: intervalMs };
      }
    }
    this.stale.delete(key);
    const state = await this.evaluate(key, kind, store, specHash, signal);
    const replaced = this.deps.stores.set(key, state);
    // A new client for the same spec (its credentials changed) keeps the handle id: calls in
    // flight through the old client are let finish (it closes after the grace period).
    if (replaced) await this.release(replaced, { abortCalls: replaced.id !== state.handle?.id });
    this.deps.metrics.storeReady.set({ kind, namespace: namespace ?? '', name }, state.ready ? 1 : 0);
    // Dependents first: they read the registry, not the status, so a failing status write must not hold them up.
    if (!previous || previous.ready !== state.ready || previous.handle !== state.handle) this.deps.onStoreChanged(key);
    if (reports) await this.writeStatus(kind, store, state);
    // A failed validation may be the remote side being down: retry with backoff. A bad
    // config waits for a spec change (or a credential Secret appearing).
    if (!state.ready && state.reason === Reasons.ValidationFailed) throw new RetryLater(state.message);
    return state.ready ? { requeueAfter: intervalMs } : {};
  }

  /** Validates a Ready store again with its current client; a failure is handled as a fresh evaluation would. */
  private async revalidate(store: StoreResource, state: StoreState, now: number, signal?: AbortSignal): Promise<StoreState> {
    try {
      const validation = await untilAborted(state.handle!.client.validate({ signal }), signal, () => undefined);
      const allWarnings = [...validation.warnings, ...namespaceRegexWarnings(store)];
      const warnings = allWarnings.length ? `; warnings: ${allWarnings.join('; ')}` : '';
      return { ...state, message: `store validated${warnings}`, validatedAt: now };
    } catch {
      return { ...state, ready: false };
    }
  }

  /**
   * Retires a replaced client. ExternalSecret reconciles that picked it up before the swap may
   * still be fetching through it, so it is closed after a grace period, not at once.
   */
  private async release(handle: StoreHandle, options: { abortCalls: boolean } = { abortCalls: true }): Promise<void> {
    this.deps.fetcher.forgetStore(handle.id, options);
    const timer = setTimeout(() => {
      this.retiring.delete(handle);
      void handle.client.close().catch(() => undefined);
    }, this.deps.retireGraceMs ?? 60_000);
    timer.unref();
    this.retiring.set(handle, timer);
  }

  /** Closes retired clients now (on shutdown). */
  async closeRetired(): Promise<void> {
    const handles = [...this.retiring];
    this.retiring.clear();
    await Promise.all(handles.map(async ([handle, timer]) => {
      clearTimeout(timer);
      await handle.client.close().catch(() => undefined);
    }));
  }

  private async evaluate(key: string, kind: 'SecretStore' | 'ClusterSecretStore', store: StoreResource, specHash: string, signal?: AbortSignal): Promise<StoreState> {
    const invalid = (message: string): StoreState => ({ specHash, ready: false, reason: Reasons.InvalidProviderConfig, message });
    const blocks = Object.entries(store.spec?.provider ?? {}).filter(([, v]) => v !== undefined && v !== null);
    if (blocks.length !== 1) return invalid(`spec.provider: exactly one provider must be set, found ${blocks.length}`);
    const [providerName, config] = blocks[0]!;
    const provider = this.deps.providers[providerName as ProviderName];
    if (!provider) return invalid(`spec.provider.${providerName}: provider "${providerName}" is not available in this build`);
    const identity = { kind, name: store.metadata!.name!, namespace: store.metadata?.namespace };
    // Refused before anything is read: a SecretStore's references resolve only in its own namespace.
    const outside = kind === 'SecretStore' ? refsOutsideNamespace(store.spec?.provider, identity.namespace!) : [];
    if (outside.length > 0) {
      return invalid(outside.map((field) => `${field}: a SecretStore may only reference objects in its own namespace; leave the namespace out, or use a ClusterSecretStore`).join('; '));
    }
    const issues = provider.validateConfig(config, identity);
    if (issues.length > 0) return invalid(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    const allowAmbient = kind === 'ClusterSecretStore' || this.deps.allowAmbientCredentialsInSecretStores === true;
    const ambient = provider.ambientCredentials(config);
    if (ambient && !allowAmbient) {
      return invalid(`${ambientCredentialsRefused(`spec.provider.${providerName}`, ambient).message} (the operator flag --allow-ambient-credentials-in-secretstores allows it)`);
    }

    const label = identity.namespace ? `${identity.namespace}/${identity.name}` : identity.name;
    const rl = store.spec?.rateLimit ?? {};
    let client;
    try {
      const deps = this.providerDeps(identity, provider.name, label, { resource: store, allowAmbient });
      // Neither a slow endpoint nor a tarpit holds a store worker past the deadline; a client
      // that connects too late is closed.
      client = await untilAborted(provider.connect(config, deps), signal, (late) => void late.close().catch(() => undefined));
      const validation = await untilAborted(client.validate({ signal }), signal, () => undefined);
      const endpoint = provider.endpointIdentity(config, identity);
      const handle: StoreHandle = {
        id: `${key}#${specHash}`,
        label,
        provider: provider.name,
        // A namespace's SecretStores share budgets with each other only: a tenant cannot set
        // (or spend) the budget of an endpoint that another namespace's stores use.
        endpoint: kind === 'SecretStore' ? `${identity.namespace}|${endpoint}` : endpoint,
        client,
        rateLimit: {
          requestsPerSecond: rl.requestsPerSecond ?? provider.defaultRateLimit.requestsPerSecond,
          burst: rl.burst ?? provider.defaultRateLimit.burst,
          maxConcurrent: rl.maxConcurrent ?? provider.defaultRateLimit.maxConcurrent,
        },
      };
      const allWarnings = [...validation.warnings, ...namespaceRegexWarnings(store)];
      const warnings = allWarnings.length ? `; warnings: ${allWarnings.join('; ')}` : '';
      return { specHash, ready: true, reason: Reasons.Valid, message: `store validated${warnings}`, handle, validatedAt: this.deps.clock.now() };
    } catch (e) {
      await client?.close().catch(() => undefined);
      const message = isProviderError(e) ? `${e.kind}: ${e.message}` : `validation failed: ${scrubErrorText(e instanceof Error ? e.message : String(e))}`;
      const reason = isProviderError(e) && e.kind === 'Config' ? Reasons.InvalidProviderConfig : Reasons.ValidationFailed;
      return { specHash, ready: false, reason, message };
    }
  }

  private providerDeps(store: ProviderDeps['store'], provider: ProviderName, label: string, context: { resource: StoreResource; allowAmbient: boolean }): ProviderDeps {
    const { api, metrics, credentialSecrets, clock } = this.deps;
    const tokenPolicy = this.deps.tokenPolicy ?? noTokenReview;
    const namespaceFor = (ref: SecretKeySelector): string => {
      if (store.kind === 'SecretStore') return store.namespace!;
      if (!ref.namespace) throw new ConfigError(`credential reference "${ref.name}" of a ClusterSecretStore must name a namespace`, { reason: 'MissingNamespace' });
      return ref.namespace;
    };
    return {
      store,
      allowAmbientCredentials: context.allowAmbient,
      clock,
      logger: this.deps.logger,
      observer: {
        observe: (call) => {
          metrics.providerApiCalls.inc({ provider, call: call.operation, status: call.status ?? call.outcome });
          metrics.providerRequestDuration.observe({ provider, store: label, operation: call.operation, outcome: call.outcome }, call.durationMs / 1000);
        },
      },
      readSecret: async (ref) => {
        const namespace = namespaceFor(ref);
        let secret;
        try {
          secret = await credentialSecrets.read(namespace, ref.name, ref.key);
        } catch (e) {
          throw new ConfigError(`could not read credential Secret "${namespace}/${ref.name}": ${describeKubeError(e)}`, { reason: 'CredentialSecretUnreadable' });
        }
        if (!secret) throw new ConfigError(`credential Secret "${namespace}/${ref.name}" not found`, { reason: 'CredentialSecretNotFound' });
        const value = secret.data?.[ref.key];
        if (value === undefined) throw new ConfigError(`credential Secret "${namespace}/${ref.name}" has no key "${ref.key}"`, { reason: 'CredentialKeyNotFound' });
        return Buffer.from(value, 'base64');
      },
      readConfigMap: async (ref) => {
        const namespace = namespaceFor(ref);
        const cm = await api.getConfigMap(namespace, ref.name);
        const value = cm?.data?.[ref.key];
        if (value === undefined) throw new ConfigError(`ConfigMap "${namespace}/${ref.name}" has no key "${ref.key}"`, { reason: 'ConfigMapKeyNotFound' });
        return value;
      },
      mintServiceAccountToken: async (ref, options) => {
        const namespace = store.kind === 'SecretStore' ? store.namespace! : ref.namespace;
        if (!namespace) throw new ConfigError(`serviceAccountRef "${ref.name}" of a ClusterSecretStore must name a namespace`, { reason: 'MissingNamespace' });
        const minted = await tokenPolicy.mint(
          { namespace, name: ref.name, audiences: options?.audiences ?? ref.audiences, expirationSeconds: options?.expirationSeconds },
          (ns, name, o) => api.createServiceAccountToken(ns, name, o),
        );
        // Every token minted for a store is on record where its owner looks.
        this.deps.events.record(store.kind, context.resource, 'Normal', 'TokenMinted',
          `minted a token for ServiceAccount "${namespace}/${ref.name}" with audiences ${JSON.stringify(minted.audiences)}, valid ${minted.expirationSeconds} s`);
        return { token: minted.token, expiresAt: minted.expiresAt };
      },
    };
  }

  private async writeStatus(kind: 'SecretStore' | 'ClusterSecretStore', store: StoreResource, state: StoreState): Promise<void> {
    const previous = findCondition(store.status?.conditions);
    const condition = readyCondition(state.ready, state.reason, scrubErrorText(state.message), previous, new Date(this.deps.clock.now()));
    if (previous && previous.status === condition.status && previous.reason === condition.reason && previous.message === condition.message) return;
    await this.deps.api.patchStatus({ kind, namespace: store.metadata?.namespace, name: store.metadata!.name! }, { conditions: [condition] });
    this.deps.events.record(kind, store, state.ready ? 'Normal' : 'Warning', state.reason, condition.message ?? state.reason);
  }
}

