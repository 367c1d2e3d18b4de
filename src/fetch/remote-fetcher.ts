// The seam between the controller and the fetch path (DESIGN §5). The controller asks a
// `RemoteFetcher` for remote secrets of a connected store; what stands behind it
// (single-flight, cache, batcher, limiter, retry, breaker) is wired by the composition root.
import type { FindQuery, ProviderClient, ProviderName, RateLimit, RemoteRef, RemoteSecret } from '../../providers/contract/index.js';

/** A connected store as the fetch path sees it. */
export interface StoreHandle {
  /** Identity of this store's connection: kind/namespace/name plus a hash of its spec. */
  id: string;
  /** Human-readable store name for metric labels (`<namespace>/<name>` or `<name>`). */
  label: string;
  provider: ProviderName;
  /** Remote endpoint identity; stores that share it share one rate budget. */
  endpoint: string;
  client: ProviderClient;
  /** The store's `spec.rateLimit`, merged over the provider's default. */
  rateLimit: RateLimit;
  /** How long a "latest" read may be kept in cache; 0 disables it for this store. */
  latestTtlMs?: number;
}

/**
 * Reason of the Unavailable error the fetch path answers, without calling the provider,
 * while a store's circuit is open; its `retryAfterMs` says when a probe will be let through.
 */
export const CIRCUIT_OPEN_REASON = 'CircuitOpen';

/**
 * Reason of the Throttled error the fetch path answers, without queueing the call, when the
 * endpoint's limiter would not let it start within the wait bound (a store with a budget of
 * one call an hour, say); its `retryAfterMs` says when the budget should allow it. No
 * reconcile ever waits longer than that bound for a limiter.
 */
export const LIMITER_BUSY_REASON = 'LimiterBusy';

/**
 * Reason of the Unavailable error that calls of a store get when the store is deleted or its
 * spec changes while they wait or run: they stop instead of spending a budget nobody needs.
 */
export const STORE_REMOVED_REASON = 'StoreRemoved';

/** The longest Retry-After the fetch path waits out inside a call; a longer one fails the call. */
export const MAX_IN_CALL_RETRY_AFTER_MS = 30_000;

export interface FetchOptions {
  /** Skip the cache (e.g. `keyferry.io/force-sync`); merging with in-flight calls still applies. */
  fresh?: boolean;
  /** Oldest cached "latest" read this caller accepts (pinned versions never age). */
  maxAgeMs?: number;
  signal?: AbortSignal;
}

export interface RemoteFetcher {
  fetch(store: StoreHandle, ref: RemoteRef, options?: FetchOptions): Promise<RemoteSecret>;
  find(store: StoreHandle, query: FindQuery, options?: FetchOptions): Promise<string[]>;
  /**
   * Drops cached state of a store whose spec or credentials changed or that was deleted.
   * `abortCalls` (default true) also stops its calls in flight with StoreRemoved; false lets
   * them finish through the client they started with (only its credentials changed).
   */
  forgetStore(storeId: string, options?: { abortCalls?: boolean }): void;
  /**
   * Calls `listener` with a store's handle id when its provider answers again after an
   * outage (its circuit closed), so what failed meanwhile can be retried at once instead
   * of at the end of its backoff. Fetchers without a breaker need not implement it.
   */
  onStoreRecovered?(listener: (storeId: string) => void): void;
}
