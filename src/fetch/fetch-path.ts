// The fetch path (DESIGN §5): every provider call of the controller goes through here.
//
//   cache (unless `fresh`) → single-flight → batcher → retry → breaker → limiter → client
//
// The cache is read before joining a flight so a hit costs nothing, and written when a
// flight lands. Retry wraps the breaker and the limiter so that every attempt takes its
// own token (retries count against the budget) and an open circuit fails fast without
// spending one. Merging, caching and batching can each be switched off; with all three
// off this is one provider call per fetch, as operators without a fetch path do.
import { setMaxListeners } from 'node:events';
import type { Registry } from 'prom-client';
import {
  ConfigError,
  isProviderError,
  isThrottled,
  UnavailableError,
  type FindQuery,
  type ProviderError,
  type RemoteRef,
  type RemoteSecret,
} from '../../providers/contract/index.js';
import { Batcher } from './batcher.js';
import { FetchCache } from './fetch-cache.js';
import { systemFetchClock, type FetchClock } from './fetch-clock.js';
import { FetchMetrics } from './fetch-metrics.js';
import { EndpointLimiters, type EndpointLimitersOptions } from './endpoint-limiters.js';
import { isPinnedVersion } from './pinned-version.js';
import { ReadRhythms, type DueRead } from './read-rhythms.js';
import { STORE_REMOVED_REASON, type FetchOptions, type RemoteFetcher, type StoreHandle } from './remote-fetcher.js';
import { createRetryPolicy, defaultRetryOptions, type RetryOptions } from './retry-policy.js';
import { SingleFlight } from './single-flight.js';
import { StoreBreakers, defaultBreakerOptions, type BreakerOptions, type BreakerState } from './store-breakers.js';

export interface FetchPathSwitches {
  merge: boolean;
  cache: boolean;
  batch: boolean;
}

export interface FetchPathOptions {
  registry: Registry;
  clock?: FetchClock;
  switches?: Partial<FetchPathSwitches>;
  cacheMaxBytes?: number;
  /** How long "latest" reads are kept when neither the store nor the reader (`maxAgeMs`) says. */
  defaultLatestTtlMs?: number;
  batchWindowMs?: number;
  retry?: RetryOptions;
  breaker?: BreakerOptions;
  /** Limiter settings (global cap, shard count, Redis URL); ignored when `limiters` is given. */
  limiter?: Omit<EndpointLimitersOptions, 'clock' | 'onQueue' | 'onWait'>;
  /**
   * Longest a call waits for its endpoint's limiter (default 5 s; Infinity: as long as it takes). A call the budget would
   * start later is refused at once (Throttled, reason LimiterBusy, with `retryAfterMs`), so
   * the reconcile ends and the ExternalSecret is requeued for then.
   */
  maxLimiterWaitMs?: number;
}

const circuitValue: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Rejects with the signal's reason when it aborts, without cancelling the shared work. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

export class FetchPath implements RemoteFetcher {
  readonly metrics: FetchMetrics;
  private readonly clock: FetchClock;
  private readonly switches: FetchPathSwitches;
  private readonly cache: FetchCache;
  private readonly flights = new SingleFlight<RemoteSecret>();
  private readonly batchers = new Map<string, Batcher>();
  /** When each "latest" read of a batching store comes again, so batch calls can take it along. */
  private readonly rhythms = new ReadRhythms();
  private readonly limiters: EndpointLimiters;
  private readonly breakers: StoreBreakers;
  private readonly retry;
  private readonly endpointProvider = new Map<string, string>();
  private readonly storeLabels = new Map<string, { provider: string; store: string }>();
  private readonly storeEndpoints = new Map<string, string>();
  private readonly recoveryListeners: Array<(storeId: string) => void> = [];
  /** Aborted when a store is forgotten (deleted or changed): its waiting and running calls stop. */
  private readonly storeAborts = new Map<string, AbortController>();
  /** The last provider read of each store, which its breaker's probe repeats. */
  private readonly probes = new Map<string, () => Promise<unknown>>();
  /** The pending probe of each store whose circuit is open. */
  private readonly probeTimers = new Map<string, unknown>();

