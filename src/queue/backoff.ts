// Per-key exponential backoff: base · 2^failures, capped; `forget` resets a key.
export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

export class ItemBackoff {
  private readonly failures = new Map<string, number>();

  constructor(private readonly options: BackoffOptions) {}

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity past ~1000; min() still caps it.
    return Math.min(this.options.baseDelayMs * 2 ** n, this.options.maxDelayMs);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}
