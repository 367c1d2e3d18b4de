// A connected Vault KV store (v1 or v2) over node-vault. Every call runs with a token the
// session keeps fresh; a 403 that says the token is bad triggers one new login and one retry.
import type NodeVault from 'node-vault';
import {
  ConfigError,
  InvalidDataError,
  NotFoundError,
  type CallContext,
  type Clock,
  type FindQuery,
  type ProviderClient,
  type ProviderObserver,
  type RemoteRef,
  type RemoteSecret,
  type StoreValidation,
} from '../contract/index.js';
import { isBadTokenError, mapVaultError, vaultStatus } from './errors.js';
import type { VaultSession } from './session.js';

interface KvV2Metadata {
  created_time?: string;
  custom_metadata?: Record<string, string> | null;
  deletion_time?: string;
  destroyed?: boolean;
  version?: number;
}

export interface VaultClientOptions {
  vault: NodeVault.client;
  session: VaultSession;
  /** The KV mount; undefined when every key starts with its own mount. */
  mount?: string;
  kvVersion: 'v1' | 'v2';
  clock: Clock;
  observer: ProviderObserver;
  plaintext: boolean;
  /** Releases what `connect` opened (connections). */
  onClose?: () => void;
}

/** Each entry of a Vault data map as bytes: strings as they are, anything else as JSON. */
function toFields(data: Record<string, unknown>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data)) {
    if (v === null || v === undefined) continue;
    out[k] = Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');
  }
  return out;
}