  constructor(private readonly options: FetchPathOptions) {
    this.clock = options.clock ?? systemFetchClock;
    this.metrics = new FetchMetrics(options.registry);
    this.switches = { merge: true, cache: true, batch: true, ...options.switches };
    this.cache = new FetchCache({ maxBytes: options.cacheMaxBytes ?? 64 * 1024 * 1024, clock: this.clock });
    this.limiters = new EndpointLimiters({
      ...options.limiter,
      clock: this.clock,
      onQueue: (endpoint, delta) => this.metrics.limiterQueueDepth.inc({ provider: this.endpointProvider.get(endpoint) ?? '', endpoint }, delta),
      onWait: (endpoint, ms) => this.metrics.limiterWait.observe({ provider: this.endpointProvider.get(endpoint) ?? '' }, ms / 1000),
    });
    const breaker = options.breaker ?? defaultBreakerOptions;
    this.breakers = new StoreBreakers(breaker, (storeId, state) => {
      const labels = this.storeLabels.get(storeId);
      if (labels) this.metrics.circuitState.set(labels, circuitValue[state]);
      if (state === 'open') this.scheduleProbe(storeId, breaker.halfOpenAfterMs);
      // cockatiel reports Closed only when a half-open probe succeeded: the outage is over.
      if (state === 'closed') for (const listener of this.recoveryListeners) listener(storeId);
    });
    this.retry = createRetryPolicy(options.retry ?? defaultRetryOptions);
  }

  async fetch(store: StoreHandle, ref: RemoteRef, options: FetchOptions = {}): Promise<RemoteSecret> {
    this.remember(store);
    const cacheKey = FetchCache.key(store.id, ref.key, ref.version, ref.metadata);
    if (this.switches.cache) {
      if (options.fresh) {
        this.metrics.cacheLookups.inc({ provider: store.provider, result: 'bypass' });
      } else {
        const pinned = this.pinned(store, ref);
        if (!pinned) this.recordRead(store, ref, cacheKey, options.maxAgeMs);
        const hit = this.cache.get(cacheKey, pinned ? undefined : options.maxAgeMs);
        this.metrics.cacheLookups.inc({ provider: store.provider, result: hit ? 'hit' : 'miss' });
        if (hit) return hit;
      }
    }
    if (!this.switches.merge) return this.load(store, ref, cacheKey, options.maxAgeMs, options.signal);
    // The shared call runs without any one caller's signal; each caller stops waiting on its own.
    const { promise, merged } = this.flights.run(cacheKey, () => this.load(store, ref, cacheKey, options.maxAgeMs, undefined));
    if (merged) this.metrics.singleFlightMerges.inc({ provider: store.provider });
    return abortable(promise, options.signal);
  }

  async find(store: StoreHandle, query: FindQuery, options: FetchOptions = {}): Promise<string[]> {
    this.remember(store);
    const find = store.client.find?.bind(store.client);
    if (!find) return [];
    this.probes.set(store.id, () => this.call(store, 'FindSecrets', (signal) => find(query, { signal }), undefined));
    return this.call(store, 'FindSecrets', (signal) => find(query, { signal }), options.signal);
  }

