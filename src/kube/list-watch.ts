// The list-then-watch cache under each informer, with client-go's reflector semantics: list
// (the caller pages it), apply the difference to the cache as adds, updates and deletes,
// watch from the list's resourceVersion, re-watch from the last one seen when the server ends
// a watch, and list again after 410 Gone (the history the watch needed was compacted). Any
// other failure is handed to `onError` and the cache stops until `start` is called again.
import type { KubeList, KubeObject } from './kube-object.js';
import type { Query, WatchEvent, WatchHandle } from './kube-http.js';

export type WatchFn = (query: Query, onEvent: (event: WatchEvent) => void, done: (error: unknown) => void) => Promise<WatchHandle>;

export interface ListWatchHandlers<T> {
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
  error(error: unknown): void;
}

const statusOf = (e: unknown): number | undefined => {
  const err = e as { statusCode?: unknown; code?: unknown } | null;
  if (typeof err?.statusCode === 'number') return err.statusCode;
  if (typeof err?.code === 'number') return err.code;
  return undefined;
};

export class ListWatch<T extends KubeObject> {
  /** namespace ('' for cluster-scoped) → name → object. */
  private objects = new Map<string, Map<string, T>>();
  private resourceVersion = '';
  private stopped = true;
  private current?: WatchHandle;
  /** Bumped on every start/stop so callbacks of an older watch are ignored. */
  private generation = 0;

  constructor(
    private readonly listAll: () => Promise<KubeList<T>>,
    private readonly watch: WatchFn,
    /** Reduces an object before it is cached; undefined: not cached (and dropped if it was). */
    private readonly prepare: (raw: KubeObject) => T | undefined,
    private readonly handlers: ListWatchHandlers<T>,
    private readonly selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.run(++this.generation);
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.current?.abort();
    this.current = undefined;
  }

  /**
   * Lists again now, in pages, and watches from there: every object is prepared anew, so one
   * `prepare` refused before is cached if it is accepted now. Resolves once the list is applied
   * (or has failed and the error was handed on).
   */
  async relist(): Promise<void> {
    if (this.stopped) return;
    this.current?.abort();
    this.current = undefined;
    this.resourceVersion = '';
    await this.run(++this.generation);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ?? '')?.get(name);
  }

  list(namespace?: string): T[] {
    if (namespace) return [...(this.objects.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const byName of this.objects.values()) all.push(...byName.values());
    return all;
  }

  /** Lists when there is no resourceVersion to watch from, then watches. Rejects when the list fails. */
  private async run(generation: number): Promise<void> {
    if (!this.resourceVersion) {
      let listed: KubeList<T>;
      try {
        listed = await this.listAll();
      } catch (error) {
        if (generation === this.generation) this.handlers.error(error);
        return;
      }
      if (generation !== this.generation) return;
      this.replaceAll(listed.items);
      this.resourceVersion = listed.metadata?.resourceVersion ?? '';
    }
    if (this.stopped) return;
    const query: Query = { resourceVersion: this.resourceVersion, labelSelector: this.selectors.labelSelector, fieldSelector: this.selectors.fieldSelector };
    const handle = await this.watch(query, (event) => {
      if (generation === this.generation) this.onEvent(event);
    }, (error) => {
      if (generation === this.generation) void this.onWatchEnd(error);
    });
    if (generation === this.generation) this.current = handle;
    else handle.abort();
  }

  private async onWatchEnd(error: unknown): Promise<void> {
    this.current = undefined;
    if (error && statusOf(error) === 410) this.resourceVersion = '';
    else if (error) {
      this.handlers.error(error);
      return;
    }
    if (this.stopped) return;
    await this.run(this.generation);
  }

  private onEvent(event: WatchEvent): void {
    switch (event.type) {
      case 'ERROR':
        // 410: the server ends this watch next; list again then.
        if (event.object?.code === 410) this.resourceVersion = '';
        return;
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.prepare(event.object);
        if (obj) this.addOrUpdate(obj);
        else this.remove(event.object as T);
        break;
      }
      case 'DELETED':
        this.remove(this.prepare(event.object) ?? event.object as T);
        break;
      default:
        break; // BOOKMARK: only its resourceVersion matters
    }
    const rv = event.object?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
  }

  private addOrUpdate(obj: T): void {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let byName = this.objects.get(namespace);
    if (!byName) this.objects.set(namespace, (byName = new Map()));
    const old = byName.get(name);
    if (!old) {
      byName.set(name, obj);
      this.handlers.add(obj);
    } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
      byName.set(name, obj);
      this.handlers.update(obj);
    }
  }

  private remove(obj: T): void {
    const namespace = obj.metadata?.namespace ?? '';
    const byName = this.objects.get(namespace);
    const name = obj.metadata?.name ?? '';
    if (!byName?.has(name)) return;
    byName.delete(name);
    if (byName.size === 0) this.objects.delete(namespace);
    this.handlers.delete(obj);
  }

  /** A fresh list: what it lacks is deleted, the rest added or updated. */
  private replaceAll(items: T[]): void {
    const listed = new Set(items.map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`));
    for (const [namespace, byName] of [...this.objects]) {
      for (const [name, obj] of [...byName]) {
        if (listed.has(`${namespace}/${name}`)) continue;
        byName.delete(name);
        this.handlers.delete(obj);
      }
      if (byName.size === 0) this.objects.delete(namespace);
    }
    for (const obj of items) this.addOrUpdate(obj);
  }
}
