// The hash that names a version: an HMAC-SHA-256, under the operator's version key, over a
// canonical encoding of what the Secret holds. Same content, same name, so a retry or a
// crash cannot make a duplicate; keyed, so a name does not let anyone who can list Secrets
// test guesses of a low-entropy value offline (an unkeyed hash of a 6-digit PIN falls in a second).
import { createHmac } from 'node:crypto';

export interface VersionContent {
  type: string;
  data: Record<string, Buffer>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const sortedEntries = <T>(record: Record<string, T>): Array<[string, T]> =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Hex digits of the HMAC in a version's name (and in `status.versions[].hash`). */
export const VERSION_HASH_LENGTH = 10;

/** First 10 hex digits of HMAC-SHA-256(key, type, data, template labels and annotations). */
export function contentHash(content: VersionContent, key: Buffer): string {
  // JSON of sorted pairs is unambiguous (keys and values are escaped), unlike plain joins.
  const canonical = JSON.stringify([
    'keyferry.io/v1',
    content.type,
    sortedEntries(content.data).map(([k, v]) => [k, v.toString('base64')]),
    sortedEntries(content.labels),
    sortedEntries(content.annotations),
  ]);
  return createHmac('sha256', key).update(canonical).digest('hex').slice(0, VERSION_HASH_LENGTH);
}

/** `<target>-<hash>`; targets too long for a Secret name with the suffix are refused upstream. */
export function versionedName(targetName: string, hash: string): string {
  return `${targetName}-${hash}`;
}

/** Longest `target.name` that still leaves room for `-<10 hex>` in a 253-char Secret name. */
export const MAX_TARGET_NAME_LENGTH = 253 - 1 - VERSION_HASH_LENGTH;
