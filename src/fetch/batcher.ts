// Gathers single fetches for one store into batch calls of at most `maxBatchSize` refs.
// A batch is handed to `send` when it is full or its window ends, but it keeps taking
// fetches until its call really starts (`take()`, called once the limiter lets it through):
// while the endpoint's budget is spent, waiting fetches fill the batches instead of queueing
// more calls. Each caller gets its own slot's result: a per-secret error rejects only that
// caller, a failure of the whole call rejects everyone in it.
import { isProviderError, type ProviderError, type RemoteRef, type RemoteSecret } from '../../providers/contract/index.js';
import type { FetchClock } from './fetch-clock.js';

/**
 * Sends one batch. `take()` closes the batch and returns its refs; call it when the call
 * starts (again on a retry: it returns the same refs). The result has one slot per ref.
 */
export type SendBatch = (take: () => RemoteRef[]) => Promise<Array<RemoteSecret | ProviderError>>;

export interface BatcherOptions {
  maxBatchSize: number;
  /** How long the first queued fetch waits for company before the batch is sent. */
  windowMs: number;
  clock: FetchClock;
  send: SendBatch;
}

interface Waiting {
  ref: RemoteRef;
  resolve(secret: RemoteSecret): void;
  reject(error: unknown): void;
}

interface Batch {
  waiting: Waiting[];
  timer?: unknown;
  sent: boolean;
  closed?: RemoteRef[];
}

export class Batcher {
  /** The batch new fetches join, until it is full or closed. */
  private open?: Batch;
  private unsent = 0;

  constructor(private readonly options: BatcherOptions) {
    if (options.maxBatchSize < 1) throw new RangeError('maxBatchSize must be at least 1');
  }

  fetch(ref: RemoteRef): Promise<RemoteSecret> {
    return new Promise<RemoteSecret>((resolve, reject) => {
      let batch = this.open;
      if (!batch || batch.closed || batch.waiting.length >= this.options.maxBatchSize) batch = this.startBatch();
      batch.waiting.push({ ref, resolve, reject });
      if (!batch.sent) this.unsent++;
      if (batch.waiting.length >= this.options.maxBatchSize) this.send(batch);
    });
  }

  /** Sends the open batch now instead of at the end of its window. */
  flush(): void {
    if (this.open && !this.open.sent) this.send(this.open);
  }

  /** Fetches not yet handed to `send`. */
  get pending(): number {
    return this.unsent;
  }

  private startBatch(): Batch {
    const batch: Batch = { waiting: [], sent: false };
    batch.timer = this.options.clock.setTimeout(() => this.send(batch), this.options.windowMs);
    this.open = batch;
    return batch;
  }

  private close(batch: Batch): RemoteRef[] {
    if (!batch.closed) {
      batch.closed = batch.waiting.map((w) => w.ref);
      if (this.open === batch) this.open = undefined;
    }
    return batch.closed;
  }

  private send(batch: Batch): void {
    if (batch.sent) return;
    batch.sent = true;
    this.unsent -= batch.waiting.length;
    this.options.clock.clearTimeout(batch.timer);
    void this.settle(batch);
  }

  private async settle(batch: Batch): Promise<void> {
    let results: Array<RemoteSecret | ProviderError>;
    try {
      results = await this.options.send(() => this.close(batch));
    } catch (error) {
      this.close(batch);
      for (const w of batch.waiting) w.reject(error);
      return;
    }
    // Fetches that joined after a failed `take()` would have no slot: close covers that too.
    const refs = this.close(batch);
    batch.waiting.forEach((w, i) => {
      const result = i < refs.length ? results[i] : undefined;
      if (result === undefined) w.reject(new Error(`batch call returned no result for slot ${i}`));
      else if (isProviderError(result)) w.reject(result);
      else w.resolve(result);
    });
  }
}
