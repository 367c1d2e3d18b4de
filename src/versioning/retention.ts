// Which versions of a target to delete (DESIGN §2): keep the current one, the `retain`
// newest previous ones, anything still in use, and what is younger than `minRetention`
// (at most `maxYoung` of those).
// Pure; "in use" comes from the index of Secret names that Pods, pod templates and
// ControllerRevisions reference (src/workloads/secret-reference-index.ts).

export interface StoredVersion {
  name: string;
  createdAt: Date;
  /** Tie-break for versions created in the same second (creation timestamps have 1 s resolution), e.g. resourceVersion. */
  sequence?: number;
}

export interface RetentionPolicy {
  /** Previous versions kept besides the current one (default 2). */
  retain: number;
  /** Versions younger than this are kept (default 1h), up to `maxYoung` of them. */
  minRetentionMs: number;
  /**
   * Versions younger than minRetention kept besides the current and `retain` ones (default
   * MAX_YOUNG_VERSIONS), so a burst of edits or rotations cannot pile up versions for an hour.
   */
  maxYoung?: number;
}

/** Default cap on young versions kept beyond `retain`; versions in use are kept regardless. */
export const MAX_YOUNG_VERSIONS = 5;

export const DEFAULT_RETENTION: RetentionPolicy = { retain: 2, minRetentionMs: 60 * 60 * 1000, maxYoung: MAX_YOUNG_VERSIONS };

/** Says whether something in the cluster still references a version; the default says no. */
export type InUseCheck = (name: string) => boolean;

export function newestFirst(versions: readonly StoredVersion[]): StoredVersion[] {
  return [...versions].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (b.sequence ?? 0) - (a.sequence ?? 0) || (a.name < b.name ? 1 : -1));
}

/** Returns the names to delete, oldest first. */
export function versionsToPrune(
  versions: readonly StoredVersion[],
  currentName: string,
  policy: RetentionPolicy,
  nowMs: number,
  inUse: InUseCheck = () => false,
): string[] {
  let kept = 0;
  let young = 0;
  const maxYoung = policy.maxYoung ?? MAX_YOUNG_VERSIONS;
  const prune: string[] = [];
  for (const v of newestFirst(versions)) {
    if (v.name === currentName) continue;
    if (kept < policy.retain) {
      kept++;
      continue;
    }
    if (inUse(v.name)) continue;
    if (nowMs - v.createdAt.getTime() < policy.minRetentionMs && young < maxYoung) {
      young++;
      continue;
    }
    prune.push(v.name);
  }
  return prune.reverse();
}

/**
 * When the next version that retention keeps only for its age may go (it is beyond `retain`
 * and nothing references it): a reconcile then prunes it without waiting for the next refresh.
 */
export function nextPruneAt(
  versions: readonly StoredVersion[],
  currentName: string,
  policy: RetentionPolicy,
  nowMs: number,
  inUse: InUseCheck = () => false,
): number | undefined {
  let kept = 0;
  let next: number | undefined;
  for (const v of newestFirst(versions)) {
    if (v.name === currentName) continue;
    if (kept < policy.retain) {
      kept++;
      continue;
    }
    const at = v.createdAt.getTime() + policy.minRetentionMs;
    if (at > nowMs && !inUse(v.name)) next = next === undefined ? at : Math.min(next, at);
  }
  return next;
}
