// Server-side apply's merge of an applied configuration into the live object: maps and structs
// field by field, keyed lists item by item (matched on their keys), sets as a union, atomic
// values replaced whole; and the removal of fields an applier stopped applying that no one else
// owns.
import type { FieldSet } from './field-set.js';
import type { FieldTypes, TypePath } from './field-types.js';
import { itemKey } from './object-fields.js';

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: Json): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `config` merged into `live`; neither is modified. */
export function mergeApplied(live: Json, config: Json, types: FieldTypes, tp: TypePath = []): Json {
  if (config === null) return undefined;
  if (Array.isArray(config)) {
    const lt = types.listType(tp);
    if (lt.kind === 'atomic' || !Array.isArray(live)) return structuredClone(config);
    const out = [...live];
    const index = new Map(out.map((item, i) => [itemKey(item, lt, i), i] as const));
    config.forEach((item, i) => {
      const key = itemKey(item, lt, i);
      const at = index.get(key);
      if (at === undefined) { index.set(key, out.length); out.push(structuredClone(item)); }
      else if (lt.kind === 'map') out[at] = types.atomic([...tp, '[]']) ? structuredClone(item) : mergeApplied(out[at], item, types, [...tp, '[]']);
    });
    return out;
  }
  if (isObj(config) && !types.atomic(tp)) {
    const out: Obj = isObj(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) {
      const merged = mergeApplied(out[k], v, types, [...tp, k]);
      if (merged === undefined) delete out[k]; else out[k] = merged;
    }
    return out;
  }
  return structuredClone(config);
}

/**
 * Removes from `obj` (in place) the members of `drop`, except where `keep` owns something at or
 * below them: a field another manager still owns stays, with its parents.
 */
export function removeFields(obj: Obj, drop: FieldSet, keep: FieldSet, types: FieldTypes): void {
  const walk = (container: Json, tp: string[], path: string[], node: FieldSet): void => {
    for (const [key, child] of node.children) {
      const p = [...path, key];
      if (key.startsWith('f:') && isObj(container)) {
        const name = key.slice(2);
        if (!(name in container)) continue;
        if (child.self && !keep.has(p) && !keep.hasMemberBelow(p)) { delete container[name]; continue; }
        walk(container[name], [...tp, name], p, child);
      } else if (Array.isArray(container)) {
        const lt = types.listType(tp);
        const i = container.findIndex((item, n) => itemKey(item, lt, n) === key);
        if (i < 0) continue;
        if (child.self && !keep.has(p) && !keep.hasMemberBelow(p)) { container.splice(i, 1); continue; }
        walk(container[i], [...tp, '[]'], p, child);
      }
    }
  };
  walk(obj, [], [], drop);
}
