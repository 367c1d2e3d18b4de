// The Secrets keyferry wrote, grouped by ExternalSecret (`namespace/name` from the label),
// so a reconcile finds its versions without scanning every managed Secret.
import type { SecretObject } from '../kube/kube-object.js';
import { LABEL_EXTERNAL_SECRET } from '../versioning/labels.js';

export class ManagedSecretIndex {
  private readonly byOwner = new Map<string, Map<string, SecretObject>>();

  private ownerKey(secret: SecretObject): string | undefined {
    const es = secret.metadata?.labels?.[LABEL_EXTERNAL_SECRET];
    return es ? `${secret.metadata?.namespace}/${es}` : undefined;
  }

  upsert(secret: SecretObject): void {
    const owner = this.ownerKey(secret);
    if (!owner) return;
    let group = this.byOwner.get(owner);
    if (!group) this.byOwner.set(owner, (group = new Map()));
    group.set(secret.metadata!.name!, secret);
  }

  remove(secret: SecretObject): void {
    const owner = this.ownerKey(secret);
    if (!owner) return;
    const group = this.byOwner.get(owner);
    group?.delete(secret.metadata!.name!);
    if (group?.size === 0) this.byOwner.delete(owner);
  }

  /** Versions written for ExternalSecret `namespace/name`. */
  forExternalSecret(key: string): SecretObject[] {
    return [...(this.byOwner.get(key)?.values() ?? [])];
  }

  has(key: string, secretName: string): boolean {
    return this.byOwner.get(key)?.has(secretName) ?? false;
  }
}
