// The list-then-watch cache under each informer, with client-go's reflector semantics: list
// (the caller pages it), apply the difference to the cache as adds, updates and deletes,
// watch from the list's resourceVersion, re-watch from the last one seen when the server ends
// a watch, and list again after 410 Gone (the history the watch needed was compacted), backing
// off when 410s repeat. Any other failure is handed to `onError` and the cache stops until
// `start` is called again.
//
// With `watchList` (KEP-3157, the API server's WatchList feature, on by default from 1.34), the
// list is a watch with `sendInitialEvents=true`: the server streams the current objects as
// ADDED events and then a BOOKMARK annotated `k8s.io/initial-events-end`, and the same watch
// goes on. The streamed objects are prepared one by one into a fresh set, which is applied as a
// list would be (what it lacks is deleted) when that bookmark arrives. A server that refuses it
// (422 where the feature gate is off, any other 4xx but 429, an ERROR event) or ignores it (a
// plain BOOKMARK first, or the stream ends without the end bookmark) gets the paged list
// instead, and watch-list is not tried again for WATCH_LIST_RETRY_MS.
import type { KubeList, KubeObject } from './kube-object.js';
import type { Query, WatchEvent, WatchHandle } from './kube-http.js';
import { systemTimers, type Timers } from '../queue/timer.js';

export type WatchFn = (query: Query, onEvent: (event: WatchEvent) => void, done: (error: unknown) => void) => Promise<WatchHandle>;

export interface ListWatchHandlers<T> {
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
  error(error: unknown): void;
  /** A full list (paged or streamed) has been applied: every add, update and delete of it was handed out. */
  synced?(via: SyncMode): void;
  /**
   * A watch-list failed before its initial events ended and the paged list is used instead:
   * `refused` when the server refused or ignored it (watch-list is then off for WATCH_LIST_RETRY_MS).
   */
  watchListFallback?(reason: string, refused: boolean): void;
}

export type SyncMode = 'watch-list' | 'list';

export interface ListWatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Get the initial state from a watch with `sendInitialEvents=true` (default false here). */
  watchList?: boolean;
  /** Clock and timers of the watch-list retry and the 410 backoff (default: the monotonic system timers). */
  timers?: Timers;
}

/** The annotation of the BOOKMARK that ends a watch-list's initial events. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';
/** After the server refused watch-list, the paged list is used this long before watch-list is tried again. */
export const WATCH_LIST_RETRY_MS = 60 * 60_000;

const statusOf = (e: unknown): number | undefined => {
  const err = e as { statusCode?: unknown; code?: unknown } | null;
  if (typeof err?.statusCode === 'number') return err.statusCode;
  if (typeof err?.code === 'number') return err.code;
  return undefined;
};

/**
 * 410 Gone again soon after the last one (a server or proxy answering it to every watch) would
 * make a cache list in a loop, as fast as the client's rate limit allows, starving its writes.
 * The first 410 lists at once (history compacted: the usual case); each further one within
 * GONE_STREAK_RESET_MS of the one before waits twice as long as the last, from GONE_FIRST_DELAY_MS
 * up to GONE_MAX_DELAY_MS, as client-go's reflector backs off between its lists.
 */
export const GONE_FIRST_DELAY_MS = 800;
export const GONE_MAX_DELAY_MS = 30_000;
export const GONE_STREAK_RESET_MS = 2 * 60_000;

/** A 4xx that means "not this request" (the feature is off or unknown), not overload (429) or an expired version (410). */
const refuses = (status: number | undefined): boolean => status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 410;

