// Builds the immutable, versioned Secret for one sync (DESIGN §2). Pure: no I/O.
import { contentHash, versionedName } from './content-hash.js';
import { ANNOTATION_CONTENT_HASH, ANNOTATION_REMOTE_VERSIONS, LABEL_MANAGED, ownerMetadata } from './labels.js';

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export interface VersionedSecretInput {
  namespace: string;
  externalSecretName: string;
  targetName: string;
  type: string;
  data: Record<string, Buffer>;
  /** From `target.template.metadata`; part of the hash. */
  templateLabels: Record<string, string>;
  templateAnnotations: Record<string, string>;
  /** Remote key → version id; not part of the hash (the data already says what changed). */
  remoteVersions: Record<string, string>;
  /** Set for `creationPolicy: Owner`. */
  owner?: OwnerRef;
  /** The operator's version key (version-key.ts). */
  key: Buffer;
}

export interface VersionedSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences?: Array<OwnerRef & { controller: boolean; blockOwnerDeletion: boolean }>;
  };
  type: string;
  immutable: true;
  data: Record<string, string>;
}

/** Sorted entries of a record as a new record, built with defineProperty semantics so a `__proto__` key stays a key. */
const sortedRecord = <T, U>(record: Record<string, T>, map: (v: T) => U): Record<string, U> =>
  Object.fromEntries(Object.keys(record).sort().map((k) => [k, map(record[k]!)]));

export function buildVersionedSecret(input: VersionedSecretInput): { hash: string; secret: VersionedSecret } {
  const hash = contentHash({ type: input.type, data: input.data, labels: input.templateLabels, annotations: input.templateAnnotations }, input.key);
  const owner = ownerMetadata(input.externalSecretName, input.targetName);
  const secret: VersionedSecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: versionedName(input.targetName, hash),
      namespace: input.namespace,
      // keyferry's own labels win over the template's, so selection cannot be broken by a template.
      labels: { ...input.templateLabels, ...owner.labels, [LABEL_MANAGED]: 'true' },
      annotations: {
        ...input.templateAnnotations,
        ...owner.annotations,
        [ANNOTATION_CONTENT_HASH]: hash,
        [ANNOTATION_REMOTE_VERSIONS]: JSON.stringify(sortedRecord(input.remoteVersions, (v) => v)),
      },
    },
    type: input.type,
    immutable: true,
    data: sortedRecord(input.data, (v) => v.toString('base64')),
  };
  if (input.owner) {
    secret.metadata.ownerReferences = [{ ...input.owner, controller: true, blockOwnerDeletion: true }];
  }
  return { hash, secret };
}
