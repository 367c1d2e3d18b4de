// Merges identical calls in flight: the first caller starts the work, later callers with
// the same key get the same promise until it settles. Nothing is kept afterwards; keeping
// results is the cache's job.
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Runs `work` unless a call under `key` is already in flight; `merged` says which happened. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; merged: boolean } {
    const existing = this.inFlight.get(key);
    if (existing) return { promise: existing, merged: true };
    const promise = work().finally(() => {
      if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
    });
    this.inFlight.set(key, promise);
    return { promise, merged: false };
  }

  has(key: string): boolean {
    return this.inFlight.has(key);
  }

  get size(): number {
    return this.inFlight.size;
  }
}