  forgetStore(storeId: string, options: { abortCalls?: boolean } = {}): void {
    this.cancelProbe(storeId);
    this.probes.delete(storeId);
    if (options.abortCalls !== false) this.storeAborts.get(storeId)?.abort(new UnavailableError('the store was deleted or its spec changed while this call waited', { reason: STORE_REMOVED_REASON }));
    this.storeAborts.delete(storeId);
    this.cache.forgetStore(storeId);
    this.rhythms.forgetStore(storeId);
    this.batchers.get(storeId)?.flush();
    this.batchers.delete(storeId);
    this.breakers.forget(storeId);
    const labels = this.storeLabels.get(storeId);
    this.storeLabels.delete(storeId);
    // A changed spec is a new connection under the same label: keep its series.
    if (labels && ![...this.storeLabels.values()].some((l) => l.store === labels.store && l.provider === labels.provider)) this.metrics.forgetStore(labels);
    // A changed spec may bring a new rate limit for its endpoint (replaced only if it differs).
    const endpoint = this.storeEndpoints.get(storeId);
    this.storeEndpoints.delete(storeId);
    if (endpoint !== undefined) this.limiters.release(endpoint);
  }

  onStoreRecovered(listener: (storeId: string) => void): void {
    this.recoveryListeners.push(listener);
  }

  breakerState(storeId: string): BreakerState {
    return this.breakers.state(storeId);
  }

  async close(): Promise<void> {
    for (const storeId of [...this.probeTimers.keys()]) this.cancelProbe(storeId);
    for (const batcher of this.batchers.values()) batcher.flush();
    await this.limiters.close();
  }

  private remember(store: StoreHandle): void {
    this.endpointProvider.set(store.endpoint, store.provider);
    if (!this.storeLabels.has(store.id)) {
      const labels = { provider: store.provider, store: store.label };
      this.storeLabels.set(store.id, labels);
      this.metrics.initStore(labels);
    }
    this.storeEndpoints.set(store.id, store.endpoint);
  }

  /**
   * Once a store's circuit lets a probe through, repeats its last read as that probe, instead
   * of waiting for a caller: callers turned away come back on their own schedule, which may
   * keep missing the moment the circuit half-opens (each is turned away just before a failed
   * probe opens it again, and comes back just before it half-opens), so an outage's end could
   * go unseen for twice the open time or more. The probe's success closes the circuit, and
   * the recovery listeners re-queue what failed; its failure opens it again and schedules the
   * next probe.
   */
  private scheduleProbe(storeId: string, afterMs: number): void {
    this.cancelProbe(storeId);
    if (!this.probes.has(storeId)) return;
    // A little past the open time, so the breaker's own clock agrees that it has passed.
    this.probeTimers.set(storeId, this.clock.setTimeout(() => {
      this.probeTimers.delete(storeId);
      const probe = this.probes.get(storeId);
      // A caller may have probed first and closed it.
      if (!probe || this.breakers.state(storeId) === 'closed') return;
      void probe().catch(() => undefined).finally(() => {
        // Still open and nothing scheduled (the probe was turned away, not failed): try again.
        if (this.probes.has(storeId) && this.breakers.state(storeId) === 'open' && !this.probeTimers.has(storeId)) this.scheduleProbe(storeId, afterMs);
      });
    }, afterMs + 10));
  }

  private cancelProbe(storeId: string): void {
    const timer = this.probeTimers.get(storeId);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.probeTimers.delete(storeId);
  }

  private async load(store: StoreHandle, ref: RemoteRef, cacheKey: string, maxAgeMs: number | undefined, signal: AbortSignal | undefined): Promise<RemoteSecret> {
    this.probes.set(store.id, () => this.load(store, ref, cacheKey, maxAgeMs, undefined));
    const secret = await this.loadUncached(store, ref, signal);
    if (this.switches.cache) {
      const pinned = this.pinned(store, ref);
      // A "latest" read is kept as long as the store allows, else as long as its reader would accept it.
      this.cache.set(cacheKey, secret, pinned ? undefined : this.latestTtlMs(store, maxAgeMs));
    }
    return secret;
  }

  /** Whether a read never changes: a pinned version's value; metadata (tags, labels) changes at any time. */
  private pinned(store: StoreHandle, ref: RemoteRef): boolean {
    return !ref.metadata && isPinnedVersion(store.provider, ref.version);
  }

