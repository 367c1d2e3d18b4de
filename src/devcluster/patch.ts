// The three patch formats the API server accepts: JSON merge patch (RFC 7386), JSON patch
// (RFC 6902) and strategic merge patch (merge patch where lists of named items merge by key).
// Hand-written on purpose: strategic merge patch has no npm implementation, and the other two
// are a few dozen lines each; keeping them here avoids a dependency in the shared lockfile for
// code that the server needs to control tightly (error messages become 422/400 Status objects).
import { ApiError, badRequest } from './api-error.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386. Returns a new value; `target` is not modified (untouched subtrees are shared). */
export function mergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return patch as Json;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Merge keys of lists of named items, by field name (from the Kubernetes `patchMergeKey` tags). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', env: 'name', volumes: 'name',
  imagePullSecrets: 'name', volumeMounts: 'mountPath', volumeDevices: 'devicePath', ports: 'containerPort',
  conditions: 'type', ownerReferences: 'uid', hostAliases: 'ip', topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name', secrets: 'name',
};
/** Primitive lists with patchStrategy `merge` (union instead of replace). */
const MERGE_PRIMITIVE_LISTS = new Set(['finalizers']);

/**
 * Strategic merge patch, enough for kubectl and for rewriting pod templates: merge-patch
 * semantics, plus named-item lists merged by key, `$patch: replace|delete`,
 * `$deleteFromPrimitiveList/<field>`; `$setElementOrder/<field>` and `$retainKeys` are accepted and ignored.
 */
export function strategicMergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return patch as Json;
  const directive = patch['$patch'];
  if (directive === 'replace') { const { $patch: _p, ...rest } = patch; return rest; }
  if (directive === 'delete') return null;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const remove = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !remove.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) { delete out[k]; continue; }
    const cur = out[k];
    if (Array.isArray(v) && MERGE_KEYS[k] && (Array.isArray(cur) || cur === undefined)) {
      out[k] = mergeNamedList(cur ?? [], v, MERGE_KEYS[k]);
    } else if (Array.isArray(v) && MERGE_PRIMITIVE_LISTS.has(k) && Array.isArray(cur)) {
      const seen = new Set(cur.map((x) => JSON.stringify(x)));
      out[k] = [...cur, ...v.filter((x) => !seen.has(JSON.stringify(x)))];
    } else if (isObject(v)) {
      const merged = strategicMergePatch(cur, v);
      if (merged === null) delete out[k]; else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  return out;
}

function mergeNamedList(cur: Json[], patch: Json[], key: string): Json[] {
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace'));
  }
  const out = [...cur];
  for (const item of patch) {
    if (!isObject(item) || !(key in item)) { out.push(item); continue; }
    const idx = out.findIndex((c) => isObject(c) && c[key] === item[key]);
    if (item['$patch'] === 'delete') { if (idx >= 0) out.splice(idx, 1); continue; }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item);
    else out.push(strategicMergePatch({}, item));
  }
  return out;
}

/** RFC 6902 JSON patch. Returns a new document; `doc` is not modified. */
export function jsonPatch(doc: unknown, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let root = structuredClone(doc) as Json;
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest('invalid JSON patch operation');
    const op = raw.op;
    const path = raw.path;
    switch (op) {
      case 'add': root = setAt(root, path, clone(raw.value), 'add'); break;
      case 'replace': getAt(root, path, op); root = setAt(root, path, clone(raw.value), 'replace'); break;
      case 'remove': getAt(root, path, op); root = removeAt(root, path); break;
      case 'move': {
        const from = str(raw.from);
        const v = getAt(root, from, op);
        root = removeAt(root, from);
        root = setAt(root, path, v, 'add');
        break;
      }
      case 'copy': root = setAt(root, path, clone(getAt(root, str(raw.from), op)), 'add'); break;
      case 'test': {
        const v = getAt(root, path, op);
        if (JSON.stringify(v) !== JSON.stringify(raw.value)) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${path} failed`);
        break;
      }
      default: throw badRequest(`Unexpected kind: ${op}`);
    }
  }
  return root;
}

const clone = (v: Json | undefined): Json => (v === undefined ? null : structuredClone(v));
const str = (v: unknown): string => { if (typeof v !== 'string') throw badRequest('missing from in JSON patch'); return v; };

function tokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function missing(op: string, path: string): ApiError {
  return new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing path: "${path}": missing value`);
}

function getAt(root: Json, path: string, op: string): Json {
  let cur: Json = root;
  for (const t of tokens(path)) {
    if (Array.isArray(cur)) {
      const i = Number(t);
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) throw missing(op, path);
      cur = cur[i];
    } else if (isObject(cur) && t in cur) cur = cur[t];
    else throw missing(op, path);
  }
  return cur;
}

function parentOf(root: Json, path: string): { parent: Json; last: string } {
  const ts = tokens(path);
  if (ts.length === 0) return { parent: null, last: '' };
  const last = ts.pop()!;
  const parentPath = ts.length ? '/' + ts.map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1')).join('/') : '';
  return { parent: getAt(root, parentPath, 'add'), last };
}

function setAt(root: Json, path: string, value: Json, mode: 'add' | 'replace'): Json {
  if (path === '') return value;
  const { parent, last } = parentOf(root, path);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw missing(mode, path);
    if (mode === 'add') parent.splice(i, 0, value); else parent[i] = value;
  } else if (isObject(parent)) {
    parent[last] = value;
  } else throw missing(mode, path);
  return root;
}

function removeAt(root: Json, path: string): Json {
  const { parent, last } = parentOf(root, path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return root;
}
