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

/**
 * Delayed adds, earliest first: a binary min-heap over (due time, order of arrival) in parallel
 * arrays, so 10 000 pending requeues take ~25 B each here instead of a timer, its closures and a
 * timer list each (~350 B). An entry whose key was since given another time is stale: skipped
 * when it comes up, and dropped when stale entries outnumber live ones.
 */
class DueHeap {
  private at: number[] = [];
  private seq: number[] = [];
  private key: string[] = [];
  private next = 0;

  get size(): number {
    return this.key.length;
  }

  push(at: number, key: string): void {
    this.at.push(at);
    this.seq.push(this.next++);
    this.key.push(key);
    this.up(this.key.length - 1);
  }

  peekAt(): number | undefined {
    return this.at[0];
  }

  peekKey(): string | undefined {
    return this.key[0];
  }

  pop(): void {
    const last = this.key.length - 1;
    this.swap(0, last);
    this.at.pop();
    this.seq.pop();
    this.key.pop();
    if (last > 0) this.down(0);
  }

  /** Replaces the entries by `entries`, in that order for equal times. */
  reset(entries: Iterable<[string, number]>): void {
    this.at = [];
    this.seq = [];
    this.key = [];
    for (const [key, at] of entries) this.push(at, key);
  }

  private less(i: number, j: number): boolean {
    return this.at[i]! < this.at[j]! || (this.at[i] === this.at[j] && this.seq[i]! < this.seq[j]!);
  }

  private swap(i: number, j: number): void {
    [this.at[i], this.at[j]] = [this.at[j]!, this.at[i]!];
    [this.seq[i], this.seq[j]] = [this.seq[j]!, this.seq[i]!];
    [this.key[i], this.key[j]] = [this.key[j]!, this.key[i]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < this.key.length && this.less(l, least)) least = l;
      if (r < this.key.length && this.less(r, least)) least = r;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }
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
  /** Key → when its delayed add is due; one timer, armed for the earliest. */
  private readonly delayed = new Map<string, number>();
  private readonly due = new DueHeap();
  private timer?: { at: number; handle: unknown };
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
    if (existing !== undefined && existing <= at) return;
    this.delayed.set(key, at);
    this.due.push(at, key);
    if (this.due.size > 2 * this.delayed.size + 64) this.due.reset(this.delayed);
    this.arm();
  }

  /** Keeps the one timer armed for the earliest delayed add. */
  private arm(): void {
    while (this.due.size > 0 && this.delayed.get(this.due.peekKey()!) !== this.due.peekAt()) this.due.pop();
    const next = this.due.peekAt();
    if (this.timer && next !== undefined && this.timer.at <= next) return;
    if (this.timer) this.timers.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (next === undefined) return;
    const timer = { at: next, handle: undefined as unknown };
    timer.handle = this.timers.setTimeout(() => this.fire(timer), next - this.timers.now());
    this.timer = timer;
  }

  /** Adds every key now due, in due order, and arms the timer for the next. */
  private fire(timer: { at: number }): void {
    if (this.timer !== timer) return;
    this.timer = undefined;
    // The timer firing says its time has come, even where the clock reads a hair earlier.
    const now = Math.max(this.timers.now(), timer.at);
    while (this.due.size > 0 && this.due.peekAt()! <= now) {
      const key = this.due.peekKey()!;
      const at = this.due.peekAt()!;
      this.due.pop();
      if (this.delayed.get(key) !== at) continue;
      this.delayed.delete(key);
      this.add(key);
    }
    if (!this.shuttingDown) this.arm();
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
    return this.delayed.get(key);
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
    if (this.timer) this.timers.clearTimeout(this.timer.handle);
    this.timer = undefined;
    this.delayed.clear();
    this.due.reset([]);
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
