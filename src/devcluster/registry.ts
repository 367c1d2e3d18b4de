// The resources the server currently serves: built-in kinds plus the versions of every
// established CRD. One entry per group/version/plural; several entries may share storage
// (CRD versions; core/v1 and events.k8s.io/v1 Events).
import type { KubeObject, ResourceType } from './resource-type.js';

export interface ServedResource {
  type: ResourceType;
  /** `group/plural`: where objects live in the store; shared by all versions of a resource. */
  storageKey: string;
  /** `group/version`, `v1` for core: the apiVersion of objects served here. */
  apiVersion: string;
  /** Converts a stored object into this version's form (must not modify its argument). Default: rewrite apiVersion. */
  toExternal?(obj: KubeObject): KubeObject;
  /** Converts an object sent to this version into the stored form (may modify its argument). */
  toStorage?(obj: KubeObject): KubeObject;
  /** True for resources that are never stored (TokenReview). */
  virtual?: boolean;
}

export const gvrKey = (group: string, version: string, plural: string): string => `${group}/${version}/${plural}`;
export const storageKeyOf = (t: { group: string; plural: string }): string => `${t.group}/${t.plural}`;
export const apiVersionOf = (t: { group: string; version: string }): string => (t.group ? `${t.group}/${t.version}` : t.version);

export function served(type: ResourceType, extra: Partial<ServedResource> = {}): ServedResource {
  return { type, storageKey: storageKeyOf(type), apiVersion: apiVersionOf(type), ...extra };
}

export class ResourceRegistry {
  private readonly byGvr = new Map<string, ServedResource>();
  private readonly listeners = new Set<() => void>();
  private cachedTypes: ResourceType[] | undefined;

  add(r: ServedResource): void {
    this.byGvr.set(gvrKey(r.type.group, r.type.version, r.type.plural), r);
    this.changed();
  }

  remove(group: string, version: string, plural: string): void {
    if (this.byGvr.delete(gvrKey(group, version, plural))) this.changed();
  }

  get(group: string, version: string, plural: string): ServedResource | undefined {
    return this.byGvr.get(gvrKey(group, version, plural));
  }

  /** Finds the served resource for an object's apiVersion and kind. */
  byKind(apiVersion: string, kind: string): ServedResource | undefined {
    for (const r of this.byGvr.values()) if (r.apiVersion === apiVersion && r.type.kind === kind) return r;
    return undefined;
  }

  /** All served versions of one storage key. */
  versionsOf(storageKey: string): ServedResource[] {
    return [...this.byGvr.values()].filter((r) => r.storageKey === storageKey);
  }

  all(): ServedResource[] {
    return [...this.byGvr.values()];
  }

  /** The `ResourceType`s served, for discovery, OpenAPI and Tables (cached until the set changes). */
  types(): ResourceType[] {
    return (this.cachedTypes ??= [...this.byGvr.values()].map((r) => r.type));
  }

  /** Called after every change (a CRD established or removed). Returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.cachedTypes = undefined;
    for (const fn of this.listeners) fn();
  }
}
