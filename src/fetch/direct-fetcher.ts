// A RemoteFetcher with nothing in between: each call goes straight to the store's client.
// Used where the full fetch path is not wanted (tests, and until it is wired in).
import { ConfigError, type FindQuery, type RemoteRef, type RemoteSecret } from '../../providers/contract/index.js';
import type { FetchOptions, RemoteFetcher, StoreHandle } from './remote-fetcher.js';

export class DirectFetcher implements RemoteFetcher {
  fetch(store: StoreHandle, ref: RemoteRef, options?: FetchOptions): Promise<RemoteSecret> {
    if (ref.metadata) {
      if (!store.client.fetchMetadata) return Promise.reject(new ConfigError(`provider "${store.provider}" does not read remote metadata`, { reason: 'MetadataNotSupported' }));
      return store.client.fetchMetadata(ref, { signal: options?.signal });
    }
    return store.client.fetch(ref, { signal: options?.signal });
  }

  async find(store: StoreHandle, query: FindQuery, options?: FetchOptions): Promise<string[]> {
    if (!store.client.find) return [];
    return store.client.find(query, { signal: options?.signal });
  }

  forgetStore(_storeId: string): void {}
}
