// The fields of objects, as server-side apply sees them: the field set an applied configuration
// claims, and what changed between two versions of an object (added, modified, removed), from
// which updates take and lose ownership. Server-managed metadata (name, uid, resourceVersion, …)
// is never anyone's; `skip` leaves out a subtree (status on the main resource, the rest on /status).
import { deepEqual } from '../object-meta.js';
import { FieldSet } from './field-set.js';
import type { FieldTypes, ListType, TypePath } from './field-types.js';

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: Json): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const SERVER_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink', 'managedFields', 'clusterName']);

/** Which top-level fields count: status only on /status, everything but status elsewhere (for kinds with a status subresource). */
export type Scope = 'all' | 'main' | 'status';

function topLevel(obj: Obj, scope: Scope): [string, Json][] {
  return Object.entries(obj).filter(([k]) => {
    if (k === 'apiVersion' || k === 'kind') return false;
    if (scope === 'main') return k !== 'status';
    if (scope === 'status') return k === 'status';
    return true;
  });
}

function metadataFields(meta: Json): [string, Json][] {
  return isObj(meta) ? Object.entries(meta).filter(([k]) => !SERVER_METADATA.has(k)) : [];
}

/** The path element of a list item: `k:{"name":"x"}` for keyed lists, `v:"x"` for sets, `i:N` otherwise. */
export function itemKey(item: Json, lt: ListType, index: number): string {
  if (lt.kind === 'set') return `v:${JSON.stringify(item)}`;
  if (lt.kind === 'map' && isObj(item)) {
    const key: Obj = {};
    for (const k of [...lt.keys].sort()) if (item[k] !== undefined) key[k] = item[k];
    if (Object.keys(key).length) return `k:${JSON.stringify(key)}`;
  }
  return `i:${index}`;
}

const childType = (tp: TypePath, k: string): string[] => [...tp, k];

/** The fields an applied configuration sets (SMD's ToFieldSet). */
export function appliedFields(config: Obj, types: FieldTypes, scope: Scope): FieldSet {
  const set = new FieldSet();
  const walk = (v: Json, tp: string[], path: string[]): void => {
    if (Array.isArray(v)) {
      const lt = types.listType(tp);
      if (lt.kind === 'atomic' || v.length === 0) { set.insert(path); return; }
      v.forEach((item, i) => {
        const p = [...path, itemKey(item, lt, i)];
        set.insert(p);
        if (lt.kind === 'map' && isObj(item) && !types.atomic([...tp, '[]'])) for (const [k, c] of Object.entries(item)) walk(c, childType([...tp, '[]'], k), [...p, `f:${k}`]);
      });
      return;
    }
    if (!isObj(v) || types.atomic(tp) || Object.keys(v).length === 0) { set.insert(path); return; }
    for (const [k, c] of Object.entries(v)) walk(c, childType(tp, k), [...path, `f:${k}`]);
  };
  for (const [k, v] of topLevel(config, scope)) {
    if (k === 'metadata') for (const [mk, mv] of metadataFields(v)) walk(mv, ['metadata', mk], ['f:metadata', `f:${mk}`]);
    else walk(v, [k], [`f:${k}`]);
  }
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `before` to `after` (either may be empty for a create or a deletion). */
export function compareObjects(before: Obj, after: Obj, types: FieldTypes, scope: Scope): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };

  // Every member of a subtree that appears or disappears as a whole.
  const whole = (into: FieldSet, v: Json, tp: string[], path: string[]): void => {
    if (Array.isArray(v)) {
      const lt = types.listType(tp);
      if (lt.kind === 'atomic' || v.length === 0) { into.insert(path); return; }
      if (types.recordsItself(tp, 'list')) into.insert(path);
      v.forEach((item, i) => {
        const p = [...path, itemKey(item, lt, i)];
        into.insert(p);
        if (lt.kind === 'map' && isObj(item) && !types.atomic([...tp, '[]'])) for (const [k, x] of Object.entries(item)) whole(into, x, childType([...tp, '[]'], k), [...p, `f:${k}`]);
      });
      return;
    }
    if (!isObj(v) || types.atomic(tp) || Object.keys(v).length === 0) { into.insert(path); return; }
    if (types.recordsItself(tp, 'object')) into.insert(path);
    for (const [k, x] of Object.entries(v)) whole(into, x, childType(tp, k), [...path, `f:${k}`]);
  };

  const diff = (a: Json, b: Json, tp: string[], path: string[]): void => {
    if (Array.isArray(a) && Array.isArray(b)) {
      const lt = types.listType(tp);
      if (lt.kind !== 'atomic') {
        const before = new Map(a.map((item, i) => [itemKey(item, lt, i), item] as const));
        const after = new Map(b.map((item, i) => [itemKey(item, lt, i), item] as const));
        const itemType = [...tp, '[]'];
        for (const [key, item] of after) {
          const old = before.get(key);
          if (old === undefined) whole(c.added, item, itemType, [...path, key]);
          else if (lt.kind === 'map' && isObj(old) && isObj(item) && !types.atomic(itemType)) objectDiff(old, item, itemType, [...path, key]);
          else if (!deepEqual(old, item)) c.modified.insert([...path, key]);
        }
        for (const [key, item] of before) if (!after.has(key)) whole(c.removed, item, itemType, [...path, key]);
        return;
      }
    }
    if (isObj(a) && isObj(b) && !types.atomic(tp)) {
      objectDiff(a, b, tp, path);
      return;
    }
    if (!deepEqual(a, b)) c.modified.insert(path);
  };

  const objectDiff = (a: Obj, b: Obj, tp: string[], path: string[], entries?: [[string, Json][], [string, Json][]]): void => {
    const [ea, eb] = entries ?? [Object.entries(a), Object.entries(b)];
    const ma = new Map(ea);
    const mb = new Map(eb);
    for (const [k, v] of mb) {
      const p = [...path, `f:${k}`];
      if (!ma.has(k)) whole(c.added, v, childType(tp, k), p);
      else diff(ma.get(k), v, childType(tp, k), p);
    }
    for (const [k, v] of ma) if (!mb.has(k)) whole(c.removed, v, childType(tp, k), [...path, `f:${k}`]);
  };

  const ta = new Map(topLevel(before, scope));
  const tb = new Map(topLevel(after, scope));
  objectDiff(before, after, [], [], [
    [...ta].filter(([k]) => k !== 'metadata'),
    [...tb].filter(([k]) => k !== 'metadata'),
  ]);
  if (scope !== 'status') objectDiff({}, {}, ['metadata'], ['f:metadata'], [metadataFields(ta.get('metadata')), metadataFields(tb.get('metadata'))]);
  return c;
}