  /** How long a "latest" read is kept: as long as the store allows, else as long as its reader would accept it. */
  private latestTtlMs(store: StoreHandle, maxAgeMs: number | undefined): number {
    return store.latestTtlMs ?? maxAgeMs ?? this.options.defaultLatestTtlMs ?? 5_000;
  }

  private batches(store: StoreHandle): boolean {
    return this.switches.batch && !!store.client.fetchMany && (store.client.maxBatchSize ?? 1) > 1;
  }

  /** Notes a cacheable "latest" read of a batching store, for `batchCompanions`. */
  private recordRead(store: StoreHandle, ref: RemoteRef, cacheKey: string, maxAgeMs: number | undefined): void {
    // A metadata read has no batch call to ride along in.
    if (!this.batches(store) || ref.metadata) return;
    const ttl = this.latestTtlMs(store, maxAgeMs);
    const accepted = Math.min(ttl, maxAgeMs ?? ttl);
    if (accepted > 0) this.rhythms.record(store.id, cacheKey, ref, accepted, this.clock.now());
  }

  /**
   * "Latest" reads due soon that a batch call with room to spare takes along (see
   * read-rhythms.ts): not in the batch, not in flight, not already answered by the cache for
   * the time they are due. What they return is cached as their own reads would be, so their
   * readers, when they come, find a value younger than they accept and make no call.
   */
  private batchCompanions(store: StoreHandle, refs: RemoteRef[]): DueRead[] {
    if (!this.switches.cache) return [];
    const inBatch = new Set(refs.map((r) => FetchCache.key(store.id, r.key, r.version)));
    return this.rhythms.due(
      store.id,
      this.clock.now(),
      (store.client.maxBatchSize ?? 1) - refs.length,
      (cacheKey) => inBatch.has(cacheKey) || this.flights.has(cacheKey),
      (cacheKey, dueAt, ahead) => {
        const storedAt = this.cache.storedAt(cacheKey);
        return storedAt !== undefined && dueAt - storedAt <= ahead;
      },
    );
  }

  private loadUncached(store: StoreHandle, ref: RemoteRef, signal: AbortSignal | undefined): Promise<RemoteSecret> {
    const client = store.client;
    if (ref.metadata) {
      // The spec check refuses Fetch where the client cannot read metadata; this is the backstop.
      const fetchMetadata = client.fetchMetadata?.bind(client);
      if (!fetchMetadata) return Promise.reject(new ConfigError(`provider "${store.provider}" does not read remote metadata`, { reason: 'MetadataNotSupported' }));
      return this.call(store, 'GetSecretMetadata', (s) => fetchMetadata(ref, { signal: s }), signal);
    }
    if (this.batches(store)) {
      return abortable(this.batcherFor(store).fetch(ref), signal);
    }
    return this.call(store, 'GetSecret', (s) => client.fetch(ref, { signal: s }), signal);
  }

  private batcherFor(store: StoreHandle): Batcher {
    let batcher = this.batchers.get(store.id);
    if (!batcher) {
      batcher = new Batcher({
        maxBatchSize: store.client.maxBatchSize ?? 1,
        windowMs: this.options.batchWindowMs ?? 5,
        clock: this.clock,
        send: (take) => this.sendBatch(store, take),
      });
      this.batchers.set(store.id, batcher);
    }
    return batcher;
  }

