// A list+watch cache that keeps itself alive: the list-watch re-lists on 410 Gone by itself;
// on any other error it stops, so this wrapper restarts it with a capped exponential backoff.
// It also reports when the first list has landed (`synced`) and hands update handlers the
// previous object. The list is a watch-list (streamed as watch events) where the API server
// supports it, else paged (list-watch.ts).
import { DEFAULT_LIST_PAGE_SIZE, type KubeHttp } from './kube-http.js';
import { ListWatch, type SyncMode } from './list-watch.js';
import type { KubeList, KubeObject } from './kube-object.js';
import { objectKey } from './kube-object.js';

export interface ObjectStore<T extends KubeObject> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): T[];
}

export interface InformerHandlers<T extends KubeObject> {
  add?(obj: T): void;
  update?(obj: T, old: T | undefined): void;
  delete?(obj: T): void;
}

export interface InformerLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** One page of a list: pass both to the API call (`limit`, and `continue` from the previous page). */
export interface ListPage {
  limit: number;
  continue?: string;
}

export interface InformerOptions<T extends KubeObject> {
  name: string;
  /** The connection the watch runs over. */
  http: KubeHttp;
  path: string;
  /**
   * Lists one page. The informer asks page by page and reduces each page's objects (transform,
   * trim) before it asks for the next, so a large list is never held whole as received.
   */
  list: (page: ListPage) => Promise<KubeList<KubeObject>>;
  /** Objects per page (default DEFAULT_LIST_PAGE_SIZE). */
  pageSize?: number;
  labelSelector?: string;
  /** A field selector for the list and the watch (e.g. `metadata.name=<name>`); `list` must apply it too. */
  fieldSelector?: string;
  logger: InformerLogger;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Trims each object before it is cached (e.g. drops Secret data the operator never reads). */
  trim?: (obj: T) => void;
  /**
   * Replaces each listed or watched object by what is returned, before it enters the cache
   * (e.g. a Pod by the Secret names it references): the whole object is never held.
   * The result must keep `metadata.name`, `namespace` and `resourceVersion`.
   */
  transform?: (obj: KubeObject) => T;
  /** Objects (after transform) for which this is false are not cached; `relist` judges every object again. */
  keep?: (obj: T) => boolean;
  /**
   * Get the initial state (and every re-list after 410 Gone) from a watch with
   * `sendInitialEvents=true` rather than the paged list; the paged list remains the fallback
   * where the server refuses it. Default: on.
   */
  watchList?: boolean;
}

/**
 * Server-side apply's field ownership is never read here, and on a real API server it is
 * often the largest part of an object's metadata: it is dropped from every cached object.
 */
export function forgetManagedFields(obj: KubeObject): void {
  delete (obj.metadata as { managedFields?: unknown } | undefined)?.managedFields;
}

/** Strings many cached objects repeat (apiVersion, kind, namespace), one copy each; bounded. */
const interned = new Map<string, string>();
const MAX_INTERNED = 4096;
function intern<S extends string | undefined>(value: S): S {
  if (value === undefined) return value;
  const held = interned.get(value);
  if (held !== undefined) return held as S;
  if (interned.size < MAX_INTERNED) interned.set(value, value);
  return value;
}

/**
 * The object as the cache keeps it: its top level, metadata and annotations copied into fresh
 * objects, and repeated strings shared. A property deleted from a V8 object (managedFields,
 * last-applied, Secret data) turns it into a hash table that takes ~450 B more than the same
 * properties in a fresh object; measured on the cached ExternalSecrets and managed Secrets.
 */
export function compactObject<T extends KubeObject>(obj: T): T {
  const out = { ...obj };
  if (out.apiVersion !== undefined) out.apiVersion = intern(out.apiVersion);
  if (out.kind !== undefined) out.kind = intern(out.kind);
  const meta = obj.metadata;
  if (meta) {
    const m = { ...meta };
    if (m.namespace !== undefined) m.namespace = intern(m.namespace);
    if (m.annotations) m.annotations = { ...m.annotations };
    if (m.ownerReferences) m.ownerReferences = m.ownerReferences.map((r) => ({ ...r, apiVersion: intern(r.apiVersion), kind: intern(r.kind) }));
    out.metadata = m;
  }
  return out;
}

