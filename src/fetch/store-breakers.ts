// One cockatiel circuit breaker per store. After `threshold` consecutive Unavailable
// failures it opens: calls fail fast with Unavailable/CircuitOpen (the controller keeps the
// current Secret and reports ProviderUnavailable) until, after `halfOpenAfterMs`, one probe
// call is let through; its success closes the breaker, its failure opens it again. The fetch
// path makes that probe itself as soon as it is allowed (fetch-path.ts), so the end of an
// outage is seen within `halfOpenAfterMs` whether or not a caller happens to ask then;
// callers turned away are told to ask again after `callerRetryAfterMs`, and are re-queued
// sooner when the circuit closes.
//
// cockatiel times the open period with Date.now(): after the wall clock steps back, an open
// circuit would stay open for the length of the step, turning every call and probe away. A
// step back of more than a second is therefore detected (wall time less monotonic time falls,
// as for the limiters) and the breakers are made again, closed; the next calls probe the store,
// and an outage that goes on opens the circuit again after `threshold` failures.
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { UnavailableError, isUnavailable } from '../../providers/contract/index.js';
import { circuitOpenReason } from './retry-policy.js';
import { WallClockSteps } from './wall-clock-steps.js';

export interface BreakerOptions {
  threshold: number;
  /** How long the circuit stays open before a probe call may go through. */
  halfOpenAfterMs: number;
  /** The retry-after given to calls turned away while open (default: `halfOpenAfterMs`). */
  callerRetryAfterMs?: number;
}

// A probe a second while a store is down costs one provider call a second, and bounds how
// long an outage's end goes unnoticed. Turned-away callers wait longer: the recovery re-queues them.
export const defaultBreakerOptions: BreakerOptions = { threshold: 5, halfOpenAfterMs: 1_000, callerRetryAfterMs: 5_000 };

export type BreakerState = 'closed' | 'half-open' | 'open';

const stateName: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'open',
};

/** `Unavailable (ServiceUnavailable, 503)`: what went wrong, without whose key it was. */
function outageSummary(error: UnavailableError): string {
  const details = [error.reason, error.code].filter((d) => d !== undefined && d !== '' && d !== error.kind);
  return details.length ? `${error.kind} (${details.join(', ')})` : error.kind;
}

export class StoreBreakers {
  private readonly clockSteps = new WallClockSteps();
  private readonly breakers = new Map<string, { policy: CircuitBreakerPolicy; dispose(): void }>();
  // What the last outage was (kind, reason, code), so a fail-fast answer still says what is
  // wrong. Never its message: that names the remote key of whichever ExternalSecret hit it,
  // and a store (a ClusterSecretStore above all) serves readers who may not see that key.
  private readonly lastOutage = new Map<string, string>();

  constructor(
    private readonly options: BreakerOptions = defaultBreakerOptions,
    private readonly onStateChange?: (storeId: string, state: BreakerState) => void,
  ) {}

  async execute<T>(storeId: string, storeLabel: string, work: () => Promise<T>): Promise<T> {
    this.followClockSteps();
    try {
      return await this.policyFor(storeId).execute(work);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        const last = this.lastOutage.get(storeId);
        throw new UnavailableError(`store ${storeLabel}: provider unavailable, circuit open after repeated failures${last ? ` (last: ${last})` : ''}`, {
          reason: circuitOpenReason,
          cause: error,
          // Ask again then at the latest; the circuit closing re-queues the caller sooner.
          retryAfterMs: this.options.callerRetryAfterMs ?? this.options.halfOpenAfterMs,
        });
      }
      if (isUnavailable(error) && error.reason !== circuitOpenReason) this.lastOutage.set(storeId, outageSummary(error));
      throw error;
    }
  }

  state(storeId: string): BreakerState {
    const entry = this.breakers.get(storeId);
    return entry ? stateName[entry.policy.state] : 'closed';
  }

  forget(storeId: string): void {
    this.breakers.get(storeId)?.dispose();
    this.breakers.delete(storeId);
    this.lastOutage.delete(storeId);
  }

  /** Makes the breakers again, closed, when the wall clock stepped back (see the top of this file). */
  private followClockSteps(): void {
    if (!this.clockSteps.steppedBack()) return;
    for (const [storeId, entry] of [...this.breakers]) {
      const wasOpen = entry.policy.state !== CircuitState.Closed;
      entry.dispose();
      this.breakers.delete(storeId);
      // Those waiting for the circuit to close may ask again now.
      if (wasOpen) this.onStateChange?.(storeId, 'closed');
    }
  }

  private policyFor(storeId: string): CircuitBreakerPolicy {
    const existing = this.breakers.get(storeId);
    if (existing) return existing.policy;
    // Only outages open the circuit; NotFound, Auth and the like are answers, and
    // throttles are the limiter's business.
    const policy = circuitBreaker(handleWhen((e) => isUnavailable(e) && e.reason !== circuitOpenReason), {
      halfOpenAfter: this.options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.options.threshold),
    });
    const listener = policy.onStateChange((state) => this.onStateChange?.(storeId, stateName[state]));
    this.breakers.set(storeId, { policy, dispose: () => listener.dispose() });
    return policy;
  }
}
