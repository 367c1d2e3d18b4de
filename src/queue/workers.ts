// Runs N workers over a WorkQueue: success forgets the key's backoff (and requeues after
// `requeueAfter` when asked), failure re-adds it with backoff.
//
// Each reconcile gets a signal that aborts after `deadlineMs`, so one reconcile holds a worker
// for a bounded time: whatever it waits on (a provider that never answers, say) is given up,
// the reconcile reports it, and the key is retried later.
import type { Timers } from './timer.js';
import { systemTimers } from './timer.js';
import type { WorkQueue } from './work-queue.js';

export interface ReconcileResult {
  /** Run this key again after this many milliseconds. */
  requeueAfter?: number;
}

export interface ReconcileContext {
  /** Aborts when the reconcile has run past the workers' deadline. */
  signal: AbortSignal;
}

export type ReconcileFn = (key: string, context: ReconcileContext) => Promise<ReconcileResult | void>;

export interface WorkerHooks {
  onError?(key: string, error: unknown, retryInMs: number): void;
}

export interface WorkerOptions extends WorkerHooks {
  /** How long one reconcile may run before its signal aborts (default: no deadline). */
  deadlineMs?: number;
  timers?: Timers;
}

/** The reason a reconcile's signal carries when its deadline passed. */
export class ReconcileDeadlineError extends Error {
  override readonly name = 'ReconcileDeadlineError';

  constructor(readonly deadlineMs: number) {
    super(`no answer within ${Math.round(deadlineMs / 1000)} s; given up for now`);
  }
}

/** Starts `count` workers; the returned promise settles once the queue shuts down and they exit. */
export function runWorkers(queue: WorkQueue, count: number, reconcile: ReconcileFn, options: WorkerOptions = {}): Promise<void> {
  const timers = options.timers ?? systemTimers;
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const controller = new AbortController();
      const deadline = options.deadlineMs === undefined
        ? undefined
        : timers.setTimeout(() => controller.abort(new ReconcileDeadlineError(options.deadlineMs!)), options.deadlineMs);
      try {
        const result = await reconcile(key, { signal: controller.signal });
        queue.forget(key);
        if (result?.requeueAfter !== undefined) queue.addAfter(key, result.requeueAfter);
      } catch (error) {
        const delay = queue.addRateLimited(key);
        options.onError?.(key, error, delay);
      } finally {
        if (deadline !== undefined) timers.clearTimeout(deadline);
        queue.done(key);
      }
    }
  };
  return Promise.all(Array.from({ length: Math.max(1, count) }, worker)).then(() => undefined);
}
