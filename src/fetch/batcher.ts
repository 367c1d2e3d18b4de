// Gathers single fetches for one store for a short window and sends them as batch calls
// of at most `maxBatchSize` refs. Each caller gets its own slot's result: a per-secret error
// rejects only that caller, a failure of the whole call rejects everyone in it.
import { isProviderError, type ProviderError, type RemoteRef, type RemoteSecret } from '../../providers/contract/index.js';
import type { FetchClock } from './fetch-clock.js';

export type SendBatch = (refs: RemoteRef[]) => Promise<Array<RemoteSecret | ProviderError>>;

export interface BatcherOptions {
  maxBatchSize: number;
  /** How long the first queued fetch waits for company. */
  windowMs: number;
  clock: FetchClock;
  send: SendBatch;
}

interface Waiting {
  ref: RemoteRef;
  resolve(secret: RemoteSecret): void;
  reject(error: unknown): void;
}

export class Batcher {
  private queue: Waiting[] = [];
  private timer: unknown;

  constructor(private readonly options: BatcherOptions) {
    if (options.maxBatchSize < 1) throw new RangeError('maxBatchSize must be at least 1');
  }

  fetch(ref: RemoteRef): Promise<RemoteSecret> {
    return new Promise<RemoteSecret>((resolve, reject) => {
      this.queue.push({ ref, resolve, reject });
      if (this.queue.length >= this.options.maxBatchSize) this.flush();
      else if (this.timer === undefined) this.timer = this.options.clock.setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  /** Sends everything queued now, split at `maxBatchSize`. */
  flush(): void {
    if (this.timer !== undefined) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      void this.sendOne(this.queue.splice(0, this.options.maxBatchSize));
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  private async sendOne(batch: Waiting[]): Promise<void> {
    let results: Array<RemoteSecret | ProviderError>;
    try {
      results = await this.options.send(batch.map((w) => w.ref));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => {
      const result = results[i];
      if (result === undefined) w.reject(new Error(`batch call returned no result for slot ${i}`));
      else if (isProviderError(result)) w.reject(result);
      else w.resolve(result);
    });
  }
}
