// Builds the immutable, versioned Secret for one sync (DESIGN §2). Pure: no I/O.
import { contentHash, versionedName } from './content-hash.js';
import { ANNOTATION_CONTENT_HASH, ANNOTATION_REMOTE_VERSIONS, LABEL_EXTERNAL_SECRET, LABEL_MANAGED, LABEL_TARGET } from './labels.js';

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

export function buildVersionedSecret(input: VersionedSecretInput): { hash: string; secret: VersionedSecret } {
  const hash = contentHash({ type: input.type, data: input.data, labels: input.templateLabels, annotations: input.templateAnnotations });
  const data: Record<string, string> = {};
  for (const key of Object.keys(input.data).sort()) data[key] = input.data[key]!.toString('base64');
  const secret: VersionedSecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: versionedName(input.targetName, hash),
      namespace: input.namespace,
      // keyferry's own labels win over the template's, so selection cannot be broken by a template.
      labels: { ...input.templateLabels, [LABEL_EXTERNAL_SECRET]: input.externalSecretName, [LABEL_TARGET]: input.targetName, [LABEL_MANAGED]: 'true' },
      annotations: {
        ...input.templateAnnotations,
        [ANNOTATION_CONTENT_HASH]: hash,
        [ANNOTATION_REMOTE_VERSIONS]: JSON.stringify(Object.fromEntries(Object.entries(input.remoteVersions).sort())),
      },
    },
    type: input.type,
    immutable: true,
    data,
  };
  if (input.owner) {
    secret.metadata.ownerReferences = [{ ...input.owner, controller: true, blockOwnerDeletion: true }];
  }
  return { hash, secret };
}
