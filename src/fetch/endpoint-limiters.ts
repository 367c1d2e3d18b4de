// One bottleneck limiter per store endpoint identity, all chained under one global cap.
//
// A budget `{requestsPerSecond, burst, maxConcurrent}` becomes a token bucket: the
// reservoir starts at `burst`, grows by a small amount every short interval up to `burst`
// (`reservoirIncrease*`), and each call takes one token. Unlike `minTime`, which spaces
// calls evenly and so has no burst, and unlike `reservoirRefresh*`, which refills all at
// once and lets two bursts through back to back, this is what providers themselves enforce.
//
// Across replicas the budget is divided statically by the shard count, or, with a Redis
// URL, held once in Redis through bottleneck's ioredis datastore so all replicas share it.
//
// No caller waits long: a call the limiter would not start within `maxWaitMs` is refused at
// once with a Throttled error (reason LimiterBusy) that says when the budget should allow it,
// so the ExternalSecret is requeued for then instead of holding a reconcile worker. A store
// with a budget of one call an hour therefore costs its own ExternalSecrets a wait, and
// nobody else anything.
//
// bottleneck times its buckets with Date.now(): after the wall clock steps back, it would hold
// every call for as long as the step (hours, after a bad NTP correction). A step back of more
// than a second is therefore detected (wall time less monotonic time falls) and every limiter
// made again, full; calls queued in the old ones are refused as LimiterBusy and asked again.
import Bottleneck from 'bottleneck';
import { ThrottledError, type RateLimit } from '../../providers/contract/index.js';
import type { FetchClock } from './fetch-clock.js';
import { LIMITER_BUSY_REASON } from './remote-fetcher.js';
import { WallClockSteps } from './wall-clock-steps.js';

export interface GlobalCap {
  maxConcurrent: number;
  requestsPerSecond?: number;
}

export interface EndpointLimitersOptions {
  clock: FetchClock;
  globalCap?: GlobalCap;
  /** Static division across sharded replicas (ignored when `redisUrl` is set). */
  shardCount?: number;
  /** Share budgets through Redis instead of dividing them. */
  redisUrl?: string;
  /** How long an endpoint runs at half rate after a throttle response. */
  throttleCooldownMs?: number;
  /** Told when a call is queued (+1) and when it starts (-1), and how long it waited. */
  onQueue?(endpoint: string, delta: number): void;
  onWait?(endpoint: string, waitedMs: number): void;
  onError?(endpoint: string, error: unknown): void;
}

interface TokenBucket {
  reservoir: number;
  reservoirIncreaseAmount: number;
  reservoirIncreaseInterval: number;
  reservoirIncreaseMaximum: number;
  maxConcurrent: number;
}

/** Turns a budget into bottleneck's token-bucket settings, after static division. */
export function tokenBucketFor(rateLimit: RateLimit, divisor = 1): TokenBucket {
  const rps = Math.max(rateLimit.requestsPerSecond / divisor, 0.001);
  const burst = Math.max(1, Math.floor(rateLimit.burst / divisor));
  // Refill in small steps (at least one token per step, at most every 50 ms) so the rate
  // is smooth without waking the limiter more often than that.
  const interval = Math.max(50, Math.ceil(1000 / rps));
  return {
    reservoir: burst,
    reservoirIncreaseAmount: (rps * interval) / 1000,
    reservoirIncreaseInterval: interval,
    reservoirIncreaseMaximum: burst,
    maxConcurrent: Math.max(1, Math.floor(rateLimit.maxConcurrent / divisor)),
  };
}

export interface ScheduleOptions {
  /**
   * Longest wait for the call to start. A call expected to wait longer is refused before it is
   * queued; one still queued when this runs out is given up (it spends no provider call).
   */
  maxWaitMs?: number;
  /** Gives up the wait (or stops a call not started yet) with the signal's reason. */
  signal?: AbortSignal;
}

interface EndpointEntry {
  limiter: Bottleneck;
  bucket: TokenBucket;
  budget: string;
  /** Calls queued in this limiter and not started yet, including ones whose caller gave up. */
  waiting: number;
  released?: boolean;
  slowedUntil?: unknown;
  /** Replaced after the wall clock stepped back: its queued calls are refused, not held. */
  replaced?: boolean;
}

/** "about 2 h 47 min" for a refusal message. */
function roughly(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  return min < 120 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}

export class EndpointLimiters {
  private readonly endpoints = new Map<string, EndpointEntry>();
  private global: Bottleneck;
  private readonly connection?: Bottleneck.IORedisConnection;
  private readonly clockSteps = new WallClockSteps();