function parseTime(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export class VaultKvClient implements ProviderClient {
  /** KV v2 only: a read's answer carries custom_metadata (what ESO reads); KV v1 has none. */
  readonly fetchMetadata?: (ref: RemoteRef, ctx?: CallContext) => Promise<RemoteSecret>;

  constructor(private readonly options: VaultClientOptions) {
    if (options.kvVersion === 'v2') this.fetchMetadata = (ref, ctx) => this.fetch(ref, ctx);
  }

  /**
   * Splits a key into mount and path. With a configured mount, a key that repeats it is
   * accepted too; without one, the key's first segment is the mount.
   */
  private locate(key: string): { mount: string; path: string } {
    const trimmed = key.replace(/^\/+/, '');
    const configured = this.options.mount;
    if (configured) {
      const prefix = `${configured}/`;
      return { mount: configured, path: trimmed.startsWith(prefix) ? trimmed.slice(prefix.length) : trimmed };
    }
    const slash = trimmed.indexOf('/');
    if (slash <= 0) throw new ConfigError(`key "${key}" must start with its KV mount (the store sets no path)`, { reason: 'MountMissing' });
    return { mount: trimmed.slice(0, slash), path: trimmed.slice(slash + 1) };
  }

  private async call<T>(operation: string, subject: string, run: () => Promise<T>): Promise<T> {
    const { clock, observer, session } = this.options;
    const started = clock.now();
    try {
      await session.ensure();
      let out: T;
      try {
        out = await run();
      } catch (error) {
        if (!isBadTokenError(error)) throw error;
        // The token expired or was revoked behind our back: one new login, one retry.
        session.invalidate();
        await session.ensure();
        out = await run();
      }
      observer.observe({ operation, outcome: 'success', durationMs: clock.now() - started, status: '200' });
      return out;
    } catch (error) {
      const mapped = mapVaultError(error, { subject, redact: session.secrets, nowMs: clock.now() });
      observer.observe({ operation, outcome: mapped.kind, durationMs: clock.now() - started, status: mapped.code });
      throw mapped;
    }
  }

  async fetch(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret> {
    const { kvVersion, vault } = this.options;
    const { mount, path } = this.locate(ref.key);
    const subject = `secret "${ref.key}"${ref.version ? ` at version ${ref.version}` : ''}`;
    const request = { signal: ctx?.signal };
    if (kvVersion === 'v1') {
      if (ref.version !== undefined) throw new ConfigError(`KV v1 has no versions; remove version "${ref.version}" from the reference to "${ref.key}"`, { reason: 'VersionUnsupported' });
      const out = await this.call('ReadSecret', subject, () => vault.read(`${mount}/${path}`, request));
      const data = (out as { data?: Record<string, unknown> }).data;
      if (!data) throw new NotFoundError(`Vault ${subject}: no data`, { reason: 'SecretNotFound' });
      return { value: Buffer.from(JSON.stringify(data), 'utf8'), fields: toFields(data) };
    }
    if (ref.version !== undefined && !/^\d+$/.test(ref.version)) {
      throw new ConfigError(`KV v2 version "${ref.version}" of "${ref.key}" must be a version number`, { reason: 'InvalidVersion' });
    }
    const query = ref.version !== undefined ? `?version=${ref.version}` : '';
    const out = await this.call('ReadSecret', subject, () => vault.read(`${mount}/data/${path}${query}`, request));
    const body = (out as { data?: { data?: Record<string, unknown> | null; metadata?: KvV2Metadata } }).data;
    const meta = body?.metadata ?? {};
    if (!body?.data) {
      // Older servers answer 200 with null data for a deleted version.
      const reason = meta.destroyed ? 'VersionDestroyed' : meta.deletion_time ? 'VersionDeleted' : 'SecretNotFound';
      throw new NotFoundError(`Vault ${subject}: ${reason === 'SecretNotFound' ? 'no data' : reason === 'VersionDestroyed' ? 'version destroyed' : 'version deleted'}`, { reason });
    }
    if (typeof body.data !== 'object' || Array.isArray(body.data)) throw new InvalidDataError(`Vault ${subject}: data is not a map`, { reason: 'NotAMap' });
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(meta.custom_metadata ?? {})) metadata[k] = String(v);
    return {
      value: Buffer.from(JSON.stringify(body.data), 'utf8'),
      fields: toFields(body.data),
      versionId: meta.version !== undefined ? String(meta.version) : undefined,
      createdAt: parseTime(meta.created_time),
      metadata,
      // custom_metadata is what ESO's metadataPolicy Fetch reads; KV v1 has none (left undefined).
      userMetadata: { ...metadata },
    };
  }

  /** Lists one folder; Vault answers 404 for an empty or missing folder. */
  private async listFolder(mount: string, folder: string): Promise<string[]> {
    const { kvVersion, vault } = this.options;
    const path = kvVersion === 'v2' ? `${mount}/metadata/${folder}` : `${mount}/${folder}`;
    try {
      const out = await this.call('ListSecrets', `folder "${folder || '/'}"`, () => vault.list(path));
      return ((out as { data?: { keys?: string[] } }).data?.keys ?? []).map(String);
    } catch (error) {
      if ((error as { kind?: string }).kind === 'NotFound' || vaultStatus(error) === 404) return [];
      throw error;
    }
  }

  async find(query: FindQuery, _ctx?: CallContext): Promise<string[]> {
    // Without a configured mount, find.path must name one, and keys come back prefixed with it.
    const start = query.path ? this.locate(`${query.path.replace(/\/+$/, '')}/`) : this.locate('/');
    const mount = start.mount;
    const root = start.path;
    const keyPrefix = this.options.mount ? '' : `${mount}/`;
    const keys: string[] = [];
    // Breadth-first walk of the folder tree under the path; folders end with '/'.
    const folders = [root];
    while (folders.length > 0) {
      const folder = folders.shift()!;
      for (const entry of await this.listFolder(mount, folder)) {
        if (entry.endsWith('/')) folders.push(`${folder}${entry}`);
        else keys.push(`${keyPrefix}${folder}${entry}`);
      }
    }
    let matched = keys.filter((k) => !query.name || query.name.test(k));
    const tags = Object.entries(query.tags ?? {});
    if (tags.length > 0) {
      if (this.options.kvVersion === 'v1') return [];
      // Tags are KV v2 custom_metadata: one metadata read per candidate.
      const kept: string[] = [];
      for (const key of matched) {
        const at = this.locate(key);
        const out = await this.call('ReadMetadata', `metadata of "${key}"`, () => this.options.vault.read(`${at.mount}/metadata/${at.path}`));
        const custom = (out as { data?: { custom_metadata?: Record<string, string> | null } }).data?.custom_metadata ?? {};
        if (tags.every(([k, v]) => custom[k] === v)) kept.push(key);
      }
      matched = kept;
    }
    return matched.sort();
  }

  async validate(_ctx?: CallContext): Promise<StoreValidation> {
    const health = await this.call('Health', 'health', () => this.options.vault.health());
    if ((health as { sealed?: boolean }).sealed) {
      throw mapVaultError({ response: { statusCode: 503, body: { errors: ['Vault is sealed'] } } }, { subject: 'health', redact: [] });
    }
    return { warnings: this.options.plaintext ? ['server uses plain http: tokens and secret values are not encrypted in transit'] : [] };
  }

  async close(): Promise<void> {
    this.options.onClose?.();
  }
}
