// The key under which version names are computed (content-hash.ts). It is generated once
// into a Secret of the operator's own namespace and read at every start, so replicas and
// restarts agree on every name: a crash mid-sync still cannot make a duplicate. If the
// Secret is lost, a new key is generated and every target gets one new version at its
// next sync (docs/api.md, "The version key", says how to back it up).
import { randomBytes } from 'node:crypto';
import type { SecretObject } from '../kube/kube-object.js';

/** The Secret holding the key, in the operator's namespace. */
export const VERSION_KEY_SECRET_NAME = 'keyferry-version-key';
/** Its data key. */
export const VERSION_KEY_DATA_KEY = 'hmac-sha256-key';
/** Bytes of a generated key; shorter stored keys are refused (HMAC-SHA-256 wants at least its output size). */
export const VERSION_KEY_BYTES = 32;

export interface VersionKeyApi {
  getSecret(namespace: string, name: string): Promise<SecretObject | undefined>;
  /** Undefined when a Secret of that name exists already (409). */
  createSecret(secret: SecretObject): Promise<SecretObject | undefined>;
}

export interface VersionKeyLocation {
  namespace: string;
  name?: string;
}

export class VersionKeyError extends Error {
  override readonly name = 'VersionKeyError';
}

function keyOf(secret: SecretObject, where: string): Buffer {
  const encoded = secret.data?.[VERSION_KEY_DATA_KEY];
  const key = encoded === undefined ? undefined : Buffer.from(encoded, 'base64');
  // A malformed key Secret is never replaced: that would rename every version in the cluster.
  if (!key || key.length < VERSION_KEY_BYTES) {
    throw new VersionKeyError(`Secret ${where} has no ${VERSION_KEY_BYTES}-byte key under "${VERSION_KEY_DATA_KEY}"; restore it from backup, or delete it to have a new key generated`);
  }
  return key;
}

/** Reads the version key, creating it first if it does not exist; two replicas racing agree on the first one written. */
export async function loadOrCreateVersionKey(api: VersionKeyApi, location: VersionKeyLocation, random: (n: number) => Buffer = randomBytes): Promise<{ key: Buffer; created: boolean }> {
  const name = location.name ?? VERSION_KEY_SECRET_NAME;
  const where = `${location.namespace}/${name}`;
  const existing = await api.getSecret(location.namespace, name);
  if (existing) return { key: keyOf(existing, where), created: false };
  const generated = random(VERSION_KEY_BYTES);
  const created = await api.createSecret({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: location.namespace, labels: { 'app.kubernetes.io/name': 'keyferry', 'app.kubernetes.io/component': 'version-key' } },
    type: 'Opaque',
    // Immutable: a changed key would rename every version; replacing it takes a delete first.
    immutable: true,
    data: { [VERSION_KEY_DATA_KEY]: generated.toString('base64') },
  } as SecretObject);
  if (created) return { key: generated, created: true };
  const winner = await api.getSecret(location.namespace, name);
  if (!winner) throw new VersionKeyError(`Secret ${where} was created by someone else and deleted again before it could be read; restart to retry`);
  return { key: keyOf(winner, where), created: false };
}
