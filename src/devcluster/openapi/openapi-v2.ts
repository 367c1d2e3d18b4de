// `/openapi/v2` (Swagger 2.0), for older clients. Like kube-apiserver's CRD publishing, schemas
// drop what Swagger 2 cannot say (nullable, oneOf/anyOf/not) and refs point at `#/definitions/`.
import { definitionName, hasStructuralSchema, OBJECT_META } from './definition-name.js';
import { objectMetaSchema } from './object-meta-schema.js';
import { servedSchema } from './openapi-v3.js';
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

export function openapiV2Doc(types: ResourceType[]): object {
  const paths: Record<string, object> = {};
  const definitions: Record<string, unknown> = { [OBJECT_META]: objectMetaSchema() };
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const structural = hasStructuralSchema(t);
    if (structural) definitions[definitionName(t)] = toV2(servedSchema(t));
    if (!t.verbs.includes('patch')) continue;
    const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
    paths[`${prefix}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`] = {
      patch: {
        operationId: `patch${t.kind}`,
        consumes: ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'],
        produces: ['application/json'],
        parameters: [{ name: 'fieldValidation', in: 'query', type: 'string', uniqueItems: true }],
        responses: { 200: { description: 'OK', schema: structural ? { $ref: `#/definitions/${definitionName(t)}` } : { type: 'object' } } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
      },
    };
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, definitions };
}
