// The Secrets keyferry wrote, grouped by ExternalSecret (`namespace/name` from the label),
// so a reconcile finds its versions without scanning every managed Secret.
import type { SecretObject } from '../kube/kube-object.js';
import { LABEL_EXTERNAL_SECRET } from '../versioning/labels.js';

/** Whether an object came from JSON.parse (an informer) rather than a model class of the API client. */
function isPlainJson(obj: object): boolean {
  return Object.getPrototypeOf(obj) === Object.prototype;
}

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
    const name = secret.metadata!.name!;
    // The same version arrives twice, in either order: from the managed-Secret informer (plain
    // parsed JSON, which the informer's cache holds anyway) and from the create call's response
    // (the API client's model class instances, a second and heavier copy). Keeping the
    // informer's copy saves ~13 MiB at 10 000 ExternalSecrets.
    const held = group.get(name);
    const sameVersion = held !== undefined && secret.metadata?.resourceVersion !== undefined && held.metadata?.resourceVersion === secret.metadata.resourceVersion;
    if (sameVersion && (isPlainJson(held) || !isPlainJson(secret))) return;
    group.set(name, secret);
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
