// Annotation and label keys of the workload features (rollout, alias, maxAge), beside the API's
// own in src/api/constants.ts.

/**
 * On a followed workload: `<es>=<version>[,…]`, the version keyferry last moved it to for each
 * ExternalSecret. A version already recorded is not rolled out again, so a `kubectl rollout undo`
 * stays undone until the next new version.
 */
export const ANNOTATION_ROLLED_OUT = 'keyferry.io/rolled-out';
/** On a followed workload's pod template, with alias: `<es>=<version>[,…]`; a new value restarts its Pods. */
export const ANNOTATION_ALIAS_VERSIONS = 'keyferry.io/alias-versions';
/** On the alias Secret: the versioned Secret whose data it holds. */
export const ANNOTATION_VERSION = 'keyferry.io/version';
/** On the alias Secret: the ExternalSecret it belongs to (an annotation: names can exceed a label's 63 characters). */
export const ANNOTATION_ALIAS_OF = 'keyferry.io/alias-of';
/** On the alias Secret. */
export const LABEL_ALIAS = 'keyferry.io/alias';
/** On a version written under `maxAge`: the maxAge period it belongs to; part of the content hash. */
export const ANNOTATION_MAX_AGE_PERIOD = 'keyferry.io/max-age-period';
/** On the `keyferry-versions` ConfigMap. */
export const LABEL_PUBLISHED_BY = 'app.kubernetes.io/managed-by';

/** Parses `<es>=<value>[,…]`. */
export function parsePairs(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (value ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export function formatPairs(pairs: Map<string, string>): string {
  return [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join(',');
}
