// Whether a Secret at a version's name is that version (DESIGN §3): a Secret is ours only if
// it carries our labels for that ExternalSecret and target, is immutable, and holds exactly
// the data the name was computed from. Anything else there is a conflict and is never
// adopted: anyone who may create Secrets in the namespace could otherwise plant data under
// a name keyferry is about to use.
//
// The managed-Secret cache drops values (forgetData), so a short digest of type and data is
// kept on the cached object in their place, under a symbol: never serialised, never sent.
import { createHash } from 'node:crypto';
import type { SecretObject } from '../kube/kube-object.js';
import { LABEL_MANAGED, externalSecretNameOf, targetNameOf } from './labels.js';

const DATA_DIGEST = Symbol('keyferry.dataDigest');
type WithDigest = SecretObject & { [DATA_DIGEST]?: string };

/**
 * 128 bits of SHA-256 over type and base64 data, keys sorted. The bytes are cut before encoding:
 * a slice of the encoded text would keep all of it alive (V8 slices share their parent).
 */
function digest(type: string | undefined, data: Record<string, string>): string {
  const entries = Object.keys(data).sort().map((k) => [k, data[k]]);
  return createHash('sha256').update(JSON.stringify([type ?? 'Opaque', entries])).digest().subarray(0, 16).toString('base64url');
}

/** Drops a Secret's values, keeping a digest to check ownership with; the managed-Secret informer's trim. */
export function forgetData(secret: SecretObject): void {
  if (secret.data === undefined) return;
  (secret as WithDigest)[DATA_DIGEST] = digest(secret.type, secret.data);
  delete secret.data;
}

/** The digest of a Secret's type and data: from its values, or the one kept when they were dropped. */
function dataDigestOf(secret: SecretObject): string | undefined {
  if (secret.data !== undefined) return digest(secret.type, secret.data);
  return (secret as WithDigest)[DATA_DIGEST];
}

export interface ExpectedVersion {
  externalSecretName: string;
  targetName: string;
  /** The Secret as keyferry would write it. */
  secret: { type: string; data: Record<string, string> };
}

export type Ownership =
  | { ours: true }
  | { ours: false; why: string }
  /** The data could not be compared (values dropped without a digest): read the Secret and ask again. */
  | { ours: 'unknown' };

/** Whether `found` is the version keyferry would write as `expected`. */
export function checkOwnership(found: SecretObject, expected: ExpectedVersion): Ownership {
  if (found.metadata?.labels?.[LABEL_MANAGED] !== 'true' || externalSecretNameOf(found) !== expected.externalSecretName) {
    return { ours: false, why: 'it is not labelled as written by keyferry for this ExternalSecret' };
  }
  if (targetNameOf(found) !== expected.targetName) return { ours: false, why: 'it is labelled for another target' };
  if (found.immutable !== true) return { ours: false, why: 'it is not immutable' };
  const have = dataDigestOf(found);
  if (have === undefined) return { ours: 'unknown' };
  if (have !== digest(expected.secret.type, expected.secret.data)) return { ours: false, why: 'it holds other data than the version named so' };
  return { ours: true };
}

/** Whether a Secret listed under an ExternalSecret looks like one of its versions, for pruning: labelled so, and immutable. */
export function looksLikeVersionOf(found: SecretObject, externalSecretName: string): boolean {
  return found.metadata?.labels?.[LABEL_MANAGED] === 'true' && externalSecretNameOf(found) === externalSecretName && found.immutable === true;
}
