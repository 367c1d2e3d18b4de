// The content hash that names a version: SHA-256 over a canonical encoding of what the
// Secret holds, so the same content always gets the same name and a retry cannot duplicate it.
import { createHash } from 'node:crypto';

export interface VersionContent {
  type: string;
  data: Record<string, Buffer>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const sortedEntries = <T>(record: Record<string, T>): Array<[string, T]> =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** First 10 hex digits of SHA-256 over type, data, template labels and annotations. */
export function contentHash(content: VersionContent): string {
  // JSON of sorted pairs is unambiguous (keys and values are escaped), unlike plain joins.
  const canonical = JSON.stringify([
    'keyferry.io/v1',
    content.type,
    sortedEntries(content.data).map(([k, v]) => [k, v.toString('base64')]),
    sortedEntries(content.labels),
    sortedEntries(content.annotations),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 10);
}

/** `<target>-<hash>`; targets too long for a Secret name with the suffix are refused upstream. */
export function versionedName(targetName: string, hash: string): string {
  return `${targetName}-${hash}`;
}

/** Longest `target.name` that still leaves room for `-<10 hex>` in a 253-char Secret name. */
export const MAX_TARGET_NAME_LENGTH = 253 - 11;
