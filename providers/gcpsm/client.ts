// A connected Secret Manager store: AccessSecretVersion for values (checksum verified),
// best-effort GetSecret/GetSecretVersion for expiry and create time, ListSecrets for find.
import type { v1 } from '@google-cloud/secret-manager';
import type { CallOptions } from 'google-gax';
import {
  ConfigError,
  InvalidDataError,
  NotFoundError,
  type CallContext,
  type Clock,
  type FindQuery,
  type ProviderClient,
  type ProviderLogger,
  type ProviderObserver,
  type RemoteRef,
  type RemoteSecret,
  type StoreValidation,
} from '../contract/index.js';
import { crc32c } from './crc32c.js';
import { toProviderError } from './errors.js';

type SecretManagerClient = InstanceType<typeof v1.SecretManagerServiceClient>;

// Retries, backoff and deadlines belong to keyferry's fetch path; the SDK's own retry
// policy (up to a minute of backoff on UNAVAILABLE) is switched off.
const callOptions = { retry: { retryCodes: [] }, timeout: 30_000 } as unknown as CallOptions;
// Secret expiry can change; re-read it after this long.
const SECRET_METADATA_TTL_MS = 5 * 60 * 1000;
const MAX_CACHED_VERSIONS = 2000;

interface Timestamp {
  seconds?: unknown;
  nanos?: unknown;
}

function toDate(ts: Timestamp | null | undefined): Date | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  const seconds = Number(String(ts.seconds));
  const nanos = typeof ts.nanos === 'number' ? ts.nanos : 0;
  if (!Number.isFinite(seconds) || (seconds === 0 && nanos === 0)) return undefined;
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6));
}

function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

interface Cancellable {
  cancel?: () => void;
}

export interface GcpClientOptions {
  client: SecretManagerClient;
  /** `projects/<p>` or `projects/<p>/locations/<l>`. */
  parent: string;
  clock: Clock;
  logger: ProviderLogger;
  observer: ProviderObserver;
  redact: readonly string[];
  warnings: string[];
  /** Fetches a token before a call, so credential failures surface as typed errors. */
  ensureToken: () => Promise<void>;
}

export class GcpSecretManagerClient implements ProviderClient {
  private readonly versionCreated = new Map<string, Date | undefined>();
  private readonly secretExpiry = new Map<string, { expiresAt?: Date; readAtMs: number }>();
  // An accessor role may read values but not metadata; then metadata is not asked for again.
  private metadataDenied = false;

  constructor(private readonly options: GcpClientOptions) {}

