// When each "latest" remote secret of a store is read again. Periodic refreshes read a remote
// secret at a fixed rhythm (its readers' refresh slot, once an interval), so the next read of
// a key is predictable from its last two. A batch call that goes out with room to spare takes
// along the keys whose next read is due within a fraction of their readers' accepted age
// (`maxAgeMs`): when those readers come, the value is in the cache and younger than they
// accept, and they cost no call of their own. Refreshes spread over the interval thus share
// batch calls without being moved, and no reader is served anything older than it accepts.
import type { RemoteRef } from '../../providers/contract/index.js';

/** Share of the readers' accepted age by which a read may come early; the rest is slack for late readers. */
export const AHEAD_SHARE = 0.75;

interface Rhythm {
  ref: RemoteRef;
  /** When the current round of reads (the readers of one slot) began. */
  roundAt: number;
  /** Time between the last two rounds, once there were two. */
  periodMs?: number;
  /** The lowest accepted age of this round's readers. */
  maxAgeMs: number;
}

export interface DueRead {
  cacheKey: string;
  ref: RemoteRef;
  /** How long the value may be kept in the cache: what its readers accept. */
  maxAgeMs: number;
}

export class ReadRhythms {
  private readonly stores = new Map<string, Map<string, Rhythm>>();

  /** A reader asked for `cacheKey` at `now` and accepts a cached value younger than `maxAgeMs`. */
  record(storeId: string, cacheKey: string, ref: RemoteRef, maxAgeMs: number, now: number): void {
    let keys = this.stores.get(storeId);
    if (!keys) {
      keys = new Map();
      this.stores.set(storeId, keys);
    }
    const rhythm = keys.get(cacheKey);
    if (!rhythm) {
      keys.set(cacheKey, { ref, roundAt: now, maxAgeMs });
    } else if (now - rhythm.roundAt < rhythm.maxAgeMs) {
      // Another reader of the same round (same slot): it would take the cached value anyway.
      rhythm.maxAgeMs = Math.min(rhythm.maxAgeMs, maxAgeMs);
    } else {
      rhythm.periodMs = now - rhythm.roundAt;
      rhythm.roundAt = now;
      rhythm.maxAgeMs = maxAgeMs;
      rhythm.ref = ref;
    }
  }

  /**
   * Up to `limit` keys of the store, earliest first, whose next read is due from now to
   * `AHEAD_SHARE` of their accepted age ahead (or was due as long ago and has not come yet),
   * leaving out `skip` and keys `covered` already answers for that read. Keys not read for
   * three periods (or ten minutes, whichever is longer) are forgotten.
   */
  due(storeId: string, now: number, limit: number, skip: (cacheKey: string) => boolean, covered: (cacheKey: string, dueAt: number, maxAgeMs: number) => boolean): DueRead[] {
    const keys = this.stores.get(storeId);
    if (!keys || limit <= 0) return [];
    const found: Array<DueRead & { dueAt: number }> = [];
    for (const [cacheKey, rhythm] of keys) {
      if (now - rhythm.roundAt > Math.max(3 * (rhythm.periodMs ?? 0), 600_000)) {
        keys.delete(cacheKey);
        continue;
      }
      // A rhythm shorter than the accepted age needs no help: its readers hit the cache.
      if (rhythm.periodMs === undefined || rhythm.periodMs <= rhythm.maxAgeMs) continue;
      const dueAt = rhythm.roundAt + rhythm.periodMs;
      const ahead = rhythm.maxAgeMs * AHEAD_SHARE;
      if (dueAt - now > ahead || now - dueAt > ahead) continue;
      if (skip(cacheKey) || covered(cacheKey, dueAt, ahead)) continue;
      found.push({ cacheKey, ref: rhythm.ref, maxAgeMs: rhythm.maxAgeMs, dueAt });
    }
    if (keys.size === 0) this.stores.delete(storeId);
    return found
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit)
      .map(({ cacheKey, ref, maxAgeMs }) => ({ cacheKey, ref, maxAgeMs }));
  }

  forgetStore(storeId: string): void {
    this.stores.delete(storeId);
  }
}
