// Turns an ExternalSecret's `data`/`dataFrom` into Secret data, reading remote secrets
// through the RemoteFetcher and properties through the contract's selectProperty/extractAll.
import { extractAll, InvalidDataError, isNotFound, isProviderError, readUserMetadata, readValue, selectProperty, type RemoteSecret } from '../../providers/contract/index.js';
import type { FetchOptions, RemoteFetcher, StoreHandle } from '../fetch/remote-fetcher.js';
import type { DataFromSpec, ExternalSecretSpec, RemoteRefSpec } from './types.js';
import { RemoteDataError } from './remote-data-error.js';
import { SpecError } from './spec-error.js';
import { addConverted, applyRewrites, checkRewrites, convertKey, keyTransformer, pattern, type KeyTransformer } from './key-rewrite.js';
import type { TemplateEngine } from '../templates/go-template-engine.js';

export interface FetchedData {
  data: Record<string, Buffer>;
  /** Target key → remote version id it was read from (ids only). */
  remoteVersions: Record<string, string>;
  /** Earliest remote expiry among the secrets read. */
  expiresAt?: Date;
  /** Remote keys that did not exist and were left out (only with `skipMissing`). */
  missing: string[];
}

export interface DataPolicy {
  /** deletionPolicy Delete, as ESO: a remote secret that does not exist is left out instead of failing the sync. */
  skipMissing?: boolean;
  /** The template engine `rewrite[].transform` renders with. */
  templates?: () => TemplateEngine;
}

function decode(value: Buffer, strategy: RemoteRefSpec['decodingStrategy'], field: string): Buffer {
  switch (strategy ?? 'None') {
    case 'None':
      return value;
    case 'Base64':
    case 'Base64URL': {
      const text = value.toString('utf8').trim();
      const ok = strategy === 'Base64' ? /^[A-Za-z0-9+/]*={0,2}$/.test(text) : /^[A-Za-z0-9_-]*={0,2}$/.test(text);
      if (!ok) throw new RemoteDataError(`${field}.decodingStrategy: the remote value is not ${strategy} encoded`);
      return Buffer.from(text, strategy === 'Base64' ? 'base64' : 'base64url');
    }
    case 'Auto': {
      const text = value.toString('utf8').trim();
      if (text.length > 0 && text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text)) return Buffer.from(text, 'base64');
      if (text.length > 0 && /^[A-Za-z0-9_-]+={0,2}$/.test(text) && /[_-]/.test(text)) return Buffer.from(text, 'base64url');
      return value;
    }
    default:
      throw new SpecError(`${field}.decodingStrategy: "${String(strategy)}" must be None, Base64, Base64URL or Auto`);
  }
}

/** Compiles every pattern and parses every transform of the spec first, so a refused one is reported before any provider call. */
async function checkKeyRules(spec: ExternalSecretSpec, transform: KeyTransformer | undefined): Promise<void> {
  for (const [i, from] of (spec.dataFrom ?? []).entries()) {
    const field = `spec.dataFrom[${i}]`;
    if (from.find?.name?.regexp !== undefined) pattern(from.find.name.regexp, `${field}.find.name.regexp`);
    await checkRewrites(from.rewrite, field, transform);
  }
}

/** Where `metadataPolicy: Fetch` works, for the message refusing it elsewhere. */
const METADATA_FETCH_SUPPORT = 'AWS Secrets Manager and Parameter Store tags, GCP Secret Manager labels and annotations, Vault KV v2 custom_metadata, Azure Key Vault tags';

/**
 * Checks every `data[].remoteRef.metadataPolicy` before any provider call: an unknown policy, or
 * Fetch from a store whose client cannot read metadata (which would otherwise give an empty value).
 */
function checkMetadataPolicies(spec: ExternalSecretSpec, store: StoreHandle): void {
  for (const [i, entry] of (spec.data ?? []).entries()) {
    const field = `spec.data[${i}].remoteRef.metadataPolicy`;
    const policyName = entry.remoteRef?.metadataPolicy ?? 'None';
    if (policyName !== 'None' && policyName !== 'Fetch') throw new SpecError(`${field}: "${String(policyName)}" must be None or Fetch`);
    if (policyName === 'Fetch' && !store.client.fetchMetadata) {
      throw new SpecError(`${field}: Fetch is not supported by this store's provider "${store.provider}": it does not read the remote secret's metadata (supported: ${METADATA_FETCH_SUPPORT})`);
    }
  }
}

/** Kubernetes Secret keys allow `[-._a-zA-Z0-9]`; other characters of a rewritten remote name become `_`. */
function secretKeyFrom(name: string): string {
  return name.replace(/[^-._a-zA-Z0-9]/g, '_');
}

/**
 * The Secret key of one remote name of a dataFrom source: its rewrites when it has any, else
 * its conversionStrategy, as ESO applies one or the other. After rewrites a find key still gets
 * `_` for what a key cannot hold (ESO would leave that for the API server to refuse).
 */
async function keyFor(name: string, from: DataFromSpec, field: string, seen: Map<string, string>, transform: KeyTransformer | undefined): Promise<string> {
  if ((from.rewrite?.length ?? 0) > 0) {
    const rewritten = await applyRewrites(name, from.rewrite, field, transform);
    return from.find ? secretKeyFrom(rewritten) : rewritten;
  }
  const source = from.extract ? `${field}.extract` : `${field}.find`;
  const key = convertKey(name, (from.extract ?? from.find)?.conversionStrategy, source);
  addConverted(seen, name, key, source);
  return key;
}

