// Keeps what remote reads returned: pinned versions until evicted (bounded by bytes, least
// recently used first), "latest" reads only for the store's short TTL. A reader may ask for
// something younger than the TTL (its own refresh interval calls for it).
import { LRUCache } from 'lru-cache';
import type { RemoteSecret } from '../../providers/contract/index.js';
import type { FetchClock } from './fetch-clock.js';

export interface FetchCacheOptions {
  /** Upper bound on cached bytes (values, fields and keys). */
  maxBytes: number;
  clock: FetchClock;
}

function secretSize(key: string, secret: RemoteSecret): number {
  let size = key.length + secret.value.length + 64;
  for (const [name, field] of Object.entries(secret.fields ?? {})) size += name.length + field.length;
  return size;
}

interface Entry {
  secret: RemoteSecret;
  storedAt: number;
}

export class FetchCache {
  private readonly lru: LRUCache<string, Entry>;

  constructor(private readonly options: FetchCacheOptions) {
    this.lru = new LRUCache<string, Entry>({
      maxSize: options.maxBytes,
      sizeCalculation: (entry, key) => secretSize(key, entry.secret),
      // A secret bigger than the whole cache is simply not kept.
      maxEntrySize: options.maxBytes,
      // lru-cache reads time through `perf`; the injected clock keeps TTLs testable.
      perf: { now: () => options.clock.now() },
      ttlResolution: 0,
    });
  }

  /** A metadata read (`metadata`) is another answer than the value's: its own entry. */
  static key(storeId: string, key: string, version: string | undefined, metadata?: boolean): string {
    return `${storeId}\u0000${key}\u0000${version ?? ''}${metadata ? '\u0000metadata' : ''}`;
  }

  /** The cached secret, if younger than `maxAgeMs` (0 accepts nothing cached). */
  get(cacheKey: string, maxAgeMs?: number): RemoteSecret | undefined {
    const entry = this.lru.get(cacheKey);
    if (!entry || (maxAgeMs !== undefined && this.options.clock.now() - entry.storedAt >= maxAgeMs)) return undefined;
    return entry.secret;
  }

  /** `ttlMs` undefined keeps the entry until evicted (pinned); 0 does not keep it. */
  set(cacheKey: string, secret: RemoteSecret, ttlMs: number | undefined): void {
    if (ttlMs === 0) return;
    this.lru.set(cacheKey, { secret, storedAt: this.options.clock.now() }, ttlMs === undefined ? {} : { ttl: ttlMs });
  }

  /** When the entry under `cacheKey` was stored, if one is kept (not counted as a use). */
  storedAt(cacheKey: string): number | undefined {
    return this.lru.peek(cacheKey)?.storedAt;
  }

  forgetStore(storeId: string): void {
    const prefix = `${storeId}\u0000`;
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix)) this.lru.delete(key);
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get size(): number {
    return this.lru.size;
  }
}
