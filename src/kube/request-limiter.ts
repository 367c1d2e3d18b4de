// Client-side QPS/burst for Kubernetes API calls, as a token bucket on bottleneck's reservoir.
import Bottleneck from 'bottleneck';

export interface RequestBudget {
  qps: number;
  burst: number;
}

export interface RequestLimiter {
  schedule<T>(fn: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export interface LimiterOptions {
  /** Calls allowed to wait; beyond it new calls are dropped (rejected with LimiterOverflowError). */
  maxQueued?: number;
}

/** A call dropped because too many were already waiting. */
export class LimiterOverflowError extends Error {
  override readonly name = 'LimiterOverflowError';
}

export function createRequestLimiter(budget: RequestBudget, options: LimiterOptions = {}): RequestLimiter {
  // Refill in steps of at least 50 ms so a high QPS does not mean a 1 ms timer.
  const intervalMs = Math.max(50, Math.ceil(1000 / budget.qps));
  const amount = Math.max(1, Math.round((budget.qps * intervalMs) / 1000));
  const burst = Math.max(1, budget.burst);
  const limiter = new Bottleneck({
    reservoir: burst,
    reservoirIncreaseAmount: amount,
    reservoirIncreaseInterval: intervalMs,
    reservoirIncreaseMaximum: burst,
    // Bottleneck adds at most one increment per heartbeat (default 250 ms): beat at the refill step.
    heartbeatInterval: intervalMs,
    ...(options.maxQueued !== undefined ? { highWater: options.maxQueued, strategy: Bottleneck.strategy.OVERFLOW } : {}),
  });
  return {
    schedule: (fn) => limiter.schedule(fn).catch((e: unknown) => {
      if (e instanceof Error && /dropped by Bottleneck/i.test(e.message)) throw new LimiterOverflowError('too many calls waiting; dropped');
      throw e;
    }),
    stop: async () => {
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      await limiter.disconnect();
    },
  };
}