  constructor(private readonly options: EndpointLimitersOptions) {
    this.global = this.makeGlobal();
    if (options.redisUrl) {
      const url = new URL(options.redisUrl);
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`--redis-url must be a redis:// or rediss:// URL, got ${url.protocol}`);
      this.connection = new Bottleneck.IORedisConnection({
        clientOptions: {
          host: url.hostname,
          port: url.port ? Number(url.port) : 6379,
          username: url.username ? decodeURIComponent(url.username) : undefined,
          password: url.password ? decodeURIComponent(url.password) : undefined,
          db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
          tls: url.protocol === 'rediss:' ? {} : undefined,
        },
      });
    }
  }

  /**
   * The limiter of an endpoint, created with the budget of the first store that uses it
   * (stores sharing an endpoint share one budget); `release` lets the next store's budget in.
   */
  limiterFor(endpoint: string, rateLimit: RateLimit): Bottleneck {
    return this.entry(endpoint, rateLimit).limiter;
  }

  /**
   * Runs `work` when the endpoint (and the global cap) allows one more call; with `maxWaitMs`,
   * refuses (LimiterBusy) instead of waiting longer than that.
   */
  async schedule<T>(endpoint: string, rateLimit: RateLimit, work: () => Promise<T>, options: ScheduleOptions = {}): Promise<T> {
    options.signal?.throwIfAborted();
    this.followClockSteps();
    const entry = this.entry(endpoint, rateLimit);
    // A weight above the bucket's size or the concurrency would never run.
    const weight = entry.slowedUntil === undefined ? 1 : Math.min(2, entry.bucket.reservoirIncreaseMaximum, entry.bucket.maxConcurrent);
    // Counted before the reservoir is read, so calls arriving together see each other.
    entry.waiting++;
    if (options.maxWaitMs !== undefined) {
      try {
        const expected = await this.expectedWaitMs(entry, weight);
        if (expected > options.maxWaitMs) throw this.busy(expected);
        options.signal?.throwIfAborted();
      } catch (error) {
        entry.waiting--;
        throw error;
      }
    }
    const queuedAt = this.options.clock.now();
    this.options.onQueue?.(endpoint, 1);
    return new Promise<T>((resolve, reject) => {
      // Set once the call starts or its caller gives up; whichever is first decides.
      let decided = false;
      let timer: unknown;
      const onAbort = () => giveUp(options.signal!.reason);
      const settle = () => {
        decided = true;
        if (timer !== undefined) this.options.clock.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const giveUp = (error: unknown) => {
        if (decided) return;
        settle();
        reject(error);
      };
      if (options.maxWaitMs !== undefined && Number.isFinite(options.maxWaitMs)) {
        timer = this.options.clock.setTimeout(() => {
          void this.expectedWaitMs(entry, weight).then((ms) => giveUp(this.busy(Math.max(ms, 1000))), () => giveUp(this.busy(1000)));
        }, options.maxWaitMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      entry.limiter.schedule({ weight }, async () => {
        entry.waiting--;
        this.options.onQueue?.(endpoint, -1);
        // Its caller left: the token is spent, the provider call is not.
        if (decided) return;
        settle();
        this.options.onWait?.(endpoint, this.options.clock.now() - queuedAt);
        try {
          resolve(await work());
        } catch (error) {
          reject(error);
        }
      }).catch((error: unknown) => {
        // The limiter itself failed (stopped, or its Redis datastore unreachable).
        if (!decided) {
          entry.waiting--;
          this.options.onQueue?.(endpoint, -1);
        }
        giveUp(entry.replaced ? this.busy(1000) : error);
      });
    });
  }

  /** How long the last of the calls waiting (each of `weight`) would wait for tokens, from the reservoir. */
  private async expectedWaitMs(entry: EndpointEntry, weight: number): Promise<number> {
    const reservoir = (await entry.limiter.currentReservoir()) ?? Number.POSITIVE_INFINITY;
    const deficit = entry.waiting * weight - reservoir;
    if (deficit <= 0) return 0;
    const tokensPerMs = entry.bucket.reservoirIncreaseAmount / entry.bucket.reservoirIncreaseInterval;
    return Math.ceil(deficit / tokensPerMs);
  }

  private busy(retryAfterMs: number): ThrottledError {
    return new ThrottledError(`the store's rate limit (spec.rateLimit) allows this call in about ${roughly(retryAfterMs)}; it will be tried then`, {
      reason: LIMITER_BUSY_REASON,
      retryAfterMs,
    });
  }

  /**
   * A throttle was received from this endpoint: drop the tokens left and, for a while,
   * make every call take two tokens (half the rate), so retries and other callers do not
   * keep the storm going. Weights rather than `updateSettings`, because bottleneck 2.19's
   * `updateSettings` stops the heartbeat that refills the reservoir.
   */
  slowDown(endpoint: string, retryAfterMs = 0): void {
    const entry = this.endpoints.get(endpoint);
    if (!entry) return;
    const cooldown = Math.max(this.options.throttleCooldownMs ?? 5_000, retryAfterMs);
    if (entry.slowedUntil !== undefined) this.options.clock.clearTimeout(entry.slowedUntil);
    else {
      void entry.limiter
        .currentReservoir()
        .then((left) => (left && left > 0 ? entry.limiter.incrementReservoir(-left) : undefined))
        .catch((error: unknown) => this.options.onError?.(endpoint, error));
    }
    entry.slowedUntil = this.options.clock.setTimeout(() => {
      entry.slowedUntil = undefined;
    }, cooldown);
  }

  /**
   * A store on this endpoint changed its spec: the next call may bring a new budget. Only a
   * different budget replaces the limiter (calls already queued still run under the old
   * one); the same budget keeps it, so a store that keeps failing does not refill the burst.
   */
  release(endpoint: string): void {
    const entry = this.endpoints.get(endpoint);
    if (entry) entry.released = true;
  }

  isSlowed(endpoint: string): boolean {
    return this.endpoints.get(endpoint)?.slowedUntil !== undefined;
  }

  get size(): number {
    return this.endpoints.size;
  }

  async close(): Promise<void> {
    for (const entry of this.endpoints.values()) {
      if (entry.slowedUntil !== undefined) this.options.clock.clearTimeout(entry.slowedUntil);
      await entry.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    }
    this.endpoints.clear();
    await this.global.stop({ dropWaitingJobs: true }).catch(() => undefined);
    await this.connection?.disconnect(false);
  }

  private makeGlobal(): Bottleneck {
    const cap = this.options.globalCap ?? { maxConcurrent: 256 };
    return new Bottleneck({
      maxConcurrent: cap.maxConcurrent,
      ...(cap.requestsPerSecond ? tokenBucketFor({ requestsPerSecond: cap.requestsPerSecond, burst: cap.requestsPerSecond, maxConcurrent: cap.maxConcurrent }) : {}),
    });
  }

  /** Makes every limiter again when the wall clock stepped back (see the top of this file). */
  private followClockSteps(): void {
    // Forward steps: bottleneck copes (a forward step refills the buckets).
    if (!this.clockSteps.steppedBack()) return;
    const old = [...this.endpoints.values()];
    const oldGlobal = this.global;
    this.endpoints.clear();
    this.global = this.makeGlobal();
    for (const entry of old) {
      entry.replaced = true;
      if (entry.slowedUntil !== undefined) this.options.clock.clearTimeout(entry.slowedUntil);
      void entry.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    }
    void oldGlobal.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }

  private entry(endpoint: string, rateLimit: RateLimit): EndpointEntry {
    const budget = `${rateLimit.requestsPerSecond}/${rateLimit.burst}/${rateLimit.maxConcurrent}`;
    let entry = this.endpoints.get(endpoint);
    if (entry?.released) {
      entry.released = false;
      if (entry.budget !== budget) {
        if (entry.slowedUntil !== undefined) this.options.clock.clearTimeout(entry.slowedUntil);
        void entry.limiter.stop({ dropWaitingJobs: false }).catch((error: unknown) => this.options.onError?.(endpoint, error));
        this.endpoints.delete(endpoint);
        entry = undefined;
      }
    }
    if (entry) return entry;
    const divisor = this.connection ? 1 : Math.max(1, this.options.shardCount ?? 1);
    const bucket = tokenBucketFor(rateLimit, divisor);
    const limiter = new Bottleneck({
      ...bucket,
      // bottleneck only hands out refilled tokens on its heartbeat (5 s in Redis mode);
      // tie it to the refill step so the configured rate is what is reached.
      heartbeatInterval: bucket.reservoirIncreaseInterval,
      // The budget is part of the Redis id: bottleneck keeps the settings it finds in Redis,
      // so a changed budget must name a new shared bucket.
      ...(this.connection ? { id: `keyferry-endpoint:${endpoint}:${budget}`, datastore: 'ioredis', clearDatastore: false, connection: this.connection } : {}),
    } as Bottleneck.ConstructorOptions);
    // Datastore errors (Redis unreachable) surface on the scheduled calls; keep the event
    // from becoming an unhandled 'error'.
    limiter.on('error', (error: unknown) => this.options.onError?.(endpoint, error));
    limiter.chain(this.global);
    entry = { limiter, bucket, budget, waiting: 0 };
    this.endpoints.set(endpoint, entry);
    return entry;
  }
}
