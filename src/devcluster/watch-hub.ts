// Fans committed store events out to open watches. Each event is serialised at most once
// per event type and served version, however many watchers receive it.
import type { Entry, EventType, ObjectStore, StoreEvent } from './object-store.js';
import type { Matcher } from './selectors/index.js';

export interface Watcher {
  readonly storageKey: string;
  /** Only this namespace, or all when undefined. */
  readonly namespace?: string;
  readonly matches: Matcher;
  /** Identifies the served version (its apiVersion), for sharing serialised lines. */
  readonly viewKey: string;
  /** Serialises an entry as this watcher's version. */
  encode(entry: Entry): string;
  /** Writes one newline-terminated watch event line. */
  send(line: string): void;
  /** Ends the watch; `graceful` ends the response cleanly, otherwise the connection is reset. */
  close(graceful: boolean): void;
  /** Free-form description for fault matching: resource plural. */
  readonly resource: string;
}

export class WatchHub {
  private readonly byKey = new Map<string, Set<Watcher>>();

  constructor(store: ObjectStore) {
    store.onEvent((ev) => this.publish(ev));
  }

  add(w: Watcher): () => void {
    let set = this.byKey.get(w.storageKey);
    if (!set) this.byKey.set(w.storageKey, (set = new Set()));
    set.add(w);
    return () => { set!.delete(w); };
  }

  get size(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.size;
    return n;
  }

  /** Delivers a history or live event to one watcher, applying its selectors (a change out of a selector is a DELETED). */
  deliver(w: Watcher, ev: StoreEvent): void {
    if (w.namespace !== undefined && w.namespace !== ev.namespace) return;
    const now = w.matches(ev.entry.obj);
    let type: EventType = ev.type;
    if (ev.type === 'MODIFIED') {
      const before = ev.prev ? w.matches(ev.prev.obj) : false;
      if (!now && !before) return;
      if (now && !before) type = 'ADDED';
      else if (!now && before) type = 'DELETED';
    } else if (!now) return;
    w.send(lineFor(ev, type, w));
  }

  /** Closes matching watches (fault injection, restart, CRD removal). Returns how many. */
  closeAll(filter: (w: Watcher) => boolean = () => true, graceful = true): number {
    let n = 0;
    for (const set of this.byKey.values()) {
      for (const w of [...set]) {
        if (!filter(w)) continue;
        set.delete(w);
        w.close(graceful);
        n++;
      }
    }
    return n;
  }

  private publish(ev: StoreEvent): void {
    const set = this.byKey.get(ev.storageKey);
    if (!set || set.size === 0) return;
    for (const w of set) this.deliver(w, ev);
  }
}

export function watchLine(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

function lineFor(ev: StoreEvent, type: EventType, w: Watcher): string {
  const key = `${type}|${w.viewKey}`;
  let line = ev.lines?.get(key);
  if (line === undefined) {
    line = watchLine(type, w.encode(ev.entry));
    (ev.lines ??= new Map()).set(key, line);
  }
  return line;
}
