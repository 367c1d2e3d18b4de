// The in-memory object store: objects per resource (storage key) and namespace, the single
// cluster-wide resourceVersion counter, a bounded per-resource event history for watches
// that start from a resourceVersion, and the indexes the server needs without O(n) scans
// per write (owner uid → dependents, objects per namespace).
//
// Stored objects are never modified after `put`: an update stores a new object. Each entry
// keeps the object's JSON, serialised once, so lists and watch events reuse it.
import type { KubeObject } from './resource-type.js';

export interface Entry {
  readonly obj: KubeObject;
  /** `JSON.stringify(obj)`, computed once. */
  readonly json: string;
  readonly rv: number;
  /** JSON of the object converted for other served versions, by apiVersion (filled lazily). */
  views?: Map<string, string>;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: EventType;
  readonly rv: number;
  readonly storageKey: string;
  readonly namespace: string;
  readonly entry: Entry;
  /** The object before this change (MODIFIED, DELETED). */
  readonly prev?: Entry;
  /** Serialised watch lines, by event type and apiVersion (filled lazily, shared by all watchers). */
  lines?: Map<string, string>;
}

export interface ObjectRef {
  storageKey: string;
  namespace: string;
  name: string;
}

class Bucket {
  readonly byNs = new Map<string, Map<string, Entry>>();
  size = 0;
  history: StoreEvent[] = [];
  /** Events with rv ≤ compactedRv are no longer in `history`. */
  compactedRv = 0;
  constructor(readonly key: string) {}
}

export interface ObjectStoreOptions {
  /** Events kept per resource for watches from a resourceVersion (default 10 000). */
  historySize?: number;
}

export class ObjectStore {
  private rv = 0;
  private readonly buckets = new Map<string, Bucket>();
  private readonly historySize: number;
  private readonly dependents = new Map<string, Set<string>>();
  private readonly nsCounts = new Map<string, number>();
  private readonly byUid = new Map<string, ObjectRef>();
  private readonly listeners = new Set<(ev: StoreEvent) => void>();

  constructor(opts: ObjectStoreOptions = {}) {
    this.historySize = Math.max(1, opts.historySize ?? 10_000);
  }

