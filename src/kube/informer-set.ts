// The informers the operator runs (DESIGN §3), scoped to `--namespace` where the resource is namespaced.
import { ResilientInformer, type InformerLogger, type ListPage } from './informer.js';
import type { KubeObject, SecretObject } from './kube-object.js';
import { CredentialSecretCache, secretWatchFactory } from './credential-secrets.js';
import { GROUP, PLURALS, VERSION } from './resources.js';
import { LABEL_MANAGED } from '../versioning/labels.js';
import { forgetData } from '../versioning/version-ownership.js';
import type { KubeClient } from './kube-client.js';
import { REFERENCING_KINDS, toReferencingObject, type ReferencingKindName, type ReferencingObject } from '../workloads/referencing-kinds.js';

export interface InformerSet {
  externalSecrets: ResilientInformer<KubeObject>;
  secretStores: ResilientInformer<KubeObject>;
  clusterSecretStores: ResilientInformer<KubeObject>;
  /** Only when every namespace is watched: a ClusterExternalSecret writes into any namespace. */
  clusterExternalSecrets?: ResilientInformer<KubeObject>;
  /** Secrets keyferry wrote (label-selected). */
  managedSecrets: ResilientInformer<SecretObject>;
  namespaces: ResilientInformer<KubeObject>;
  /** Pods, workloads and ControllerRevisions, each reduced to the Secret names it references before it is cached. */
  referencing: Record<ReferencingKindName, ResilientInformer<ReferencingObject>>;
}

/** kubectl's copy of the whole object as last applied: no code reads it, and it doubles what `kubectl apply` leaves. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What is dropped from ExternalSecrets and stores before they are cached (managedFields goes
 * for every informer): kubectl's last-applied copy. The rest (metadata, spec, status) is read.
 */
export function trimApiObject(obj: KubeObject): void {
  const annotations = obj.metadata?.annotations;
  if (!annotations || !(LAST_APPLIED_ANNOTATION in annotations)) return;
  delete annotations[LAST_APPLIED_ANNOTATION];
  if (Object.keys(annotations).length === 0) delete obj.metadata!.annotations;
}

export interface InformerSetOptions {
  /** Watch-list for the initial state where the API server offers it (default on; informer.ts). */
  watchList?: boolean;
  /** Applied to each ExternalSecret before it is cached (sharded: controller/shard-view.ts). */
  externalSecret?: (obj: KubeObject) => KubeObject;
  /** Managed Secrets for which this is false are not cached (sharded: controller/shard-view.ts). */
  keepsManagedSecret?: (secret: SecretObject) => boolean;
}

export function createInformers(client: KubeClient, logger: InformerLogger, namespace?: string, options: InformerSetOptions = {}): InformerSet {
  const { watchList } = options;
  const http = client.http;
  /** Lists one page of `path` under the client budget. */
  const pageOf = (path: string, selectors: { labelSelector?: string } = {}) =>
    (page: ListPage) => client.call(() => http.list(path, { ...selectors, ...page }));
  const customPath = (plural: string, namespaced: boolean) =>
    namespaced && namespace ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}` : `/apis/${GROUP}/${VERSION}/${plural}`;
  const custom = (name: string, plural: string, namespaced: boolean, transform?: (obj: KubeObject) => KubeObject) => new ResilientInformer<KubeObject>({
    name,
    http,
    logger,
    watchList,
    path: customPath(plural, namespaced),
    trim: trimApiObject,
    transform,
    list: pageOf(customPath(plural, namespaced)),
  });
  const secretsPath = namespace ? `/api/v1/namespaces/${namespace}/secrets` : '/api/v1/secrets';
  const secrets = (name: string, labelSelector: string, trim?: (s: SecretObject) => void, keep?: (s: SecretObject) => boolean) => new ResilientInformer<SecretObject>({
    name,
    http,
    logger,
    watchList,
    labelSelector,
    trim,
    keep,
    path: secretsPath,
    list: pageOf(secretsPath, { labelSelector }),
  });
  const referencing = (kind: ReferencingKindName) => {
    const k = REFERENCING_KINDS[kind];
    const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
    const path = namespace ? `${base}/namespaces/${namespace}/${k.plural}` : `${base}/${k.plural}`;
    return new ResilientInformer<ReferencingObject>({
      name: k.plural,
      http,
      logger,
      watchList,
      path,
      transform: (obj) => toReferencingObject(k, obj),
      list: pageOf(path),
    });
  };
  return {
    externalSecrets: custom('externalsecrets', PLURALS.ExternalSecret, true, options.externalSecret),
    secretStores: custom('secretstores', PLURALS.SecretStore, true),
    clusterSecretStores: custom('clustersecretstores', PLURALS.ClusterSecretStore, false),
    ...(namespace ? {} : { clusterExternalSecrets: custom('clusterexternalsecrets', PLURALS.ClusterExternalSecret, false) }),
    // Versions are only ever listed, created and deleted: keep their metadata, not their values.
    // A digest of type and data stays, so ownership can still be checked (versioning/version-ownership.ts).
    managedSecrets: secrets('managed-secrets', `${LABEL_MANAGED}=true`, forgetData, options.keepsManagedSecret),
    namespaces: new ResilientInformer<KubeObject>({
      name: 'namespaces',
      http,
      logger,
      watchList,
      path: '/api/v1/namespaces',
      list: pageOf('/api/v1/namespaces'),
    }),
    referencing: Object.fromEntries(Object.keys(REFERENCING_KINDS).map((k) => [k, referencing(k as ReferencingKindName)])) as InformerSet['referencing'],
  };
}

/**
 * The credential Secrets stores reference: each read on demand and watched by name while a
 * store references it (credential-secrets.ts). Scoped to `--namespace` as the informers are.
 */
export function createCredentialSecrets(client: KubeClient, logger: InformerLogger, namespace?: string, options: { watchList?: boolean } = {}): CredentialSecretCache {
  return new CredentialSecretCache({ reader: client, watch: secretWatchFactory(client, logger, options), logger, namespace });
}

export function allInformers(set: InformerSet): ResilientInformer<KubeObject>[] {
  const { referencing, ...rest } = set;
  return [...Object.values(rest).filter((i) => i !== undefined), ...Object.values(referencing)] as ResilientInformer<KubeObject>[];
}
