// A work queue with controller-runtime semantics: a key added while queued is queued once;
// a key being processed is never handed to a second worker (a re-add waits until `done`);
// `addAfter` keeps the earliest pending time; `addRateLimited` backs off per key.
// Hand-written because no maintained npm package offers these dedup/processing rules.
import { ItemBackoff, type BackoffOptions } from './backoff.js';
import { systemTimers, type Timers } from './timer.js';

export interface WorkQueueObserver {
  depth?(n: number): void;
  retry?(): void;
}

export interface WorkQueueOptions extends Partial<BackoffOptions> {
  timers?: Timers;
  observer?: WorkQueueObserver;
}

interface Delayed {
  at: number;
  handle: unknown;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, Delayed>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly backoff: ItemBackoff;
  private readonly timers: Timers;
  private readonly observer: WorkQueueObserver;
  private shuttingDown = false;
  private idleWaiters: Array<() => void> = [];

  constructor(options: WorkQueueOptions = {}) {
    this.timers = options.timers ?? systemTimers;
    this.observer = options.observer ?? {};
    this.backoff = new ItemBackoff({ baseDelayMs: options.baseDelayMs ?? 5, maxDelayMs: options.maxDelayMs ?? 300_000 });
  }

  get length(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
    this.observer.depth?.(this.queue.length);
  }

  /** Adds `key` after `ms`; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.timers.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.timers.clearTimeout(existing.handle);
    const handle = this.timers.setTimeout(() => {
      if (this.delayed.get(key)?.handle !== handle) return;
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Re-adds `key` after its next backoff delay; returns that delay. */
  addRateLimited(key: string): number {
    const delay = this.backoff.next(key);
    this.observer.retry?.();
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears `key`'s failure count (call after a successful reconcile). */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** When `key` is next due from a delayed add, if one is pending. */
  pendingAt(key: string): number | undefined {
    return this.delayed.get(key)?.at;
  }

  /** The next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.observer.depth?.(this.queue.length);
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was re-added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    if (this.processing.size === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of idle) w();
    }
  }

  /** Stops handing out keys, cancels delayed adds, and resolves when in-flight keys are done. */
  shutDown(): Promise<void> {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) this.timers.clearTimeout(d.handle);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