  /** The cluster-wide resourceVersion of the last write. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Subscribes to every committed change, synchronously and in resourceVersion order. */
  onEvent(fn: (ev: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(storageKey: string, namespace: string, name: string): Entry | undefined {
    return this.buckets.get(storageKey)?.byNs.get(namespace)?.get(name);
  }

  /** Entries of one namespace, or of all namespaces when `namespace` is undefined. */
  *entries(storageKey: string, namespace?: string): IterableIterator<Entry> {
    const b = this.buckets.get(storageKey);
    if (!b) return;
    if (namespace !== undefined) {
      const m = b.byNs.get(namespace);
      if (m) yield* m.values();
      return;
    }
    for (const m of b.byNs.values()) yield* m.values();
  }

  count(storageKey: string): number {
    return this.buckets.get(storageKey)?.size ?? 0;
  }

  /** Number of namespaced objects in a namespace, all resources together. */
  countInNamespace(namespace: string): number {
    return this.nsCounts.get(namespace) ?? 0;
  }

  storageKeys(): string[] {
    return [...this.buckets.keys()];
  }

  /**
   * Stores `obj` (taking ownership: the caller must not modify it afterwards), assigning the
   * next resourceVersion to `metadata.resourceVersion`, and emits ADDED or MODIFIED.
   */
  put(storageKey: string, obj: KubeObject): Entry {
    const meta = obj.metadata as Record<string, unknown>;
    const namespace = (meta.namespace as string | undefined) ?? '';
    const name = meta.name as string;
    const b = this.bucket(storageKey);
    let nsMap = b.byNs.get(namespace);
    if (!nsMap) b.byNs.set(namespace, (nsMap = new Map()));
    const prev = nsMap.get(name);
    const rv = ++this.rv;
    meta.resourceVersion = String(rv);
    const entry: Entry = { obj, json: JSON.stringify(obj), rv };
    nsMap.set(name, entry);
    if (!prev) {
      b.size++;
      if (namespace) this.nsCounts.set(namespace, (this.nsCounts.get(namespace) ?? 0) + 1);
      if (typeof meta.uid === 'string') this.byUid.set(meta.uid, { storageKey, namespace, name });
    }
    this.indexOwners(storageKey, namespace, name, prev?.obj, obj);
    this.emit(b, { type: prev ? 'MODIFIED' : 'ADDED', rv, storageKey, namespace, entry, prev });
    return entry;
  }

  /**
   * Removes an object and emits DELETED. `final` is the object as it is last seen (its
   * resourceVersion is set to the deletion's); defaults to the stored object.
   */
  remove(storageKey: string, namespace: string, name: string, final?: KubeObject): Entry | undefined {
    const b = this.buckets.get(storageKey);
    const nsMap = b?.byNs.get(namespace);
    const prev = nsMap?.get(name);
    if (!b || !nsMap || !prev) return undefined;
    nsMap.delete(name);
    if (nsMap.size === 0) b.byNs.delete(namespace);
    b.size--;
    if (namespace) {
      const n = (this.nsCounts.get(namespace) ?? 1) - 1;
      if (n > 0) this.nsCounts.set(namespace, n); else this.nsCounts.delete(namespace);
    }
    this.indexOwners(storageKey, namespace, name, prev.obj, undefined);
    const uid = prev.obj.metadata?.uid;
    if (typeof uid === 'string') this.byUid.delete(uid);
    const rv = ++this.rv;
    const obj = final ?? { ...prev.obj, metadata: { ...prev.obj.metadata } };
    (obj.metadata as Record<string, unknown>).resourceVersion = String(rv);
    const entry: Entry = { obj, json: JSON.stringify(obj), rv };
    this.emit(b, { type: 'DELETED', rv, storageKey, namespace, entry, prev });
    return entry;
  }

  /** Drops a whole resource without events (a CRD was deleted after its objects were). */
  dropResource(storageKey: string): void {
    const b = this.buckets.get(storageKey);
    for (const m of b?.byNs.values() ?? []) for (const e of m.values()) if (typeof e.obj.metadata?.uid === 'string') this.byUid.delete(e.obj.metadata.uid);
    this.buckets.delete(storageKey);
  }

  /** The object with this uid, if stored. */
  getByUid(uid: string): (ObjectRef & { entry: Entry }) | undefined {
    const ref = this.byUid.get(uid);
    const entry = ref && this.get(ref.storageKey, ref.namespace, ref.name);
    return ref && entry ? { ...ref, entry } : undefined;
  }

  /** Objects whose ownerReferences name `uid`. */
  dependentsOf(uid: string): ObjectRef[] {
    const set = this.dependents.get(uid);
    if (!set) return [];
    return [...set].map((k) => {
      const [storageKey, namespace, name] = k.split('\u0000');
      return { storageKey, namespace, name };
    });
  }

  /**
   * History events after `rv` for a watch, or `undefined` when `rv` is older than the
   * retained window (the caller answers 410 Gone).
   */
  eventsSince(storageKey: string, rv: number): StoreEvent[] | undefined {
    const b = this.bucket(storageKey);
    if (rv < b.compactedRv) return undefined;
    const h = b.history;
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (h[mid].rv <= rv) lo = mid + 1; else hi = mid;
    }
    return h.slice(lo);
  }

  /** Forgets all watch history (like an etcd compaction): watches from older resourceVersions get 410. */
  compact(): void {
    for (const b of this.buckets.values()) {
      b.history = [];
      b.compactedRv = this.rv;
    }
  }

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(key);
      this.buckets.set(key, b);
    }
    return b;
  }

  private emit(b: Bucket, ev: StoreEvent): void {
    b.history.push(ev);
    if (b.history.length > this.historySize * 2) {
      const drop = b.history.length - this.historySize;
      b.compactedRv = b.history[drop - 1].rv;
      b.history = b.history.slice(drop);
    }
    for (const fn of this.listeners) fn(ev);
  }

  private indexOwners(storageKey: string, namespace: string, name: string, before: KubeObject | undefined, after: KubeObject | undefined): void {
    const uidsBefore = ownerUids(before);
    const uidsAfter = ownerUids(after);
    if (uidsBefore.length === 0 && uidsAfter.length === 0) return;
    const key = `${storageKey}\u0000${namespace}\u0000${name}`;
    for (const uid of uidsBefore) {
      if (uidsAfter.includes(uid)) continue;
      const s = this.dependents.get(uid);
      s?.delete(key);
      if (s && s.size === 0) this.dependents.delete(uid);
    }
    for (const uid of uidsAfter) {
      let s = this.dependents.get(uid);
      if (!s) this.dependents.set(uid, (s = new Set()));
      s.add(key);
    }
  }
}

function ownerUids(obj: KubeObject | undefined): string[] {
  const refs = obj?.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return [];
  return refs.map((r: { uid?: unknown }) => r?.uid).filter((u): u is string => typeof u === 'string');
}
