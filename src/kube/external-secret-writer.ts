// The writes a ClusterExternalSecret makes: ExternalSecrets created, replaced and deleted in
// the namespaces it selects. An interface so the reconciler is tested against a fake;
// `KubeClient` is the real one.
import type { KubeObject } from './kube-object.js';

export interface ExternalSecretWriter {
  /** Creates an ExternalSecret; undefined when one of that name is already there (409). */
  createExternalSecret(obj: KubeObject): Promise<KubeObject | undefined>;
  /** Replaces an ExternalSecret, with its `metadata.resourceVersion` as precondition (409 when stale). */
  replaceExternalSecret(obj: KubeObject): Promise<KubeObject>;
  /** Deletes the ExternalSecret with that uid; false when it was already gone (or is another object now). */
  deleteExternalSecret(namespace: string, name: string, uid: string): Promise<boolean>;
}
