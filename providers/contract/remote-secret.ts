// What a provider returns for one remote secret, and the provider-independent ways of
// reading a property out of it. Providers fetch whole secrets (by key and version) so
// that identical fetches can be merged and cached no matter which property a ref wants.
import { InvalidDataError, NotFoundError } from './errors.js';

/** Identifies one remote value: what single-flight, cache and batcher key on. */
export interface RemoteRef {
  /** Name, path, ARN or id of the remote secret, as the provider understands it. */
  key: string;
  /** Version id or stage; undefined means the provider's "latest". */
  version?: string;
  /**
   * Read the remote secret's user metadata (`ProviderClient.fetchMetadata`, for
   * `metadataPolicy: Fetch`) instead of its value: another call with another answer, so it is
   * merged and cached apart from a read of the value, and never batched with one.
   */
  metadata?: boolean;
}

/**
 * One entry of user metadata: a string (an AWS or Azure tag, a Vault custom_metadata entry), or
 * a named group of them (GCP's `labels` and `annotations`; null when the secret has none, which
 * ESO writes as JSON `null`).
 */
export type UserMetadataEntry = string | Readonly<Record<string, string>> | null;

export interface RemoteSecret {
  /** What a ref without `property` yields: the secret string/binary, or the provider's default field. */
  value: Buffer;
  /**
   * Named fields, where the remote secret is a map by nature (Vault data, 1Password item
   * fields). `property` and `dataFrom.extract` read these first; without them the value
   * is parsed as JSON.
   */
  fields?: Record<string, Buffer>;
  /** The provider's version id of what was read (never the value). */
  versionId?: string;
  createdAt?: Date;
  updatedAt?: Date;
  expiresAt?: Date;
  /** Non-secret metadata worth surfacing (e.g. Vault custom_metadata, tags). */
  metadata?: Record<string, string>;
  /**
   * The key/value metadata users set on the remote secret, exactly what External Secrets
   * Operator's `metadataPolicy: Fetch` reads for this provider (AWS tags, GCP labels and
   * annotations, Vault KV v2 custom_metadata, Azure Key Vault tags). Set by `fetchMetadata`
   * (and by `fetch` where the value's read carries it); `{}` when the secret has none.
   */
  userMetadata?: Record<string, UserMetadataEntry>;
  /**
   * Set when the remote secret has no default value (e.g. a 1Password item without a password
   * field): `value` is then empty, and a ref without `property` must fail, which `readValue` does.
   */
  noDefaultValue?: { reason: string; message: string };
}

/** What a ref without `property` yields; NotFound when the provider says there is no default value. */
export function readValue(secret: RemoteSecret, key: string): Buffer {
  if (secret.noDefaultValue) {
    throw new NotFoundError(`remote secret "${key}": ${secret.noDefaultValue.message}`, { reason: secret.noDefaultValue.reason });
  }
  return secret.value;
}

function jsonToBuffer(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}

function parseJsonObject(secret: RemoteSecret, key: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret.value.toString('utf8'));
  } catch {
    throw new InvalidDataError(`remote secret "${key}" is not JSON, so a property cannot be read from it`, { reason: 'NotJSON' });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidDataError(`remote secret "${key}" is not a JSON object`, { reason: 'NotJSONObject' });
  }
  return parsed as Record<string, unknown>;
}

/** `map[key]` when it is the map's own entry: a name a plain object inherits (`constructor`, `__proto__`, ...) is not one. */
function own<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Walks a dotted path (`a.b.c`); a key that itself contains dots is matched whole first. */
function walk(root: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(root, path)) return root[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  // Try the longest prefix that names a key, so keys with dots still resolve.
  for (let i = path.lastIndexOf('.'); i > 0; i = path.lastIndexOf('.', i - 1)) {
    const head = path.slice(0, i);
    const child = own(root, head);
    if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
      const found = walk(child as Record<string, unknown>, path.slice(i + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Reads `property` from a remote secret: a named field, or a dotted path into a field's
 * JSON, or a dotted path into the value's JSON. Throws NotFound when the property is absent.
 */
export function selectProperty(secret: RemoteSecret, key: string, property: string): Buffer {
  if (secret.fields) {
    const direct = own(secret.fields, property);
    if (direct) return direct;
    for (let i = property.indexOf('.'); i > 0; i = property.indexOf('.', i + 1)) {
      const field = own(secret.fields, property.slice(0, i));
      if (!field) continue;
      const inner = walk(parseJsonObject({ value: field }, key), property.slice(i + 1));
      if (inner !== undefined) return jsonToBuffer(inner);
    }
    throw new NotFoundError(`property "${property}" not found in remote secret "${key}"`, { reason: 'PropertyNotFound' });
  }
  const found = walk(parseJsonObject(secret, key), property);
  if (found === undefined || found === null) {
    throw new NotFoundError(`property "${property}" not found in remote secret "${key}"`, { reason: 'PropertyNotFound' });
  }
  return jsonToBuffer(found);
}

function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Keys sorted at every level, as Go's json.Marshal writes a map. */
function sortedMap<T>(map: Readonly<Record<string, T>>, inner: (v: T) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.keys(map).sort().map((k) => [k, inner(map[k]!)]));
}

const sortedEntry = (entry: UserMetadataEntry): unknown => (entry === null || typeof entry === 'string' ? entry : sortedMap(entry, (v) => v));

/**
 * What `metadataPolicy: Fetch` reads: without `property` the JSON object of all user metadata,
 * with it the one entry (or a dotted path into an entry holding JSON). A group (GCP `labels`)
 * is read whole by its name, and one of its entries as `<group>.<key>` with the key taken whole,
 * as ESO does. Undefined when the secret carries no user metadata. Throws NotFound when the
 * entry is absent.
 */
export function readUserMetadata(secret: RemoteSecret, key: string, property?: string): Buffer | undefined {
  const metadata = secret.userMetadata;
  if (!metadata) return undefined;
  // As Go's json.Marshal writes a map (what ESO returns): keys sorted, and <, >, &, U+2028,
  // U+2029 escaped; the same metadata then always gives the same bytes and Secret version.
  if (!property) return Buffer.from(goJson(sortedMap(metadata, sortedEntry)), 'utf8');
  const missing = () => new NotFoundError(`metadata "${property}" not found on remote secret "${key}"`, { reason: 'MetadataNotFound' });
  const fields: Record<string, Buffer> = Object.create(null) as Record<string, Buffer>;
  for (const [name, entry] of Object.entries(metadata)) {
    if (typeof entry === 'string') {
      fields[name] = Buffer.from(entry, 'utf8');
      continue;
    }
    if (property === name) return Buffer.from(goJson(sortedEntry(entry)), 'utf8');
    if (property.startsWith(`${name}.`)) {
      const value = entry === null ? undefined : own(entry, property.slice(name.length + 1));
      if (value === undefined) throw missing();
      return Buffer.from(value, 'utf8');
    }
  }
  try {
    return selectProperty({ value: Buffer.alloc(0), fields }, key, property);
  } catch (e) {
    if (e instanceof NotFoundError) throw missing();
    throw e;
  }
}

/** All top-level entries of a remote secret, for `dataFrom.extract`. */
export function extractAll(secret: RemoteSecret, key: string, property?: string): Record<string, Buffer> {
  if (property) {
    const inner = selectProperty(secret, key, property);
    return extractAll({ value: inner }, key);
  }
  if (secret.fields) return { ...secret.fields };
  const object = parseJsonObject(secret, key);
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(object)) {
    if (v !== null && v !== undefined) out[k] = jsonToBuffer(v);
  }
  return out;
}
