// `/openapi/v3` (the index of group-versions) and `/openapi/v3/{api/v1|apis/<g>/<v>}` documents.
// kubectl reads them for `explain` (component schemas tagged `x-kubernetes-group-version-kind`)
// and to learn that the server validates fields itself (the PATCH `fieldValidation` parameter).
import { createHash } from 'node:crypto';
import { definitionName, hasStructuralSchema, OBJECT_META } from './definition-name.js';
import { objectMetaSchema } from './object-meta-schema.js';
import type { ResourceType } from '../resource-type.js';

const INFO = { title: 'Kubernetes', version: 'v1.32.0' };

/** Key of a group-version in the index: `api/v1` or `apis/<group>/<version>`. */
export const groupVersionKey = (group: string, version: string): string => (group ? `apis/${group}/${version}` : `api/${version}`);

/** The CRD's schema as served: metadata points at ObjectMeta, the root carries its GVK. */
export function servedSchema(t: ResourceType): Record<string, unknown> {
  const schema = structuredClone(t.schema ?? { type: 'object' }) as Record<string, unknown> & { properties?: Record<string, unknown> };
  schema.properties = {
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
    ...schema.properties,
    metadata: { allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }], description: "Standard object's metadata." },
  };
  schema['x-kubernetes-group-version-kind'] = [{ group: t.group, version: t.version, kind: t.kind }];
  return schema;
}

function operations(t: ResourceType, prefix: string): Record<string, object> {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const ref = hasStructuralSchema(t) ? { $ref: `#/components/schemas/${definitionName(t)}` } : { type: 'object' };
  const ok = { 200: { description: 'OK', content: { 'application/json': { schema: ref } } } };
  const base = `${prefix}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
  const paths: Record<string, object> = {};
  const item: Record<string, object> = {};
  if (t.verbs.includes('get')) item.get = { operationId: `read${t.kind}`, responses: ok, 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk };
  if (t.verbs.includes('patch')) {
    item.patch = {
      operationId: `patch${t.kind}`,
      parameters: [{ name: 'fieldValidation', in: 'query', description: 'Whether the server rejects, warns about or ignores unknown and duplicate fields.', schema: { type: 'string', uniqueItems: true } }],
      requestBody: { content: Object.fromEntries(['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'].map((m) => [m, { schema: { type: 'object' } }])) },
      responses: ok,
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': gvk,
    };
  }
  if (Object.keys(item).length) paths[`${base}/{name}`] = item;
  if (t.verbs.includes('create')) {
    paths[base] = {
      post: {
        operationId: `create${t.kind}`,
        parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }],
        requestBody: { content: { 'application/json': { schema: ref } } },
        responses: ok,
        'x-kubernetes-action': 'post',
        'x-kubernetes-group-version-kind': gvk,
      },
    };
  }
  return paths;
}

/** The document for one group-version, or undefined when nothing is served there. */
export function openapiV3GroupVersionDoc(types: ResourceType[], group: string, version: string): object | undefined {
  const mine = types.filter((t) => t.group === group && t.version === version);
  if (mine.length === 0) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  for (const t of mine) {
    Object.assign(paths, operations(t, prefix));
    if (hasStructuralSchema(t)) schemas[definitionName(t)] = servedSchema(t);
  }
  if (Object.keys(schemas).length) schemas[OBJECT_META] = objectMetaSchema();
  return { openapi: '3.0.0', info: INFO, paths, components: { schemas } };
}

/** `/openapi/v3`: every group-version with a content hash, so clients can cache documents. */
export function openapiV3IndexDoc(types: ResourceType[]): object {
  const keys = new Map<string, [string, string]>();
  for (const t of types) keys.set(groupVersionKey(t.group, t.version), [t.group, t.version]);
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, [g, v]] of [...keys].sort(([a], [b]) => a.localeCompare(b))) {
    const hash = createHash('sha512').update(JSON.stringify(openapiV3GroupVersionDoc(types, g, v))).digest('hex').slice(0, 128).toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}
