// A deterministic per-key delay, so thousands of ExternalSecrets with the same interval
// spread their refreshes instead of firing in the same second, and a restart keeps the spread.
import { createHash } from 'node:crypto';

/** Up to 10% of the interval, at most 60 s, derived from the key. */
export function refreshJitterMs(key: string, intervalMs: number): number {
  const span = Math.min(intervalMs * 0.1, 60_000);
  const fraction = createHash('sha256').update(key).digest().readUInt32BE(0) / 0x1_0000_0000;
  return Math.floor(span * fraction);
}
