// What server-side apply needs to know about a type's fields: which lists are keyed (and by
// what), which are sets, which lists, maps and structs are atomic, and which nodes record their
// own path when an update adds them. Custom resources read it from their schema
// (x-kubernetes-list-type, -list-map-keys, -map-type); built-in kinds from the list below, the
// field markers of the Kubernetes types that the dev cluster's objects use.
import type { JSONSchemaProps } from '../crd/schema-types.js';
import type { ResourceType } from '../resource-type.js';

export type ListType = { kind: 'map'; keys: string[] } | { kind: 'set' } | { kind: 'atomic' };

/** A path of field names from the object's root; an element of a list is `[]`. */
export type TypePath = readonly string[];

export interface FieldTypes {
  listType(path: TypePath): ListType;
  /** A map or struct that is replaced as a whole (a leaf for ownership). */
  atomic(path: TypePath): boolean;
  /** Whether an object or list at `path`, when an update adds it, records its own path (`"."`) as well as its fields. */
  recordsItself(path: TypePath, node: 'object' | 'list'): boolean;
}

const keyed = (...keys: string[]): ListType => ({ kind: 'map', keys });
const ATOMIC: ListType = { kind: 'atomic' };
const SET: ListType = { kind: 'set' };

/** metadata's own markers, the same for every kind. */
function metadataListType(path: TypePath): ListType | undefined {
  if (path[0] !== 'metadata' || path.length !== 2) return undefined;
  if (path[1] === 'finalizers') return SET;
  if (path[1] === 'ownerReferences') return keyed('uid');
  return undefined;
}

const BUILTIN_KEYED: Record<string, ListType> = {
  containers: keyed('name'), initContainers: keyed('name'), ephemeralContainers: keyed('name'), env: keyed('name'),
  volumes: keyed('name'), volumeMounts: keyed('mountPath'), volumeDevices: keyed('devicePath'), imagePullSecrets: keyed('name'),
  hostAliases: keyed('ip'), topologySpreadConstraints: keyed('topologyKey', 'whenUnsatisfiable'), conditions: keyed('type'),
  resourceClaims: keyed('name'),
};
/** Maps and structs of built-in kinds that are atomic (label selectors, role and key references, node selectors). */
const BUILTIN_ATOMIC = new Set([
  'selector', 'nodeSelector', 'podSelector', 'namespaceSelector', 'labelSelector', 'roleRef',
  'secretKeyRef', 'configMapKeyRef', 'fieldRef', 'resourceFieldRef',
]);

/** An owner reference is atomic, in every kind's metadata. */
const isOwnerReference = (path: TypePath): boolean => path.length === 3 && path[0] === 'metadata' && path[1] === 'ownerReferences' && path[2] === '[]';
/** Built-in map fields: their entries are the fields, and an added map records itself. */
const BUILTIN_MAPS = new Set(['labels', 'annotations', 'data', 'binaryData', 'limits', 'requests']);
/** Lists that are always serialised (never omitted when empty), so an update never adds them. */
const BUILTIN_ALWAYS_PRESENT_LISTS = new Set(['containers']);

export function builtinFieldTypes(t: Pick<ResourceType, 'kind'>): FieldTypes {
  return {
    listType(path) {
      const meta = metadataListType(path);
      if (meta) return meta;
      const last = path[path.length - 1];
      if (last === 'ports') return t.kind === 'Service' && path.length === 2 ? keyed('port', 'protocol') : keyed('containerPort', 'protocol');
      return BUILTIN_KEYED[last] ?? ATOMIC;
    },
    atomic: (path) => isOwnerReference(path) || BUILTIN_ATOMIC.has(path[path.length - 1]),
    recordsItself(path, node) {
      const last = path[path.length - 1];
      if (node === 'list') return !BUILTIN_ALWAYS_PRESENT_LISTS.has(last);
      // An element of a keyed list, or a map.
      return last === '[]' || BUILTIN_MAPS.has(last);
    },
  };
}

export function schemaFieldTypes(root: JSONSchemaProps): FieldTypes {
  const at = (path: TypePath): JSONSchemaProps | undefined => {
    let s: JSONSchemaProps | undefined = root;
    for (const p of path) {
      if (!s) return undefined;
      if (p === '[]') s = s.items;
      else s = s.properties?.[p] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    }
    return s;
  };
  return {
    listType(path) {
      const meta = metadataListType(path);
      if (meta) return meta;
      const s = at(path);
      switch (s?.['x-kubernetes-list-type']) {
        case 'map': return keyed(...((s['x-kubernetes-list-map-keys'] as string[] | undefined) ?? []));
        case 'set': return SET;
        default: return ATOMIC;
      }
    },
    atomic: (path) => isOwnerReference(path) || (path[0] !== 'metadata' && at(path)?.['x-kubernetes-map-type'] === 'atomic'),
    // Custom resources have no always-present structs: anything an update adds records itself.
    recordsItself: (path) => path.length > 0 && !(path.length === 1 && path[0] === 'metadata'),
  };
}

const cache = new WeakMap<ResourceType, FieldTypes>();

export function fieldTypesOf(t: ResourceType): FieldTypes {
  let ft = cache.get(t);
  if (!ft) {
    const schema = t.schema as JSONSchemaProps | undefined;
    ft = t.builtin || !schema?.properties ? builtinFieldTypes(t) : schemaFieldTypes(schema);
    cache.set(t, ft);
  }
  return ft;
}
