// How a stored object looks through one served resource (version): the stored JSON as-is
// when the apiVersion matches, otherwise converted once and cached on the entry.
import type { Entry } from './object-store.js';
import type { ServedResource } from './registry.js';
import type { KubeObject } from './resource-type.js';

export function toExternal(r: ServedResource, obj: KubeObject): KubeObject {
  if (r.toExternal) return r.toExternal(obj);
  if (obj.apiVersion === r.apiVersion) return obj;
  return { ...obj, apiVersion: r.apiVersion };
}

/** The JSON of `entry` as served by `r`; computed at most once per entry and version. */
export function encode(r: ServedResource, entry: Entry): string {
  if (!r.toExternal && entry.obj.apiVersion === r.apiVersion) return entry.json;
  let v = entry.views?.get(r.apiVersion);
  if (v === undefined) {
    v = JSON.stringify(toExternal(r, entry.obj));
    (entry.views ??= new Map()).set(r.apiVersion, v);
  }
  return v;
}

/** A private, mutable copy of the object as served by `r` (for in-process callers and patches). */
export function copyOut(r: ServedResource, entry: Entry): KubeObject {
  return JSON.parse(encode(r, entry)) as KubeObject;
}

/**
 * The JSON of `entry` as an item of a list of a built-in kind: without apiVersion and kind, as the
 * API server lists them. Stored objects start with those two fields, so the common case cuts them off.
 */
export function listItem(r: ServedResource, entry: Entry): string {
  const json = encode(r, entry);
  const prefix = `{"apiVersion":${JSON.stringify(r.apiVersion)},"kind":${JSON.stringify(r.type.kind)}`;
  if (json.startsWith(prefix)) return json.length === prefix.length + 1 ? '{}' : `{${json.slice(prefix.length + 1)}`;
  const { apiVersion: _a, kind: _k, ...rest } = JSON.parse(json) as KubeObject;
  return JSON.stringify(rest);
}