const keyOf = (obj: KubeObject): string => `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;

const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);

export class ListWatch<T extends KubeObject> {
  /** namespace ('' for cluster-scoped) → name → object. */
  private objects = new Map<string, Map<string, T>>();
  private resourceVersion = '';
  private stopped = true;
  private current?: WatchHandle;
  /** Bumped on every start/stop so callbacks of an older watch are ignored. */
  private generation = 0;
  /** While a watch-list streams its initial events: the objects so far, by namespace/name. */
  private initial?: Map<string, T>;
  /** Watch-list is not tried before this time (set when the server refused it). */
  private watchListRetryAt = 0;
  private lastSync?: SyncMode;
  private readonly timers: Timers;
  /** 410s in a row (each within GONE_STREAK_RESET_MS of the one before), the last one's time, and the list they wait for. */
  private goneStreak = 0;
  private lastGoneAt = Number.NEGATIVE_INFINITY;
  /** The timer of the list waiting out the 410 backoff. */
  private goneWait?: unknown;

  constructor(
    private readonly listAll: () => Promise<KubeList<T>>,
    private readonly watch: WatchFn,
    /** Reduces an object before it is cached; undefined: not cached (and dropped if it was). */
    private readonly prepare: (raw: KubeObject) => T | undefined,
    private readonly handlers: ListWatchHandlers<T>,
    private readonly options: ListWatchOptions = {},
  ) {
    this.timers = options.timers ?? systemTimers;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.dropGoneWait();
    await this.run(++this.generation);
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.dropGoneWait();
    this.initial = undefined;
    this.current?.abort();
    this.current = undefined;
  }

  /**
   * Lists again now, in pages, and watches from there: every object is prepared anew, so one
   * `prepare` refused before is cached if it is accepted now. Resolves once the list is applied
   * (or has failed and the error was handed on). A call made while an earlier one runs
   * supersedes it: the earlier one then resolves without its list applied, so callers that
   * may overlap wait for each other (ResilientInformer.relist does).
   */
  async relist(): Promise<void> {
    if (this.stopped) return;
    this.dropGoneWait();
    this.current?.abort();
    this.current = undefined;
    this.initial = undefined;
    this.resourceVersion = '';
    await this.run(++this.generation, true);
  }

  /** How the last full list was obtained (undefined before the first). */
  get syncedVia(): SyncMode | undefined {
    return this.lastSync;
  }

  /** Whether the next list will be a watch-list (on, and not refused recently). */
  get watchListActive(): boolean {
    return this.options.watchList === true && this.timers.now() >= this.watchListRetryAt;
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

  /**
   * Lists when there is no resourceVersion to watch from (a watch-list when on, unless `paged`),
   * then watches. Rejects when the list fails.
   */
  private async run(generation: number, paged = false): Promise<void> {
    const selectors = { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector };
    if (!this.resourceVersion && !paged && this.watchListActive) {
      this.initial = new Map();
      await this.startWatch(generation, { ...selectors, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true });
      return;
    }
    if (!this.resourceVersion) {
      let listed: KubeList<T>;
      try {
        listed = await this.listAll();
      } catch (error) {
        if (generation === this.generation) this.handlers.error(error);
        return;
      }
      if (generation !== this.generation) return;
      this.replaceAll(listed.items, new Set(listed.items.map(keyOf)));
      this.resourceVersion = listed.metadata?.resourceVersion ?? '';
      this.lastSync = 'list';
      this.handlers.synced?.('list');
    }
    if (this.stopped) return;
    await this.startWatch(generation, { ...selectors, resourceVersion: this.resourceVersion });
  }

  private async startWatch(generation: number, query: Query): Promise<void> {
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
    if (this.initial) {
      // Ended before the initial events did.
      const status = statusOf(error);
      if (!error) this.fallBack('the watch ended before the initial-events-end bookmark', true);
      else this.fallBack(firstLine(error), refuses(status));
      return;
    }
    if (error && statusOf(error) === 410) this.resourceVersion = '';
    else if (error) {
      this.handlers.error(error);
      return;
    }
    if (this.stopped) return;
    // No resourceVersion left: a 410 (answered, or an ERROR event before the end) asks for a list.
    const delay = this.resourceVersion ? 0 : this.goneDelay();
    if (delay === 0) {
      await this.run(this.generation);
      return;
    }
    const generation = this.generation;
    this.goneWait = this.timers.setTimeout(() => {
      this.goneWait = undefined;
      if (generation !== this.generation || this.stopped) return;
      this.run(generation).catch((e: unknown) => {
        if (generation === this.generation) this.handlers.error(e);
      });
    }, delay);
  }

  /** Cancels a list waiting out the 410 backoff (start, stop and relist begin anew). */
  private dropGoneWait(): void {
    if (this.goneWait !== undefined) this.timers.clearTimeout(this.goneWait);
    this.goneWait = undefined;
  }

  /** How long the list after this 410 waits (see GONE_FIRST_DELAY_MS). */
  private goneDelay(): number {
    const now = this.timers.now();
    if (now - this.lastGoneAt > GONE_STREAK_RESET_MS) this.goneStreak = 0;
    this.lastGoneAt = now;
    const delay = this.goneStreak === 0 ? 0 : Math.min(GONE_MAX_DELAY_MS, GONE_FIRST_DELAY_MS * 2 ** (this.goneStreak - 1));
    this.goneStreak++;
    return delay;
  }

  /**
   * Drops a watch-list that failed before its initial events ended and lists in pages instead;
   * a refusal (`remember`) also keeps watch-list off for WATCH_LIST_RETRY_MS.
   */
  private fallBack(reason: string, remember: boolean): void {
    this.initial = undefined;
    this.current?.abort();
    this.current = undefined;
    if (remember) this.watchListRetryAt = this.timers.now() + WATCH_LIST_RETRY_MS;
    this.handlers.watchListFallback?.(reason, remember);
    if (this.stopped) return;
    const generation = ++this.generation;
    this.run(generation, true).catch((error: unknown) => {
      if (generation === this.generation) this.handlers.error(error);
    });
  }

  private onEvent(event: WatchEvent): void {
    if (this.initial) {
      this.onInitialEvent(this.initial, event);
      return;
    }
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

  /** An event of a watch-list before its initial events ended: collected, applied at the end bookmark. */
  private onInitialEvent(initial: Map<string, T>, event: WatchEvent): void {
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.prepare(event.object);
        if (obj) initial.set(keyOf(obj), obj);
        else initial.delete(keyOf(event.object));
        return;
      }
      case 'DELETED':
        initial.delete(keyOf(event.object));
        return;
      case 'BOOKMARK': {
        if (event.object?.metadata?.annotations?.[INITIAL_EVENTS_END_ANNOTATION] !== 'true') {
          // A server without watch-list treats the request as a plain watch: its bookmarks carry no annotation.
          this.fallBack('a BOOKMARK without the initial-events-end annotation (the server ignored sendInitialEvents)', true);
          return;
        }
        this.initial = undefined;
        this.replaceAll(initial.values(), initial);
        this.resourceVersion = event.object.metadata.resourceVersion ?? '';
        this.lastSync = 'watch-list';
        this.handlers.synced?.('watch-list');
        return;
      }
      case 'ERROR': {
        const code = event.object?.code;
        const message = (event.object as { message?: unknown } | undefined)?.message;
        this.fallBack(`ERROR event ${code ?? ''} ${typeof message === 'string' ? message.split('\n')[0]!.slice(0, 200) : ''}`.trim(), code === undefined || refuses(code));
        return;
      }
      default:
        return;
    }
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
  private replaceAll(items: Iterable<T>, listed: { has(key: string): boolean }): void {
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
