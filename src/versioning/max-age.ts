// `target.versioning.maxAge`: no version stays current longer than maxAge, for stores whose
// values rotate by time without the provider showing a change. Time is cut into maxAge periods,
// offset per ExternalSecret so that many of them do not renew at once; the period a sync falls
// in is an annotation of the version and part of its content hash, so the first sync of a new
// period re-reads the remote (bypassing caches) and writes a new version even if nothing changed.
// The same content within one period still gives the same name, so a retry never duplicates.
import { createHash } from 'node:crypto';

/** The shortest maxAge: below it renewals would churn versions and rollouts. */
export const MIN_MAX_AGE_MS = 60_000;

export interface MaxAgePeriod {
  /** When the period began (ISO), the annotation value. */
  startedAt: string;
  /** When the next one begins (ms): the current version must be renewed then. */
  endsAt: number;
}

/** The maxAge period that `nowMs` falls in for the ExternalSecret `key` (namespace/name). */
export function maxAgePeriod(maxAgeMs: number, nowMs: number, key: string): MaxAgePeriod {
  const offset = createHash('sha256').update(key).digest().readUInt32BE(0) % maxAgeMs;
  const index = Math.floor((nowMs - offset) / maxAgeMs);
  const start = index * maxAgeMs + offset;
  return { startedAt: new Date(start).toISOString(), endsAt: start + maxAgeMs };
}
