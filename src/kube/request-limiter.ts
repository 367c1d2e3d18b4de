// Client-side QPS/burst for Kubernetes API calls, as a token bucket (client-go's model).
// Hand-written rather than bottleneck: bottleneck spends several async steps (event
// triggers, locks) on every call, which at a thousand calls per second was the largest
// single CPU cost of the operator; a bucket and a FIFO need none of that.

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

interface Waiting {
  run: () => void;
  reject: (e: Error) => void;
}

function start<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

export function createRequestLimiter(budget: RequestBudget, options: LimiterOptions = {}): RequestLimiter {
  const qps = Math.max(Number.MIN_VALUE, budget.qps);
  const burst = Math.max(1, budget.burst);
  let tokens = burst;
  let refilledAt = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const waiting: Waiting[] = [];

  const refill = () => {
    const now = performance.now();
    tokens = Math.min(burst, tokens + ((now - refilledAt) * qps) / 1000);
    refilledAt = now;
  };
  const drain = () => {
    timer = undefined;
    refill();
    while (waiting.length > 0 && tokens >= 1) {
      tokens -= 1;
      waiting.shift()!.run();
    }
    // Wake when the next token is due, not on a fixed beat.
    if (waiting.length > 0) timer = setTimeout(drain, Math.max(1, Math.ceil(((1 - tokens) * 1000) / qps)));
  };

  return {
    schedule<T>(fn: () => Promise<T>): Promise<T> {
      if (stopped) return Promise.reject(new Error('request limiter stopped'));
      // FIFO: a call may go at once only when nobody is waiting ahead of it.
      if (waiting.length === 0) {
        refill();
        if (tokens >= 1) {
          tokens -= 1;
          return start(fn);
        }
      }
      if (options.maxQueued !== undefined && waiting.length >= options.maxQueued) {
        return Promise.reject(new LimiterOverflowError('too many calls waiting; dropped'));
      }
      return new Promise<T>((resolve, reject) => {
        waiting.push({ run: () => start(fn).then(resolve, reject), reject });
        if (timer === undefined) drain();
      });
    },
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      for (const w of waiting.splice(0)) w.reject(new Error('request limiter stopped'));
    },
  };
}