/** A map for keys that come from users or remote data: no prototype, so `__proto__` or `constructor` are keys like any other. */
export const keyMap = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/**
 * The entries `extractAll` found. A remote JSON key `__proto__` does not survive a plain
 * object (it becomes the prototype instead of an entry); that is said, never skipped silently.
 */
function extractedEntries(extracted: Record<string, Buffer>, key: string, field: string): Array<[string, Buffer]> {
  const proto = Object.getPrototypeOf(extracted) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new RemoteDataError(`${field}.extract: remote secret "${key}" has a key "__proto__", which cannot be carried into a Secret`);
  return Object.entries(extracted);
}

export async function fetchSecretData(spec: ExternalSecretSpec, fetcher: RemoteFetcher, store: StoreHandle, options: FetchOptions = {}, policy: DataPolicy = {}): Promise<FetchedData> {
  const transform = policy.templates ? keyTransformer(policy.templates) : undefined;
  await checkKeyRules(spec, transform);
  checkMetadataPolicies(spec, store);
  const data = keyMap<Buffer>();
  const remoteVersions = keyMap<string>();
  let expiresAt: Date | undefined;
  const noteVersion = (target: string, secret: RemoteSecret) => {
    if (secret.versionId) remoteVersions[target] = secret.versionId;
  };
  const missing: string[] = [];
  const readOnce = async (key: string, version: string | undefined, metadata: boolean): Promise<RemoteSecret | undefined> => {
    let secret: RemoteSecret;
    try {
      secret = await fetcher.fetch(store, metadata ? { key, version, metadata } : { key, version }, options);
    } catch (e) {
      if (policy.skipMissing && isNotFound(e)) {
        missing.push(key);
        return undefined;
      }
      throw e;
    }
    if (secret.expiresAt && (!expiresAt || secret.expiresAt < expiresAt)) expiresAt = secret.expiresAt;
    return secret;
  };
  // One read per remote secret (key, version, value or metadata) in a sync: entries that share
  // it take their fields from one answer, so a version never pairs a field read before a remote
  // change with one read after it (the cache may expire, or a forced sync bypass it, mid-sync).
  const reads = new Map<string, Promise<RemoteSecret | undefined>>();
  const read = (key: string, version: string | undefined, metadata = false): Promise<RemoteSecret | undefined> => {
    const id = JSON.stringify([key, version ?? null, metadata]);
    let pending = reads.get(id);
    if (!pending) {
      pending = readOnce(key, version, metadata);
      reads.set(id, pending);
    }
    return pending;
  };

  // dataFrom first so that explicit `data` entries win over extracted ones, as in ESO.
  for (const [i, from] of (spec.dataFrom ?? []).entries()) {
    const field = `spec.dataFrom[${i}]`;
    if (from.extract) {
      if (!from.extract.key) throw new SpecError(`${field}.extract.key is required`);
      const secret = await read(from.extract.key, from.extract.version);
      if (!secret) continue;
      const seen = new Map<string, string>();
      for (const [k, v] of extractedEntries(extractAll(secret, from.extract.key, from.extract.property), from.extract.key, field)) {
        const target = await keyFor(k, from, field, seen, transform);
        data[target] = decode(v, from.extract.decodingStrategy, `${field}.extract`);
        noteVersion(target, secret);
      }
    } else if (from.find) {
      if (!store.client.find) throw new SpecError(`${field}.find: provider "${store.provider}" does not support find`);
      const name = from.find.name?.regexp === undefined ? undefined : pattern(from.find.name.regexp, `${field}.find.name.regexp`);
      const keys = await fetcher.find(store, { name, tags: from.find.tags, path: from.find.path }, options);
      const seen = new Map<string, string>();
      for (const key of keys) {
        const secret = await read(key, undefined);
        if (!secret) continue;
        const target = await keyFor(key, from, field, seen, transform);
        data[target] = decode(readValue(secret, key), from.find.decodingStrategy, `${field}.find`);
        noteVersion(target, secret);
      }
    } else {
      throw new SpecError(`${field}: one of extract or find is required`);
    }
  }

  for (const [i, entry] of (spec.data ?? []).entries()) {
    const field = `spec.data[${i}]`;
    if (!entry.secretKey) throw new SpecError(`${field}.secretKey is required`);
    const ref = entry.remoteRef;
    if (!ref?.key) throw new SpecError(`${field}.remoteRef.key is required`);
    const fetchMetadata = ref.metadataPolicy === 'Fetch';
    const secret = await read(ref.key, ref.version, fetchMetadata);
    if (!secret) continue;
    let value: Buffer;
    try {
      if (fetchMetadata) {
        const metadata = readUserMetadata(secret, ref.key, ref.property);
        // fetchMetadata always sets it; an empty value must never stand in for it.
        if (!metadata) throw new InvalidDataError(`remote secret "${ref.key}": the provider returned no metadata`, { reason: 'NoMetadata' });
        value = metadata;
      } else {
        value = ref.property ? selectProperty(secret, ref.key, ref.property) : readValue(secret, ref.key);
      }
    } catch (e) {
      // Say which entry asked for the missing property; the provider error names only the remote key.
      if (isProviderError(e)) throw Object.assign(e, { message: `${field}.remoteRef.${ref.property ? 'property' : 'key'}: ${e.message}` });
      throw e;
    }
    data[entry.secretKey] = decode(value, ref.decodingStrategy, `${field}.remoteRef`);
    noteVersion(entry.secretKey, secret);
  }
  return { data, remoteVersions, expiresAt, missing };
}
