// Which Secret names are referenced in each namespace, counted over the referencing objects
// (Pods, pod templates, ControllerRevisions) that the caches hold. Retention asks it before it
// deletes a version; when the last reference to a name goes away, `onReleased` says so, so the
// version can be pruned at once instead of at the next refresh.
import type { InUseCheck } from '../versioning/retention.js';
import type { ReferencingObject } from './referencing-kinds.js';

export type ReleaseListener = (namespace: string, secretName: string) => void;

export class SecretReferenceIndex {
  /** namespace → Secret name → number of objects referencing it. */
  private readonly counts = new Map<string, Map<string, number>>();
  /** `kind/namespace/name` → the names that object references (as last counted). */
  private readonly byObject = new Map<string, readonly string[]>();
  private readonly listeners: ReleaseListener[] = [];

  onReleased(listener: ReleaseListener): void {
    this.listeners.push(listener);
  }

  /** Adds or updates what one object references. */
  set(obj: ReferencingObject): void {
    const key = `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`;
    const before = this.byObject.get(key) ?? [];
    const after = obj.secretNames;
    if (after.length === 0) this.byObject.delete(key);
    else this.byObject.set(key, after);
    const ns = obj.metadata.namespace;
    for (const name of after) if (!before.includes(name)) this.adjust(ns, name, +1);
    for (const name of before) if (!after.includes(name)) this.adjust(ns, name, -1);
  }

  remove(obj: ReferencingObject): void {
    this.set({ ...obj, secretNames: [] });
  }

  /** Whether anything in `namespace` references a Secret of that name. */
  isReferenced(namespace: string, secretName: string): boolean {
    return (this.counts.get(namespace)?.get(secretName) ?? 0) > 0;
  }

  /** The retention hook for one namespace. */
  inUse(namespace: string): InUseCheck {
    return (name) => this.isReferenced(namespace, name);
  }

  private adjust(namespace: string, name: string, delta: number): void {
    let names = this.counts.get(namespace);
    if (!names) this.counts.set(namespace, (names = new Map()));
    const n = (names.get(name) ?? 0) + delta;
    if (n > 0) {
      names.set(name, n);
      return;
    }
    names.delete(name);
    if (names.size === 0) this.counts.delete(namespace);
    for (const l of this.listeners) l(namespace, name);
  }
}
