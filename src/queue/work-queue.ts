// A work queue with controller-runtime semantics: a key added while queued is queued once;
// a key being processed is never handed to a second worker (a re-add waits until `done`);
// `addAfter` keeps the earliest pending time; `addRateLimited` backs off per key.
//
// Fair between groups (a tenant's namespace): keys wait in one FIFO per group, and workers
// take from the groups in turn, so ten thousand keys of one namespace do not queue ahead of
// another namespace's one. A group already holding `maxInFlightPerGroup` workers gets another
// only while no other group has work waiting, so no group keeps every worker to itself.
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
  /** The fairness group of a key (default: one group for all, i.e. plain FIFO). */
  groupOf?(key: string): string;
  /** Workers one group may hold while other groups have work waiting (default: no limit). */
  maxInFlightPerGroup?: number;
}

interface Delayed {
  at: number;
  handle: unknown;
}

export class WorkQueue {
  /** Waiting keys per group, each in FIFO order; a group is present only while it has keys. */
  private readonly groups = new Map<string, string[]>();
  /** Groups with waiting keys, in the order they get their next turn. */
  private readonly turn: string[] = [];
  private waitingCount = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly inFlight = new Map<string, number>();
  private readonly delayed = new Map<string, Delayed>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly backoff: ItemBackoff;
  private readonly timers: Timers;
  private readonly observer: WorkQueueObserver;
  private readonly groupOf: (key: string) => string;
  private readonly maxInFlightPerGroup: number;
  private shuttingDown = false;
  private idleWaiters: Array<() => void> = [];
  /** Last time a key was finished, or the queue went from empty to waiting (for `stalledForMs`). */
  private lastProgressAt: number;

  constructor(options: WorkQueueOptions = {}) {
    this.timers = options.timers ?? systemTimers;
    this.observer = options.observer ?? {};
    this.backoff = new ItemBackoff({ baseDelayMs: options.baseDelayMs ?? 5, maxDelayMs: options.maxDelayMs ?? 300_000 });
    this.groupOf = options.groupOf ?? (() => '');
    this.maxInFlightPerGroup = Math.max(1, options.maxInFlightPerGroup ?? Number.POSITIVE_INFINITY);
    this.lastProgressAt = this.timers.now();
  }

  /** Keys waiting for a worker. */
  get length(): number {
    return this.waitingCount;
  }

  /** Keys being processed now. */
  get processingCount(): number {
    return this.processing.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    if (this.waitingCount === 0) this.lastProgressAt = this.timers.now();
    const group = this.groupOf(key);
    const keys = this.groups.get(group);
    if (keys) keys.push(key);
    else {
      this.groups.set(group, [key]);
      this.turn.push(group);
    }
    this.waitingCount++;
    this.observer.depth?.(this.waitingCount);
    this.handOut();
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
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was re-added meanwhile, it is queued again. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    this.lastProgressAt = this.timers.now();
    const group = this.groupOf(key);
    const n = (this.inFlight.get(group) ?? 1) - 1;
    if (n > 0) this.inFlight.set(group, n);
    else this.inFlight.delete(group);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    // A group under its cap again may let a waiting worker take one of its keys.
    this.handOut();
    if (this.processing.size === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of idle) w();
    }
  }

  /**
   * How long keys have been waiting with no key finished meanwhile (0 when none wait). Work
   * that keeps finishing is progress however long the queue is; a queue whose workers all
   * hang, or that nobody takes from, grows this without bound.
   */
  stalledForMs(): number {
    if (this.waitingCount === 0) return 0;
    return this.timers.now() - this.lastProgressAt;
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

  /** Gives waiting workers the keys they may have now. */
  private handOut(): void {
    while (this.waiters.length > 0) {
      const key = this.take();
      if (key === undefined) return;
      this.waiters.shift()!(key);
    }
  }

  /**
   * The next key by turn: the first group (in turn order) under its cap; if every group with
   * waiting keys is at its cap, the first of them anyway, so no worker idles while work waits.
   */
  private take(): string | undefined {
    if (this.turn.length === 0) return undefined;
    let index = this.turn.findIndex((g) => (this.inFlight.get(g) ?? 0) < this.maxInFlightPerGroup);
    if (index < 0) index = 0;
    const group = this.turn[index]!;
    const keys = this.groups.get(group)!;
    const key = keys.shift()!;
    this.turn.splice(index, 1);
    if (keys.length > 0) this.turn.push(group);
    else this.groups.delete(group);
    this.waitingCount--;
    this.observer.depth?.(this.waitingCount);
    this.dirty.delete(key);
    this.processing.add(key);
    this.inFlight.set(group, (this.inFlight.get(group) ?? 0) + 1);
    return key;
  }
}
