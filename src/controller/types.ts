// The controller's view of keyferry's resources: the generated API types (from the CRDs,
// the single source of truth) on top of the generic object shape the kube layer reads.
import type { KubeObject } from '../kube/kube-object.js';
import type {
  ClusterSecretStoreSpec,
  ExternalSecretSpec,
  ExternalSecretStatus,
  SecretStoreSpec,
  SecretStoreStatus,
} from '../api/index.js';

export type {
  Condition,
  ExternalSecretSpec,
  ExternalSecretStatus,
  LabelSelector,
  RemoteRef as RemoteRefSpec,
  ExternalSecretDataFrom as DataFromSpec,
  ClusterSecretStoreCondition as StoreCondition,
  SecretVersion as VersionStatus,
} from '../api/index.js';

/** A SecretStore's or ClusterSecretStore's spec; only the latter has `conditions`. */
export type StoreSpec = SecretStoreSpec & Pick<ClusterSecretStoreSpec, 'conditions'>;

export interface StoreResource extends KubeObject {
  spec?: StoreSpec;
  status?: SecretStoreStatus;
}

export interface ExternalSecretResource extends KubeObject {
  spec?: ExternalSecretSpec;
  status?: ExternalSecretStatus;
}
