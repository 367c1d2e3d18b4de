// Runs N workers over a WorkQueue: success forgets the key's backoff (and requeues after
// `requeueAfter` when asked), failure re-adds it with backoff.
import type { WorkQueue } from './work-queue.js';

export interface ReconcileResult {
  /** Run this key again after this many milliseconds. */
  requeueAfter?: number;
}

export type ReconcileFn = (key: string) => Promise<ReconcileResult | void>;

export interface WorkerHooks {
  onError?(key: string, error: unknown, retryInMs: number): void;
}

/** Starts `count` workers; the returned promise settles once the queue shuts down and they exit. */
export function runWorkers(queue: WorkQueue, count: number, reconcile: ReconcileFn, hooks: WorkerHooks = {}): Promise<void> {
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const result = await reconcile(key);
        queue.forget(key);
        if (result?.requeueAfter !== undefined) queue.addAfter(key, result.requeueAfter);
      } catch (error) {
        const delay = queue.addRateLimited(key);
        hooks.onError?.(key, error, delay);
      } finally {
        queue.done(key);
      }
    }
  };
  return Promise.all(Array.from({ length: Math.max(1, count) }, worker)).then(() => undefined);
}
