// `/openapi/v2` (Swagger 2.0): every operation of every served type (see operations.ts) and the
// CRDs' schemas. Like kube-apiserver's CRD publishing, schemas drop what Swagger 2 cannot say
// (nullable, oneOf/anyOf/not) and refs point at `#/definitions/`. kubectl asks for it in
// protobuf (openapi-v2-protobuf.ts); other clients read the JSON.
import { definitionName, hasStructuralSchema, OBJECT_META } from './definition-name.js';
import { metaSchemas } from './meta-schemas.js';
import { objectMetaSchema } from './object-meta-schema.js';
import { pathsOf, tagOf, type Operation, type Parameter } from './operations.js';
import { listSchema, schemaFor, servedSchema } from './openapi-v3.js';
import type { ResourceType } from '../resource-type.js';

function toV2(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toV2);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'nullable' || k === 'oneOf' || k === 'anyOf' || k === 'not') continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = v.replace('#/components/schemas/', '#/definitions/');
    else out[k] = toV2(v);
  }
  if (out['x-kubernetes-int-or-string']) delete out.type;
  return out;
}

const ref2 = (name: string): string => `#/definitions/${name}`;
const CODE_TEXT: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 401: 'Unauthorized' };
const MEDIA = ['application/json', 'application/yaml'];
const param2 = (p: Parameter) => ({ uniqueItems: true, type: p.type, description: p.description, name: p.name, in: p.in, ...(p.required ? { required: true } : {}) });

function operationV2(o: Operation, t: ResourceType): object {
  const schema = schemaFor(o.response, t, ref2);
  const parameters: object[] = [];
  if (o.body) parameters.push({ name: 'body', in: 'body', ...(o.body === 'deleteOptions' ? {} : { required: true }), schema: schemaFor(o.body, t, ref2) });
  parameters.push(...o.parameters.map(param2));
  return {
    description: o.description,
    consumes: o.consumes.length ? o.consumes : ['*/*'],
    produces: o.response === 'watch' ? [...MEDIA, 'application/json;stream=watch'] : MEDIA,
    schemes: ['https'],
    tags: [tagOf(t.group, t.version)],
    operationId: o.operationId,
    ...(parameters.length ? { parameters } : {}),
    responses: Object.fromEntries(o.responseCodes.map((c) => [c, c === '401' ? { description: CODE_TEXT[c] } : { description: CODE_TEXT[c], schema }])),
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': o.gvk,
  };
}

export function openapiV2Doc(types: ResourceType[]): Record<string, unknown> {
  const paths: Record<string, object> = {};
  const definitions: Record<string, unknown> = { [OBJECT_META]: objectMetaSchema(), ...metaSchemas(ref2) };
  for (const t of types) {
    if (hasStructuralSchema(t)) {
      definitions[definitionName(t)] = toV2(servedSchema(t));
      definitions[`${definitionName(t)}List`] = listSchema(t, ref2);
    }
    for (const p of pathsOf(t)) {
      const item: Record<string, unknown> = {};
      for (const o of p.operations) item[o.method] = operationV2(o, t);
      item.parameters = p.parameters.map(param2);
      paths[p.path] = item;
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    definitions,
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}
