// Splits ExternalSecrets between replicas run with --shard-index/--shard-count: each owns
// the remote groups (remote-group.ts) whose hash falls on its index, so two replicas never
// fetch the same remote secret for the same refresh. Every replica still watches everything;
// it reconciles what it owns, caches other shards' ExternalSecrets reduced and their versions
// not at all (shard-view.ts), and connects only the stores it uses (store-reconciler.ts).
import { createHash } from 'node:crypto';

export interface Shard {
  index: number;
  count: number;
}

export function shardOf(groupKey: string, count: number): number {
  return createHash('sha256').update(groupKey).digest().readUInt32BE(0) % count;
}

export function ownsGroup(shard: Shard | undefined, groupKey: string): boolean {
  return !shard || shard.count <= 1 || shardOf(groupKey, shard.count) === shard.index;
}