  /** Full resource name of a secret from a ref key: a secret id, or a full `projects/...` name. */
  secretName(key: string): string {
    if (key.startsWith('projects/')) {
      if (!/^projects\/[^/]+(\/locations\/[^/]+)?\/secrets\/[^/]+$/.test(key)) {
        throw new ConfigError(`"${key}" is not a secret resource name (projects/<p>/secrets/<s>)`, { reason: 'InvalidKey' });
      }
      return key;
    }
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(key)) throw new ConfigError(`"${key}" is not a valid secret id`, { reason: 'InvalidKey' });
    return `${this.options.parent}/secrets/${key}`;
  }

  /** One RPC: token first, abortable, observed (operation, outcome, gRPC status), errors typed. */
  private async call<T>(operation: string, action: string, signal: AbortSignal | undefined, run: () => Promise<T> & Cancellable): Promise<T> {
    if (signal?.aborted) throw toProviderError({ code: 1, details: 'aborted' }, { action, redact: this.options.redact });
    await this.options.ensureToken();
    const started = this.options.clock.now();
    const promise = run();
    const onAbort = () => promise.cancel?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await promise;
      this.options.observer.observe({ operation, outcome: 'success', durationMs: this.options.clock.now() - started, status: 'OK' });
      return result;
    } catch (error) {
      const mapped = toProviderError(error, { action, redact: this.options.redact });
      this.options.observer.observe({ operation, outcome: mapped.kind, durationMs: this.options.clock.now() - started, status: mapped.code ?? mapped.reason });
      throw mapped;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async fetch(ref: RemoteRef, ctx: CallContext = {}): Promise<RemoteSecret> {
    const secret = this.secretName(ref.key);
    const version = ref.version === undefined || ref.version === '' ? 'latest' : ref.version;
    if (!/^(latest|[1-9]\d*)$/.test(version)) {
      throw new ConfigError(`version "${version}" of "${ref.key}" is not a version number or "latest"`, { reason: 'InvalidVersion' });
    }
    const name = `${secret}/versions/${version}`;
    let response;
    try {
      [response] = await this.call('AccessSecretVersion', `accessing ${ref.key} version ${version}`, ctx.signal, () => this.options.client.accessSecretVersion({ name }, callOptions));
    } catch (error) {
      if ((error as { reason?: string }).reason === 'FailedPrecondition') throw await this.explainUnusableVersion(ref.key, name, version, error, ctx);
      throw error;
    }
    const data = Buffer.from(response.payload?.data ?? new Uint8Array());
    const declared = response.payload?.dataCrc32c;
    if (declared !== undefined && declared !== null) {
      const expected = Number(String(declared));
      if (crc32c(data) !== expected) {
        throw new InvalidDataError(`payload of "${ref.key}" version ${version} fails its CRC32C check; the value was refused`, { reason: 'ChecksumMismatch' });
      }
    }
    const resolved = response.name ?? name;
    const versionId = lastSegment(resolved);
    const [createdAt, expiresAt] = await Promise.all([this.versionCreateTime(resolved, ctx), this.secretExpiresAt(secret, ctx)]);
    const metadata: Record<string, string> = { version: versionId };
    if (createdAt) metadata.createTime = createdAt.toISOString();
    if (expiresAt) metadata.expireTime = expiresAt.toISOString();
    return { value: data, versionId, createdAt, expiresAt, metadata };
  }

  /**
   * The secret's labels and annotations, read with GetSecret as ESO does (the version plays no
   * part; the value is never read). A map without entries is null, as ESO's JSON writes it.
   */
  async fetchMetadata(ref: RemoteRef, ctx: CallContext = {}): Promise<RemoteSecret> {
    const name = this.secretName(ref.key);
    const [secret] = await this.call('GetSecret', `reading the labels and annotations of ${ref.key}`, ctx.signal, () => this.options.client.getSecret({ name }, callOptions));
    const group = (map: Record<string, string> | null | undefined): Record<string, string> | null =>
      map && Object.keys(map).length > 0 ? Object.fromEntries(Object.entries(map)) : null;
    return { value: Buffer.alloc(0), userMetadata: { annotations: group(secret.annotations), labels: group(secret.labels) } };
  }

  /** Turns FAILED_PRECONDITION into a reason naming the version's state (disabled, destroyed). */
  private async explainUnusableVersion(key: string, name: string, version: string, original: unknown, ctx: CallContext): Promise<unknown> {
    try {
      const [v] = await this.call('GetSecretVersion', `reading ${key} version ${version}`, ctx.signal, () => this.options.client.getSecretVersion({ name }, callOptions));
      const state = String(v.state ?? 'UNKNOWN');
      const resolved = v.name ? lastSegment(v.name) : version;
      const which = version === 'latest' ? `the latest version (${resolved})` : `version ${version}`;
      const reason = state === 'DISABLED' ? 'VersionDisabled' : state === 'DESTROYED' ? 'VersionDestroyed' : 'VersionNotEnabled';
      return new NotFoundError(`${which} of secret "${key}" is ${state}; enable it or pin an enabled version`, { reason, code: 'FAILED_PRECONDITION' });
    } catch {
      return original;
    }
  }

  private async versionCreateTime(resolvedName: string, ctx: CallContext): Promise<Date | undefined> {
    if (this.versionCreated.has(resolvedName)) return this.versionCreated.get(resolvedName);
    if (this.metadataDenied || resolvedName.endsWith('/latest')) return undefined;
    const created = await this.bestEffort(async () => {
      const [v] = await this.call('GetSecretVersion', 'reading version metadata', ctx.signal, () => this.options.client.getSecretVersion({ name: resolvedName }, callOptions));
      return toDate(v.createTime as Timestamp | null | undefined);
    });
    // A version's create time never changes, so it is cached for good (bounded).
    if (this.versionCreated.size >= MAX_CACHED_VERSIONS) this.versionCreated.delete(this.versionCreated.keys().next().value!);
    this.versionCreated.set(resolvedName, created);
    return created;
  }

  private async secretExpiresAt(secret: string, ctx: CallContext): Promise<Date | undefined> {
    const now = this.options.clock.now();
    const cached = this.secretExpiry.get(secret);
    if (cached && now - cached.readAtMs < SECRET_METADATA_TTL_MS) return cached.expiresAt;
    if (this.metadataDenied) return undefined;
    const expiresAt = await this.bestEffort(async () => {
      const [s] = await this.call('GetSecret', 'reading secret metadata', ctx.signal, () => this.options.client.getSecret({ name: secret }, callOptions));
      return toDate(s.expireTime as Timestamp | null | undefined);
    });
    if (this.secretExpiry.size >= MAX_CACHED_VERSIONS) this.secretExpiry.delete(this.secretExpiry.keys().next().value!);
    this.secretExpiry.set(secret, { expiresAt, readAtMs: now });
    return expiresAt;
  }

  private async bestEffort<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      const kind = (error as { kind?: string }).kind;
      if (kind === 'Auth') {
        this.metadataDenied = true;
        this.options.logger.info({ reason: (error as { reason?: string }).reason }, 'gcpsm: secret metadata not readable with these credentials; expiry and create time are not reported');
      }
      return undefined;
    }
  }

  async find(query: FindQuery, ctx: CallContext = {}): Promise<string[]> {
    const terms: string[] = [];
    for (const [k, v] of Object.entries(query.tags ?? {})) terms.push(`labels.${k}=${JSON.stringify(v)}`);
    if (query.path) terms.push(`name:${query.path}`);
    const filter = terms.join(' AND ');
    const [secrets] = await this.call('ListSecrets', 'listing secrets', ctx.signal, () =>
      this.options.client.listSecrets({ parent: this.options.parent, filter }, { ...callOptions, autoPaginate: true }));
    return secrets
      .map((s) => lastSegment(s.name ?? ''))
      .filter((id) => id !== '' && (!query.path || id.startsWith(query.path)) && (!query.name || query.name.test(id)))
      .sort();
  }

  async validate(ctx: CallContext = {}): Promise<StoreValidation> {
    if (ctx.signal?.aborted) throw toProviderError({ code: 1, details: 'aborted' }, { action: 'validating the store', redact: this.options.redact });
    await this.options.ensureToken();
    return { warnings: [...this.options.warnings] };
  }

  async close(): Promise<void> {
    await this.options.client.close();
  }
}