  private sendBatch(store: StoreHandle, take: () => RemoteRef[]): Promise<Array<RemoteSecret | ProviderError>> {
    const client = store.client;
    let observed = false;
    // Chosen once, when the call first starts; a retry asks for the same.
    let companions: DueRead[] | undefined;
    let chosenAt = 0;
    // The batch closes only when the limiter lets the call start, so it fills up while waiting.
    return this.call(store, () => (take().length + (companions?.length ?? 0) === 1 ? 'GetSecret' : 'BatchGetSecrets'), (s) => {
      const refs = take();
      if (!companions) {
        chosenAt = this.clock.now();
        companions = this.batchCompanions(store, refs);
      }
      const along = companions;
      if (!observed) {
        observed = true;
        this.metrics.batchSize.observe({ provider: store.provider }, refs.length + along.length);
      }
      if (along.length > 0) {
        return client.fetchMany!([...refs, ...along.map((c) => c.ref)], { signal: s }).then((results) => {
          along.forEach((c, i) => {
            const result = results[refs.length + i];
            // A companion's error is nobody's yet: its own reader will ask and see it. A value
            // another read stored meanwhile is at least as new: it stays.
            if (result === undefined || isProviderError(result) || (this.cache.storedAt(c.cacheKey) ?? -Infinity) >= chosenAt) return;
            this.cache.set(c.cacheKey, result, this.latestTtlMs(store, c.maxAgeMs));
          });
          return results.slice(0, refs.length);
        });
      }
      if (refs.length > 1) return client.fetchMany!(refs, { signal: s });
      // A batch of one is a plain read: cheaper where the batch call has its own, lower limit.
      // Its answer (e.g. NotFound) belongs to its one caller; outages and throttles still fail
      // the call, so they are retried and counted like any other.
      return client.fetch(refs[0]!, { signal: s }).then(
        (secret): Array<RemoteSecret | ProviderError> => [secret],
        (error: unknown) => {
          if (isProviderError(error) && !error.retryable) return [error];
          throw error;
        },
      );
    }, undefined);
  }

  private storeSignal(storeId: string): AbortSignal {
    let controller = this.storeAborts.get(storeId);
    if (!controller) {
      controller = new AbortController();
      // Every call of the store in flight listens to it: thousands at a cold start are expected.
      setMaxListeners(0, controller.signal);
      this.storeAborts.set(storeId, controller);
    }
    return controller.signal;
  }

  /** One logical provider call: retried, behind the store's breaker and the endpoint's limiter. */
  private call<T>(store: StoreHandle, operation: string | (() => string), attempt: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const labels = { provider: store.provider, store: store.label };
    let lastKind: string | undefined;
    const storeSignal = this.storeSignal(store.id);
    const outer = signal ? AbortSignal.any([signal, storeSignal]) : storeSignal;
    const maxWaitMs = this.options.maxLimiterWaitMs ?? 5_000;
    // The store's own signal rejects with its typed reason (cockatiel would answer a cancellation).
    return abortable(this.retry.execute(({ signal: retrySignal }) => {
      if (lastKind !== undefined) this.metrics.retries.inc({ ...labels, kind: lastKind });
      return this.breakers.execute(store.id, store.label, () =>
        this.limiters.schedule(store.endpoint, store.rateLimit, async () => {
          const started = this.clock.now();
          const name = () => (typeof operation === 'string' ? operation : operation());
          try {
            const result = await attempt(retrySignal);
            this.observe(store, name(), 'success', started);
            return result;
          } catch (error) {
            lastKind = isProviderError(error) ? error.kind : 'Unknown';
            this.observe(store, name(), lastKind, started);
            if (isThrottled(error)) {
              this.metrics.throttles.inc(labels);
              this.limiters.slowDown(store.endpoint, error.retryAfterMs);
            }
            throw error;
          }
        }, { maxWaitMs, signal: retrySignal }),
      ).catch((error: unknown) => {
        if (isProviderError(error)) lastKind = error.kind;
        throw error;
      });
    }, outer), storeSignal);
  }

  private observe(store: StoreHandle, operation: string, outcome: string, startedMs: number): void {
    this.metrics.apiCalls.inc({ provider: store.provider, call: operation, status: outcome === 'success' ? 'success' : 'error' });
    this.metrics.requestDuration.observe(
      { provider: store.provider, store: store.label, operation, outcome },
      (this.clock.now() - startedMs) / 1000,
    );
  }
}
