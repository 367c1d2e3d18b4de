// When a periodic ExternalSecret refreshes next. Refreshes sit on a fixed slot within each
// interval, derived from what the ExternalSecret reads (its store and first remote key), not
// from when it last happened to sync:
// - every ExternalSecret reading the same remote secret refreshes at the same instant, so
//   the fetch path merges them into one provider call and all consumers switch together;
// - a store's remote secrets fall into REFRESH_SLOTS groups spread over the interval, so each
//   group goes out as a few batch calls and the refreshes are spread, never all at once.
// The slot is also stable across restarts and replicas. ExternalSecrets with different
// intervals share slots only when one interval divides the other.
import { createHash } from 'node:crypto';

/** Groups per interval: with AWS batches of 20, 2 000 remote secrets refresh in ~100 calls. */
export const REFRESH_SLOTS = 100;

/** Where in each interval the slot of `phaseKey` sits, in ms from an interval boundary. */
export function refreshOffsetMs(phaseKey: string, intervalMs: number): number {
  const slot = createHash('sha256').update(phaseKey).digest().readUInt32BE(0) % REFRESH_SLOTS;
  return Math.floor((slot * intervalMs) / REFRESH_SLOTS);
}

/**
 * The refresh after a sync at `lastMs`: the slot instant in (lastMs, lastMs + interval],
 * so no value is ever older than one interval. The first refresh after a sync outside the
 * slot (creation, a spec change, a restart) comes early once; from then on it is periodic.
 */
export function nextRefreshAt(lastMs: number, intervalMs: number, phaseKey: string): number {
  if (intervalMs <= 0) return Number.POSITIVE_INFINITY;
  const offset = refreshOffsetMs(phaseKey, intervalMs);
  const limit = lastMs + intervalMs;
  return Math.floor((limit - offset) / intervalMs) * intervalMs + offset;
}

/**
 * How old a cached "latest" read an ExternalSecret accepts when its store does not say
 * (`spec.cache.latestTTL`): a tenth of its interval, between 1 s and 10 s. Enough to merge
 * the readers of one slot; a refresh never sees a value older than that.
 */
export function latestMaxAgeMs(intervalMs: number): number {
  return Math.min(10_000, Math.max(1_000, Math.floor(intervalMs / 10)));
}

/** How stale `status.refreshTime` may be before a refresh that changed nothing writes it: ten intervals, at least an hour. */
export function refreshTimeResolutionMs(intervalMs: number): number {
  return Math.max(10 * intervalMs, 3_600_000);
}
