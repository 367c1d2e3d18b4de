// `/openapi/v3` (the index of group-versions) and `/openapi/v3/{api/v1|apis/<g>/<v>}` documents.
// kubectl reads them for `explain` (component schemas tagged `x-kubernetes-group-version-kind`)
// and to learn that the server validates fields itself (the PATCH `fieldValidation` parameter);
// generated clients read every operation of every path (see operations.ts).
import { createHash } from 'node:crypto';
import { definitionName, hasStructuralSchema, OBJECT_META } from './definition-name.js';
import { objectMetaSchema } from './object-meta-schema.js';
import type { ResourceType } from '../resource-type.js';
import { DELETE_OPTIONS, LIST_META, metaSchemas, PATCH, STATUS, WATCH_EVENT } from './meta-schemas.js';
import { objectDefinition, pathsOf, tagOf, type Operation, type Parameter } from './operations.js';

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

const CODE_TEXT: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 401: 'Unauthorized' };

/** The schema an operation's body or response refers to, or a plain object where the dev cluster has none. */
export function schemaFor(
  what: Operation['response'] | NonNullable<Operation['body']>, t: ResourceType, ref: (name: string) => string,
): Record<string, unknown> {
  const def = objectDefinition(t);
  switch (what) {
    case 'object': return def ? { $ref: ref(def) } : { type: 'object' };
    case 'list': return def ? { $ref: ref(`${def}List`) } : { type: 'object' };
    case 'status': return { $ref: ref(STATUS) };
    case 'watch': return { $ref: ref(WATCH_EVENT) };
    case 'deleteOptions': return { $ref: ref(DELETE_OPTIONS) };
    case 'patch': return { $ref: ref(PATCH) };
    default: return { type: 'object' };
  }
}

/** The list kind of a CRD's type, as the API server publishes it. */
export function listSchema(t: ResourceType, ref: (name: string) => string): Record<string, unknown> {
  return {
    description: `${t.kind}List is a list of ${t.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      items: { type: 'array', description: `List of ${t.plural}.`, items: { $ref: ref(definitionName(t)) } },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { allOf: [{ $ref: ref(LIST_META) }], description: "Standard list metadata." },
    },
    'x-kubernetes-group-version-kind': [{ group: t.group, version: t.version, kind: t.listKind }],
  };
}

const ref3 = (name: string): string => `#/components/schemas/${name}`;
const param3 = (p: Parameter) => ({
  name: p.name, in: p.in, description: p.description, ...(p.required ? { required: true } : {}), schema: { type: p.type, uniqueItems: true },
});
const MEDIA = ['application/json', 'application/yaml'];

function operationV3(o: Operation, t: ResourceType): object {
  const response = schemaFor(o.response, t, ref3);
  const responses = Object.fromEntries(o.responseCodes.map((c) => [c, c === '401'
    ? { description: CODE_TEXT[c] }
    : { description: CODE_TEXT[c], content: Object.fromEntries([...MEDIA, ...(o.response === 'watch' ? ['application/json;stream=watch'] : [])].map((m) => [m, { schema: response }])) }]));
  return {
    tags: [tagOf(t.group, t.version)],
    description: o.description,
    operationId: o.operationId,
    ...(o.parameters.length ? { parameters: o.parameters.map(param3) } : {}),
    ...(o.body ? { requestBody: { content: Object.fromEntries(o.consumes.map((m) => [m, { schema: schemaFor(o.body!, t, ref3) }])), required: o.body !== 'deleteOptions' } } : {}),
    responses,
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': o.gvk,
  };
}

function pathsV3(t: ResourceType): Record<string, object> {
  const out: Record<string, object> = {};
  for (const p of pathsOf(t)) {
    const item: Record<string, unknown> = {};
    for (const o of p.operations) item[o.method] = operationV3(o, t);
    item.parameters = p.parameters.map(param3);
    out[p.path] = item;
  }
  return out;
}

/** The document for one group-version, or undefined when nothing is served there. */
export function openapiV3GroupVersionDoc(types: ResourceType[], group: string, version: string): object | undefined {
  const mine = types.filter((t) => t.group === group && t.version === version);
  if (mine.length === 0) return undefined;
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  for (const t of mine) {
    Object.assign(paths, pathsV3(t));
    if (hasStructuralSchema(t)) {
      schemas[definitionName(t)] = servedSchema(t);
      schemas[`${definitionName(t)}List`] = listSchema(t, ref3);
    }
  }
  Object.assign(schemas, metaSchemas(ref3), { [OBJECT_META]: objectMetaSchema() });
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