export class ResilientInformer<T extends KubeObject> implements ObjectStore<T> {
  private readonly informer: ListWatch<T>;
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly previous = new Map<string, T>();
  private hasSynced = false;
  private stopped = true;
  private backoffMs: number;
  private restartTimer?: ReturnType<typeof setTimeout>;
  /** The re-list running, and the one that callers arriving while it runs share (see relist). */
  private relisting?: Promise<void>;
  private relistNext?: Promise<void>;
  private readonly syncWaiters: Array<() => void> = [];
  /** Times the informer was restarted after an error (for tests and logs). */
  restarts = 0;

  constructor(private readonly options: InformerOptions<T>) {
    this.backoffMs = options.initialBackoffMs ?? 500;
    const trim = (obj: T) => {
      forgetManagedFields(obj);
      options.trim?.(obj);
    };
    const transform = options.transform;
    // Every object is reduced once, before the cache sees it (listed or watched).
    const prepare = (raw: KubeObject): T | undefined => {
      const item = transform ? transform(raw) : raw as T;
      if (options.keep && !options.keep(item)) return undefined;
      trim(item);
      return compactObject(item);
    };
    const list = async (): Promise<KubeList<T>> => {
      const items: T[] = [];
      let page: ListPage = { limit: options.pageSize ?? DEFAULT_LIST_PAGE_SIZE };
      let result: KubeList<KubeObject>;
      for (;;) {
        result = await options.list(page);
        for (const raw of result.items) {
          const item = prepare(raw);
          if (item) items.push(item);
        }
        const next = result.metadata?.continue;
        if (!next) break;
        page = { ...page, continue: next };
      }
      // The last page carries the list's resourceVersion, where the watch starts.
      return { metadata: result.metadata, items };
    };
    this.informer = new ListWatch<T>(
      list,
      (query, onEvent, done) => options.http.watch(options.path, query, onEvent, done),
      prepare,
      {
        add: (obj) => {
          this.previous.set(objectKey(obj), obj);
          for (const h of this.handlers) h.add?.(obj);
        },
        update: (obj) => {
          const key = objectKey(obj);
          const old = this.previous.get(key);
          this.previous.set(key, obj);
          for (const h of this.handlers) h.update?.(obj, old);
        },
        delete: (obj) => {
          this.previous.delete(objectKey(obj));
          for (const h of this.handlers) h.delete?.(obj);
        },
        error: (err) => this.scheduleRestart(err),
        synced: (via) => {
          this.backoffMs = options.initialBackoffMs ?? 500;
          options.logger.debug({ informer: options.name, via, objects: this.previous.size }, 'informer synced');
          this.markSynced();
        },
        watchListFallback: (reason, refused) => {
          options.logger.debug({ informer: options.name, reason }, refused
            ? 'watch-list refused by the API server; listing in pages'
            : 'watch-list failed; listing in pages this time');
        },
      },
      {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        watchList: options.watchList ?? true,
      },
    );
  }

  get name(): string {
    return this.options.name;
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  /** How the last full list came: `watch-list` (streamed) or `list` (paged); undefined before the first. */
  get syncedVia(): SyncMode | undefined {
    return this.informer.syncedVia;
  }

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  /**
   * Lists again (see `keep`); resolves once a list that started after this call is applied.
   * Calls made while a list runs share one list started after it: the running one may have
   * judged objects before the caller's reason to list again (a shard move) existed.
   */
  relist(): Promise<void> {
    if (!this.relisting) {
      this.relisting = this.informer.relist().finally(() => { this.relisting = undefined; });
      return this.relisting;
    }
    this.relistNext ??= this.relisting.catch(() => undefined).then(() => {
      this.relistNext = undefined;
      return this.relist();
    });
    return this.relistNext;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): T[] {
    return this.informer.list(namespace);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start().catch((err) => this.scheduleRestart(err));
  }

  /** Resolves once the first list has been applied. */
  waitForSync(): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.informer.stop();
  }

  private markSynced(): void {
    if (this.hasSynced) return;
    this.hasSynced = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private scheduleRestart(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
    const status = (err as { statusCode?: number; code?: number })?.statusCode ?? (err as { code?: number })?.code;
    this.options.logger.warn({ informer: this.options.name, status, retryInMs: delay, error: err instanceof Error ? err.message.split('\n')[0] : String(err) }, 'informer failed; restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.restarts++;
      this.informer.start().catch((e) => this.scheduleRestart(e));
    }, delay);
    this.restartTimer.unref();
  }
}
