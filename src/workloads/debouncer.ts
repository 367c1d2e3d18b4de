// Runs an action per key once a burst of requests for that key has gone quiet (or has lasted
// `maxWaitMs`), so several ExternalSecrets changing together roll a workload once. A request
// that arrives while the action runs schedules one more run after it; runs of one key never
// overlap.
import type { Timers } from '../queue/timer.js';

export interface DebounceOptions {
  /** The action runs this long after the last request… */
  quietMs: number;
  /** …but no later than this after the first one. */
  maxWaitMs: number;
}

interface Pending {
  firstAt: number;
  timer: unknown;
}

export class KeyedDebouncer {
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Map<string, Promise<void>>();
  /** Keys requested again while their action ran. */
  private readonly again = new Set<string>();
  private stopped = false;

  constructor(
    private readonly timers: Timers,
    private readonly options: DebounceOptions,
    private readonly action: (key: string) => Promise<void>,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  schedule(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    const now = this.timers.now();
    const held = this.pending.get(key);
    const firstAt = held?.firstAt ?? now;
    const at = Math.min(now + this.options.quietMs, firstAt + this.options.maxWaitMs);
    if (held) this.timers.clearTimeout(held.timer);
    this.pending.set(key, { firstAt, timer: this.timers.setTimeout(() => this.fire(key), Math.max(0, at - now)) });
  }

  /** Keys waiting for their quiet period to end. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Cancels what has not started and waits for what has. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.pending.values()) this.timers.clearTimeout(p.timer);
    this.pending.clear();
    await Promise.all(this.running.values());
  }

  /** Resolves when no action is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private fire(key: string): void {
    this.pending.delete(key);
    const run = this.action(key)
      .catch((e: unknown) => this.onError(key, e))
      .finally(() => {
        this.running.delete(key);
        if (this.again.delete(key)) this.schedule(key);
      });
    this.running.set(key, run);
  }
}
