// What the store reconciler learned about each store: whether it is Ready and, if so, its
// connected client. ExternalSecret reconciles read it; only the store reconciler writes it.
// Clients are cached per store and spec hash, so a spec change reconnects and nothing else does.
import type { StoreHandle } from '../fetch/remote-fetcher.js';

export interface StoreState {
  /** Hash of the spec this state was computed from. */
  specHash: string;
  ready: boolean;
  reason: string;
  message: string;
  handle?: StoreHandle;
  /** When the store was last validated (ms); `spec.refreshInterval` re-validates it from then on. */
  validatedAt?: number;
}

export class StoreRegistry {
  private readonly states = new Map<string, StoreState>();

  get(key: string): StoreState | undefined {
    return this.states.get(key);
  }

  /** Replaces a store's state; returns the client it replaced, if any, for closing. */
  set(key: string, state: StoreState): StoreHandle | undefined {
    const old = this.states.get(key);
    this.states.set(key, state);
    return old?.handle && old.handle !== state.handle ? old.handle : undefined;
  }

  delete(key: string): StoreHandle | undefined {
    const old = this.states.get(key);
    this.states.delete(key);
    return old?.handle;
  }

  handles(): StoreHandle[] {
    return [...this.states.values()].flatMap((s) => (s.handle ? [s.handle] : []));
  }
}
