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

export function createRequestLimiter(budget: RequestBudget): RequestLimiter {
  // Refill in steps of at least 50 ms so a high QPS does not mean a 1 ms timer.
  const intervalMs = Math.max(50, Math.ceil(1000 / budget.qps));
  const amount = Math.max(1, Math.round((budget.qps * intervalMs) / 1000));
  const burst = Math.max(1, budget.burst);
  const limiter = new Bottleneck({
    reservoir: burst,
    reservoirIncreaseAmount: amount,
    reservoirIncreaseInterval: intervalMs,
    reservoirIncreaseMaximum: burst,
  });
  return {
    schedule: (fn) => limiter.schedule(fn),
    stop: async () => {
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      await limiter.disconnect();
    },
  };
}
