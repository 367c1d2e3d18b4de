// Which documents are External Secrets Operator objects, and which of those keyferry can take.

export const ESO_GROUP = 'external-secrets.io';
export const ESO_GENERATORS_GROUP = 'generators.external-secrets.io';
/** ESO versions whose ExternalSecret and store shapes keyferry's field names follow. */
export const CONVERTIBLE_VERSIONS: readonly string[] = ['v1', 'v1beta1'];
export const CONVERTIBLE_KINDS: readonly string[] = ['ExternalSecret', 'SecretStore', 'ClusterSecretStore', 'ClusterExternalSecret'];

export type DocumentClass =
  | { kind: 'convert'; esoKind: string }
  | { kind: 'refuse'; reason: string }
  | { kind: 'pass' };

/** Sorts a parsed document: an ESO object to convert or to refuse, or anything else (passed through). */
export function classify(obj: unknown): DocumentClass {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { kind: 'pass' };
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return { kind: 'pass' };
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (group === ESO_GENERATORS_GROUP) {
    return { kind: 'refuse', reason: `keyferry has no generators: ${kind} makes values instead of reading them from a store; keep it with ESO or move the value into a store` };
  }
  if (group !== ESO_GROUP) return { kind: 'pass' };
  if (kind === 'PushSecret' || kind === 'ClusterPushSecret') {
    return { kind: 'refuse', reason: `keyferry only reads from stores: ${kind} writes Kubernetes Secrets to a store, which keyferry does not do` };
  }
  if (!CONVERTIBLE_KINDS.includes(kind)) return { kind: 'refuse', reason: `keyferry has no ${kind}` };
  if (!CONVERTIBLE_VERSIONS.includes(version)) {
    return { kind: 'refuse', reason: `${apiVersion} is not converted (only ${CONVERTIBLE_VERSIONS.map((v) => `${ESO_GROUP}/${v}`).join(' and ')}); upgrade the manifest to ${ESO_GROUP}/v1 first` };
  }
  return { kind: 'convert', esoKind: kind };
}
