// A connected `fake` store: answers from the data in its spec, through the same contract
// (errors, versions, find) a real provider uses, so the controller is exercised end to end.
import { createHash } from 'node:crypto';
import {
  NotFoundError,
  type CallContext,
  type FindQuery,
  type ProviderClient,
  type ProviderObserver,
  type Clock,
  type RemoteRef,
  type RemoteSecret,
  type StoreValidation,
} from '../contract/index.js';
import type { FakeConfig, FakeDataEntry } from './config.js';

/** A version id for entries without one: derived from the value so it changes when the value does. */
function impliedVersion(entry: FakeDataEntry): string {
  return entry.version ?? `h-${createHash('sha256').update(entry.value).digest('hex').slice(0, 12)}`;
}

export class FakeClient implements ProviderClient {
  constructor(
    private readonly config: FakeConfig,
    private readonly clock: Clock,
    private readonly observer: ProviderObserver,
  ) {}

  async fetch(ref: RemoteRef, _ctx?: CallContext): Promise<RemoteSecret> {
    const started = this.clock.now();
    const candidates = this.config.data.filter((e) => e.key === ref.key);
    const entry = ref.version === undefined
      ? candidates[candidates.length - 1]
      : candidates.find((e) => impliedVersion(e) === ref.version);
    if (!entry) {
      this.observer.observe({ operation: 'GetSecret', outcome: 'NotFound', durationMs: this.clock.now() - started, status: 'NotFound' });
      const what = ref.version === undefined ? `"${ref.key}"` : `"${ref.key}" at version "${ref.version}"`;
      throw new NotFoundError(`remote secret ${what} not found in fake store`, { reason: 'SecretNotFound' });
    }
    this.observer.observe({ operation: 'GetSecret', outcome: 'success', durationMs: this.clock.now() - started, status: 'OK' });
    return { value: Buffer.from(entry.value, 'utf8'), versionId: impliedVersion(entry) };
  }

  async find(query: FindQuery, _ctx?: CallContext): Promise<string[]> {
    // The fake store has no tags: a tag query matches nothing rather than everything.
    if (query.tags && Object.keys(query.tags).length > 0) return [];
    const keys = new Set<string>();
    for (const e of this.config.data) {
      if (query.path !== undefined && !e.key.startsWith(query.path)) continue;
      if (query.name && !query.name.test(e.key)) continue;
      keys.add(e.key);
    }
    this.observer.observe({ operation: 'ListSecrets', outcome: 'success', durationMs: 0, status: 'OK' });
    return [...keys].sort();
  }

  async validate(_ctx?: CallContext): Promise<StoreValidation> {
    return { warnings: [] };
  }

  async close(): Promise<void> {}
}
