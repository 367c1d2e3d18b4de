// A connected 1Password Connect store. Items are looked up by id or exact title in the
// configured vaults, in priority order; the first vault holding the item answers.
import type { OPConnect } from '@1password/connect';
import {
  ConfigError,
  InvalidDataError,
  NotFoundError,
  type CallContext,
  type Clock,
  type FindQuery,
  type ProviderClient,
  type ProviderError,
  type ProviderObserver,
  type RemoteRef,
  type RemoteSecret,
  type StoreValidation,
} from '../contract/index.js';
import { isAmbiguousTitle, isConnectError, toProviderError } from './errors.js';
import { itemToSecret, type ItemLike } from './item-secret.js';
import { withSignal, type ConnectTransport } from './http-transport.js';

/** 1Password ids are 26 lowercase letters and digits. */
const idPattern = /^[a-z0-9]{26}$/;

interface ResolvedVault {
  name: string;
  id: string;
}

export interface OnePasswordClientParts {
  connect: OPConnect;
  transport: ConnectTransport;
  /** Configured vault names (or ids) in search order. */
  vaults: string[];
  clock: Clock;
  observer: ProviderObserver;
  redact: readonly string[];
  warnings: string[];
}

export class OnePasswordClient implements ProviderClient {
  private resolved?: Promise<ResolvedVault[]>;

  constructor(private readonly parts: OnePasswordClientParts) {}

  private fail(error: unknown, action: string): ProviderError {
    return toProviderError(error, { action, redact: this.parts.redact });
  }

  /** Runs one Connect call, reporting it to the observer; rejections stay as the SDK made them. */
  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const started = this.parts.clock.now();
    try {
      const result = await run();
      this.parts.observer.observe({ operation, outcome: 'success', durationMs: this.parts.clock.now() - started, status: '200' });
      return result;
    } catch (error) {
      const mapped = this.fail(error, operation);
      this.parts.observer.observe({ operation, outcome: mapped.kind, durationMs: this.parts.clock.now() - started, status: mapped.code ?? mapped.reason });
      throw error;
    }
  }

  private vaults(): Promise<ResolvedVault[]> {
    this.resolved ??= (async () => {
      const out: ResolvedVault[] = [];
      for (const name of this.parts.vaults) {
        try {
          const vault = await this.call('GetVault', () => this.parts.connect.getVault(name));
          if (!vault.id) throw new Error('vault without id');
          out.push({ name, id: vault.id });
        } catch (error) {
          if (isConnectError(error) && (error.status === 404 || (error.status === 400 && /multiple vaults/i.test(error.message)))) {
            throw new ConfigError(`1Password Connect: vault "${name}" in spec.provider.onepassword.vaults: ${error.message}`, { reason: 'VaultNotFound', redact: this.parts.redact, cause: error });
          }
          throw this.fail(error, `resolving vault "${name}"`);
        }
      }
      return out;
    })();
    // A failed resolution is retried on the next call instead of being remembered.
    this.resolved.catch(() => {
      this.resolved = undefined;
    });
    return this.resolved;
  }

  /** The item with this id or exact title in one vault, undefined when the vault has none. */
  private async findItem(vault: ResolvedVault, key: string): Promise<ItemLike | undefined> {
    if (idPattern.test(key)) {
      try {
        return await this.call('GetItem', () => this.parts.connect.getItemById(vault.id, key));
      } catch (error) {
        if (!(isConnectError(error) && error.status === 404)) throw error;
        // Not an id in this vault; it may still be a title that looks like one.
      }
    }
    try {
      return await this.call('GetItem', () => this.parts.connect.getItemByTitle(vault.id, key));
    } catch (error) {
      if (isConnectError(error) && error.status === 404) return undefined;
      if (isAmbiguousTitle(error)) {
        throw new InvalidDataError(`1Password Connect: more than one item is titled "${key}" in vault "${vault.name}"; refer to it by item id`, { reason: 'AmbiguousTitle', redact: this.parts.redact });
      }
      throw error;
    }
  }

  async fetch(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret> {
    return withSignal(ctx?.signal, () => this.fetchItem(ref));
  }

  private async fetchItem(ref: RemoteRef): Promise<RemoteSecret> {
    const what = `reading item "${ref.key}"`;
    try {
      for (const vault of await this.vaults()) {
        const item = await this.findItem(vault, ref.key);
        if (!item) continue;
        if (ref.version !== undefined && String(item.version) !== ref.version) {
          // Connect serves only an item's current version.
          throw new NotFoundError(`1Password Connect: item "${ref.key}" is at version ${item.version}; version ${ref.version} is no longer readable`, { reason: 'VersionNotCurrent' });
        }
        const files = new Map<string, Buffer>();
        if (String(item.category) === 'DOCUMENT') {
          for (const file of item.files ?? []) {
            if (!file.id || !file.name) continue;
            files.set(file.name, await this.call('GetFileContent', () => this.fileContent(vault.id, item.id!, file.id!)));
          }
        }
        return itemToSecret(item, vault.name, files);
      }
    } catch (error) {
      throw this.fail(error, what);
    }
    throw new NotFoundError(`1Password Connect: no item "${ref.key}" in vaults ${this.parts.vaults.map((v) => `"${v}"`).join(', ')}`, { reason: 'ItemNotFound' });
  }

  private async fileContent(vaultId: string, itemId: string, fileId: string): Promise<Buffer> {
    // The stream form keeps binary files intact (the string form decodes them as UTF-8).
    const stream = await this.parts.connect.getFileContentStream(vaultId, itemId, fileId);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as unknown as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }

  async find(query: FindQuery, ctx?: CallContext): Promise<string[]> {
    return withSignal(ctx?.signal, () => this.findTitles(query));
  }

  private async findTitles(query: FindQuery): Promise<string[]> {
    const wanted = Object.entries(query.tags ?? {});
    const titles = new Set<string>();
    try {
      for (const vault of await this.vaults()) {
        const items = await this.call('ListItems', () => this.parts.connect.listItems(vault.id));
        for (const item of items) {
          if (!item.title || item.trashed) continue;
          if (query.path !== undefined && !item.title.startsWith(query.path)) continue;
          if (query.name && !query.name.test(item.title)) continue;
          if (!wanted.every(([k, v]) => tagMatches(item.tags ?? [], k, v))) continue;
          titles.add(item.title);
        }
      }
    } catch (error) {
      throw this.fail(error, 'listing items');
    }
    return [...titles].sort();
  }

  async validate(ctx?: CallContext): Promise<StoreValidation> {
    try {
      // Resolving every configured vault proves the token and its vault scope.
      await withSignal(ctx?.signal, () => this.vaults());
    } catch (error) {
      throw this.fail(error, 'checking the vaults');
    }
    return { warnings: [...this.parts.warnings] };
  }

  async close(): Promise<void> {
    this.parts.transport.close();
  }
}

/**
 * 1Password tags are plain strings; a query tag `{k: v}` matches the tag `k:v` or `k=v`,
 * or the bare tag `k` when `v` is empty.
 */
function tagMatches(tags: string[], key: string, value: string): boolean {
  if (value === '') return tags.includes(key);
  return tags.includes(`${key}:${value}`) || tags.includes(`${key}=${value}`);
}
