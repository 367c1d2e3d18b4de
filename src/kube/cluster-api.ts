// The Kubernetes writes and point reads the controller makes. An interface so the
// controller is tested against an in-memory fake; `KubeClient` is the real one.
import type { KubeObject, SecretObject } from './kube-object.js';

export interface ResourceRef {
  kind: 'ExternalSecret' | 'SecretStore' | 'ClusterSecretStore' | 'ClusterExternalSecret';
  namespace?: string;
  name: string;
}

export interface EventInput {
  involved: ResourceRef & { uid?: string; apiVersion: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The workloads whose pod templates rollout `Patch` rewrites. */
export type FollowerKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

export interface ClusterApi {
  getSecret(namespace: string, name: string): Promise<SecretObject | undefined>;
  /** The Secrets of a namespace that match a label selector (`k=v,...`), read past the caches: another shard's versions. */
  listSecrets(namespace: string, labelSelector: string): Promise<SecretObject[]>;
  /** Creates a Secret and returns it as stored; undefined when one of that name is already there (409). */
  createSecret(secret: SecretObject): Promise<SecretObject | undefined>;
  /** Deletes a Secret; false when it was already gone. */
  deleteSecret(namespace: string, name: string): Promise<boolean>;
  getConfigMap(namespace: string, name: string): Promise<ConfigMapObject | undefined>;
  /** Replaces a Secret with its resourceVersion as precondition: only the alias (alias mode) and an opted-in Merge target (merge mode); versions are never updated. */
  updateSecret(secret: SecretObject, options?: { dryRun?: boolean }): Promise<SecretObject>;
  /** A Deployment, StatefulSet or DaemonSet as stored (managedFields included); undefined when gone. */
  getWorkload(kind: FollowerKind, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** JSON-patches a workload; a stale `metadata.resourceVersion` in the ops makes it fail with 409. */
  patchWorkload(kind: FollowerKind, namespace: string, name: string, ops: JsonPatchOperation[]): Promise<void>;
  /** Creates a ConfigMap; undefined when one of that name is already there (409). */
  createConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject | undefined>;
  /** Replaces a ConfigMap (with its resourceVersion as precondition). */
  replaceConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject>;
  /** Asks a Flux Kustomization to reconcile now (`reconcile.fluxcd.io/requestedAt`). */
  requestFluxReconcile(namespace: string, name: string, requestedAt: string): Promise<void>;
  /** Merge-patches the status subresource of a keyferry resource. */
  patchStatus(ref: ResourceRef, status: Record<string, unknown>): Promise<void>;
  /** Records an Event; best effort, on its own budget. */
  createEvent(event: EventInput): Promise<void>;
  createServiceAccountToken(namespace: string, name: string, options: { audiences?: string[]; expirationSeconds?: number }): Promise<{ token: string; expiresAt: Date }>;
}

export type { KubeObject };
