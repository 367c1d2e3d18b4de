// Names of keyferry's API: group/version, kinds and plurals, and the label and
// annotation keys of DESIGN §2. The rest of the code base refers to these instead of
// repeating the strings.

export const GROUP = 'keyferry.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const KINDS = {
  ExternalSecret: 'ExternalSecret',
  SecretStore: 'SecretStore',
  ClusterSecretStore: 'ClusterSecretStore',
  ClusterExternalSecret: 'ClusterExternalSecret',
} as const;
export type Kind = keyof typeof KINDS;
export type StoreKind = 'SecretStore' | 'ClusterSecretStore';

export const PLURALS = {
  ExternalSecret: 'externalsecrets',
  SecretStore: 'secretstores',
  ClusterSecretStore: 'clustersecretstores',
  ClusterExternalSecret: 'clusterexternalsecrets',
} as const satisfies Record<Kind, string>;

/** Whether each kind lives in a namespace. */
export const NAMESPACED = {
  ExternalSecret: true,
  SecretStore: true,
  ClusterSecretStore: false,
  ClusterExternalSecret: false,
} as const satisfies Record<Kind, boolean>;

/** The provider blocks of `spec.provider`, exactly one of which a store sets. */
export const PROVIDER_NAMES = ['aws', 'gcpsm', 'azurekv', 'vault', 'onepassword', 'fake'] as const;
export type ProviderBlockName = (typeof PROVIDER_NAMES)[number];

/** On every versioned Secret: the ExternalSecret that wrote it. */
export const LABEL_EXTERNAL_SECRET = 'keyferry.io/external-secret';
/** On every versioned Secret: its `target.name` (the base name). */
export const LABEL_TARGET = 'keyferry.io/target';
/** On an ExternalSecret a ClusterExternalSecret wrote: that ClusterExternalSecret's name. */
export const LABEL_CLUSTER_EXTERNAL_SECRET = 'keyferry.io/cluster-external-secret';
/** Marks a Secret as written by keyferry; the managed-Secret informer selects on it. */
export const LABEL_MANAGED = 'keyferry.io/managed';

/** On a versioned Secret whose label values had to be shortened (over 63 characters): the full ExternalSecret name. */
export const ANNOTATION_EXTERNAL_SECRET_NAME = 'keyferry.io/external-secret-name';
/** Likewise, the full `target.name`. */
export const ANNOTATION_TARGET_NAME = 'keyferry.io/target-name';

/** On a versioned Secret: the content hash in its name. */
export const ANNOTATION_CONTENT_HASH = 'keyferry.io/content-hash';
/** On a versioned Secret: JSON map of target key → remote version id used (ids only, never values). */
export const ANNOTATION_REMOTE_VERSIONS = 'keyferry.io/remote-versions';
/** On an ExternalSecret: a changed value asks for a sync now, bypassing the cache. */
export const ANNOTATION_FORCE_SYNC = 'keyferry.io/force-sync';
/** On a Secret, set by its owner: the one ExternalSecret of its namespace that may merge keys into it (creationPolicy Merge). */
export const ANNOTATION_MERGE_FROM = 'keyferry.io/merge-from';
/** On a merged-into Secret, set by keyferry: the ExternalSecret whose keys it holds. */
export const ANNOTATION_MERGED_BY = 'keyferry.io/merged-by';
/** On a merged-into Secret, set by keyferry: the keys it wrote there, sorted, comma-separated (names only). */
export const ANNOTATION_MERGED_KEYS = 'keyferry.io/merged-keys';
/** On a merged-into Secret, set by keyferry: HMAC (10 hex, the version key) of the keys and values it wrote, to tell drift. */
export const ANNOTATION_MERGED_HASH = 'keyferry.io/merged-hash';
/** On a Deployment/StatefulSet/DaemonSet: comma-separated ExternalSecret names whose versions it follows. */
export const ANNOTATION_FOLLOW = 'keyferry.io/follow';

/** ConfigMap written with rollout `Publish`: target name → current versioned Secret name. */
export const PUBLISH_CONFIGMAP_NAME = 'keyferry-versions';
/** Annotation that asks Flux to reconcile a Kustomization now. */
export const FLUX_RECONCILE_ANNOTATION = 'reconcile.fluxcd.io/requestedAt';

/** Characters the versioned name adds to `target.name`: `-` and 10 hex digits. */
export const VERSION_SUFFIX_LENGTH = 11;

/** Condition type shared by all three kinds. */
export const CONDITION_READY = 'Ready';

/** `Ready` reasons of an ExternalSecret. */
export const EXTERNAL_SECRET_REASONS = {
  SecretSynced: 'SecretSynced',
  SecretSyncedError: 'SecretSyncedError',
  StoreNotReady: 'StoreNotReady',
  /** A ClusterSecretStore's `conditions` exclude the ExternalSecret's namespace. */
  NamespaceNotAllowed: 'NamespaceNotAllowed',
  /** The ExternalSecret's own spec is wrong in a way the schema cannot say; retried when it changes. */
  InvalidSpec: 'InvalidSpec',
  Stale: 'Stale',
  /** The remote values cannot make a valid Secret (decoding, missing template key, Secret limits); retried, the last good version keeps serving. */
  InvalidRemoteData: 'InvalidRemoteData',
  /** A Secret that is not this ExternalSecret's version holds the version's name; never adopted. */
  NameConflict: 'NameConflict',
  /** Another ExternalSecret of the namespace writes the same target.name. */
  TargetConflict: 'TargetConflict',
  /** deletionPolicy Delete: every remote secret is gone, and so are the versions nothing references. */
  SecretDeleted: 'SecretDeleted',
  /** alias: a Secret named target.name exists that is not this ExternalSecret's alias; never taken over. */
  AliasConflict: 'AliasConflict',
  /** alias: the alias cannot be updated (the optional RBAC in manifests/optional/alias-mode is not applied). */
  AliasForbidden: 'AliasForbidden',
  /** alias: the alias could not be written for another reason. */
  AliasFailed: 'AliasFailed',
  /** creationPolicy Merge: the Secret target.name does not exist (keyferry never creates it); retried. */
  MergeTargetNotFound: 'MergeTargetNotFound',
  /** creationPolicy Merge: target.name may not be merged into (not opted in, not keyferry's to change, or a key keyferry did not write); nothing written. */
  MergeRefused: 'MergeRefused',
  /** creationPolicy Merge: the operator may not update Secrets (manifests/optional/merge-mode is not applied). */
  MergeForbidden: 'MergeForbidden',
  /** creationPolicy None: the remote data was read and is valid; no Secret is written, so Ready is not True. */
  CreationPolicyNone: 'CreationPolicyNone',
} as const;
export type ExternalSecretReason = keyof typeof EXTERNAL_SECRET_REASONS;

/** `Ready` reasons of a ClusterExternalSecret. */
export const CLUSTER_EXTERNAL_SECRET_REASONS = {
  /** Every selected namespace holds the ExternalSecret. */
  Provisioned: 'Provisioned',
  /** Some selected namespaces do not; failedNamespaces says which and why. */
  NamespacesFailed: 'NamespacesFailed',
  /** The spec is wrong in a way the schema cannot say. */
  InvalidSpec: 'InvalidSpec',
} as const;

/** `Ready` reasons of a SecretStore or ClusterSecretStore. */
export const STORE_REASONS = {
  Valid: 'Valid',
  InvalidProviderConfig: 'InvalidProviderConfig',
  ValidationFailed: 'ValidationFailed',
} as const;
export type StoreReason = keyof typeof STORE_REASONS;
