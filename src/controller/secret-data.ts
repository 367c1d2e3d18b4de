// Turns an ExternalSecret's `data`/`dataFrom` into Secret data, reading remote secrets
// through the RemoteFetcher and properties through the contract's selectProperty/extractAll.
import { extractAll, isProviderError, readValue, selectProperty, type RemoteSecret } from '../../providers/contract/index.js';
import type { FetchOptions, RemoteFetcher, StoreHandle } from '../fetch/remote-fetcher.js';
import type { DataFromSpec, ExternalSecretSpec, RemoteRefSpec } from './types.js';
import { SpecError } from './spec-error.js';

export interface FetchedData {
  data: Record<string, Buffer>;
  /** Target key → remote version id it was read from (ids only). */
  remoteVersions: Record<string, string>;
  /** Earliest remote expiry among the secrets read. */
  expiresAt?: Date;
}

function decode(value: Buffer, strategy: RemoteRefSpec['decodingStrategy'], field: string): Buffer {
  switch (strategy ?? 'None') {
    case 'None':
      return value;
    case 'Base64':
    case 'Base64URL': {
      const text = value.toString('utf8').trim();
      const ok = strategy === 'Base64' ? /^[A-Za-z0-9+/]*={0,2}$/.test(text) : /^[A-Za-z0-9_-]*={0,2}$/.test(text);
      if (!ok) throw new SpecError(`${field}.decodingStrategy: remote value is not ${strategy} encoded`);
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

function applyRewrites(key: string, rewrites: DataFromSpec['rewrite'], field: string): string {
  let out = key;
  (rewrites ?? []).forEach((r, i) => {
    if (!r.regexp) return;
    let re: RegExp;
    try {
      re = new RegExp(r.regexp.source, 'g');
    } catch {
      throw new SpecError(`${field}.rewrite[${i}].regexp.source: not a valid regular expression`);
    }
    out = out.replace(re, r.regexp.target);
  });
  return out;
}

/** Kubernetes Secret keys allow `[-._a-zA-Z0-9]`; other characters from remote names become `_`. */
function secretKeyFrom(name: string): string {
  return name.replace(/[^-._a-zA-Z0-9]/g, '_');
}

export async function fetchSecretData(spec: ExternalSecretSpec, fetcher: RemoteFetcher, store: StoreHandle, options: FetchOptions = {}): Promise<FetchedData> {
  const data: Record<string, Buffer> = {};
  const remoteVersions: Record<string, string> = {};
  let expiresAt: Date | undefined;
  const noteVersion = (target: string, secret: RemoteSecret) => {
    if (secret.versionId) remoteVersions[target] = secret.versionId;
  };
  const read = async (key: string, version: string | undefined): Promise<RemoteSecret> => {
    const secret = await fetcher.fetch(store, { key, version }, options);
    if (secret.expiresAt && (!expiresAt || secret.expiresAt < expiresAt)) expiresAt = secret.expiresAt;
    return secret;
  };

  // dataFrom first so that explicit `data` entries win over extracted ones, as in ESO.
  for (const [i, from] of (spec.dataFrom ?? []).entries()) {
    const field = `spec.dataFrom[${i}]`;
    if (from.extract) {
      if (!from.extract.key) throw new SpecError(`${field}.extract.key is required`);
      const secret = await read(from.extract.key, from.extract.version);
      for (const [k, v] of Object.entries(extractAll(secret, from.extract.key, from.extract.property))) {
        const target = applyRewrites(k, from.rewrite, field);
        data[target] = decode(v, from.extract.decodingStrategy, `${field}.extract`);
        noteVersion(target, secret);
      }
    } else if (from.find) {
      if (!store.client.find) throw new SpecError(`${field}.find: provider "${store.provider}" does not support find`);
      const keys = await fetcher.find(store, { nameRegexp: from.find.name?.regexp, tags: from.find.tags, path: from.find.path }, options);
      for (const key of keys) {
        const secret = await read(key, undefined);
        const target = secretKeyFrom(applyRewrites(key, from.rewrite, field));
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
    const secret = await read(ref.key, ref.version);
    let value: Buffer;
    try {
      value = ref.property ? selectProperty(secret, ref.key, ref.property) : readValue(secret, ref.key);
    } catch (e) {
      // Say which entry asked for the missing property; the provider error names only the remote key.
      if (isProviderError(e)) throw Object.assign(e, { message: `${field}.remoteRef.${ref.property ? 'property' : 'key'}: ${e.message}` });
      throw e;
    }
    data[entry.secretKey] = decode(value, ref.decodingStrategy, `${field}.remoteRef`);
    noteVersion(entry.secretKey, secret);
  }
  return { data, remoteVersions, expiresAt };
}
