// Retries of retryable provider errors (Throttled, Unavailable) with cockatiel: exponential
// backoff with full jitter, never shorter than the provider's Retry-After.
import {
  ExponentialBackoff,
  fullJitterGenerator,
  handleWhen,
  retry,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  type RetryPolicy,
} from 'cockatiel';
import { isProviderError, isThrottled } from '../../providers/contract/index.js';
import { CIRCUIT_OPEN_REASON, LIMITER_BUSY_REASON, MAX_IN_CALL_RETRY_AFTER_MS, STORE_REMOVED_REASON } from './remote-fetcher.js';

export interface RetryOptions {
  /** Attempts after the first. */
  maxRetries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /**
   * Longest Retry-After waited for inside one call (default 30 s). A throttle asking for
   * longer fails the call at once, so the ExternalSecret reports it instead of a reconcile
   * hanging silently (a Vault quota of 0.001/s answers Retry-After: 1000).
   */
  maxRetryAfterMs?: number;
}

export const defaultRetryOptions: RetryOptions = { maxRetries: 4, initialDelayMs: 200, maxDelayMs: 30_000 };

/** An open circuit is retryable later, but not by this call: it must fail fast. */
export const circuitOpenReason = CIRCUIT_OPEN_REASON;

/**
 * Retryable later, but not within this call: an open circuit must fail fast, a limiter that
 * cannot start the call soon must not be waited for, and a removed store has no later.
 */
const notWithinTheCall = new Set([CIRCUIT_OPEN_REASON, LIMITER_BUSY_REASON, STORE_REMOVED_REASON]);

export function isRetryableError(error: unknown): boolean {
  return isProviderError(error) && error.retryable && !notWithinTheCall.has(error.reason);
}

/** Exponential full-jitter backoff that waits at least as long as a throttle's Retry-After. */
class RetryAfterBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(private readonly exponential: IBackoffFactory<unknown>, private readonly previous?: IBackoff<unknown>) {}

  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const step = this.previous ? this.previous.next(context) : this.exponential.next(context);
    const error = 'error' in context.result ? context.result.error : undefined;
    const retryAfterMs = isThrottled(error) ? (error.retryAfterMs ?? 0) : 0;
    const following = new RetryAfterBackoff(this.exponential, step);
    return { duration: Math.max(step.duration, retryAfterMs), next: (c) => following.next(c) };
  }
}

export function createRetryPolicy(options: RetryOptions = defaultRetryOptions): RetryPolicy {
  const maxRetryAfterMs = options.maxRetryAfterMs ?? MAX_IN_CALL_RETRY_AFTER_MS;
  const worthWaiting = (error: unknown) => !isThrottled(error) || (error.retryAfterMs ?? 0) <= maxRetryAfterMs;
  return retry(handleWhen((error) => isRetryableError(error) && worthWaiting(error)), {
    maxAttempts: options.maxRetries,
    backoff: new RetryAfterBackoff(
      new ExponentialBackoff({ generator: fullJitterGenerator, initialDelay: options.initialDelayMs, maxDelay: options.maxDelayMs }),
    ),
  });
}
