// "The cluster" as the operator benchmark sees it, with two implementations: the embedded dev
// cluster (its in-process store and request stats) and a real kube-apiserver (watch caches in
// the benchmark process and the server's own apiserver_request_total). The benchmark creates
// and patches objects, reads ExternalSecrets and managed Secrets, and counts the writes of
// everyone but itself, the same way on both.

export type ClusterKind = 'dev' | 'real';

/** An object to create: apiVersion, kind, metadata (namespace when namespaced). */
export type NewObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/** The fields of stored objects the benchmark reads. */
export interface BenchObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: unknown[] };
  spec?: unknown;
  status?: { currentSecretName?: string; refreshTime?: string; conditions?: Array<{ type: string; status: string }> };
}

/** A merge patch of one ExternalSecret: annotations to add, or fields of its status. */
export interface ExternalSecretPatch {
  namespace: string;
  name: string;
  annotations?: Record<string, string>;
  status?: Record<string, unknown>;
}

/** Writes (create, update, patch, apply, delete) the cluster received from others than the benchmark, since it started. */
export interface WriteCounts {
  total: number;
  /** By `resource` or `resource/subresource`: `secrets`, `externalsecrets/status`, `events`. */
  byResource: Record<string, number>;
  /** Real cluster: writes its audit log attributes to the operator's ServiceAccount (a check of `total`, which counts every writer but the benchmark). */
  byOperatorAccount?: number;
  /** Real cluster: requests of anyone (the benchmark too) answered 429 Too Many Requests. */
  tooManyRequests?: number;
}

export interface BenchCluster {
  readonly kind: ClusterKind;
  /** What runs: `dev cluster` or `kube-apiserver v1.34.4`. */
  readonly description: string;
  /** How the operator reaches the cluster: its kubeconfig and environment. */
  readonly operator: { kubeconfigPath: string; env: Record<string, string> };
  /** Creates objects (replacing none); on the real cluster with bounded concurrency. Objects of one call may be created in any order. */
  create(objects: NewObject[]): Promise<void>;
  /** Merge-patches ExternalSecrets (their metadata or status subresource). */
  patchExternalSecrets(patches: ExternalSecretPatch[]): Promise<void>;
  /** One ExternalSecret as the cluster holds it (real: as the benchmark's watch last saw it). */
  externalSecret(namespace: string, name: string): BenchObject | undefined;
  /** Secrets labelled keyferry.io/external-secret, in every namespace. */
  managedSecrets(): Iterable<BenchObject>;
  writes(): Promise<WriteCounts>;
  /** Resolves once every object created so far is visible to the benchmark's reads. */
  settled(): Promise<void>;
  /** Real cluster: CPU seconds and peak RSS of kube-apiserver, etcd and kube-controller-manager so far. */
  serverFigures(): Promise<Record<string, { cpuSeconds: number; peakRssMiB: number }> | undefined>;
  stop(): Promise<void>;
}
