// Translates a Kubernetes structural schema into a JSON Schema that ajv runs with
// `removeAdditional` (pruning, as the API server does) and `useDefaults`. The OpenAPI-only
// keywords become their JSON Schema equivalents; Kubernetes extensions change what is kept.
import type { JSONSchemaProps } from './schema-types.js';

const DROPPED = new Set(['nullable', 'exclusiveMinimum', 'exclusiveMaximum', 'description', 'example', 'externalDocs']);

/** Fields every embedded object keeps, whatever its schema lists. */
const EMBEDDED_FIELDS = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } };

export function structuralToAjv(schema: JSONSchemaProps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-') || DROPPED.has(key)) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, JSONSchemaProps>).map(([k, v]) => [k, structuralToAjv(v)]));
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = structuralToAjv(value as JSONSchemaProps);
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      // Value validation only (structural schemas forbid types/defaults there): no pruning inside.
      out[key] = (value as JSONSchemaProps[]).map((s) => ({ ...structuralToAjv(s), additionalProperties: true }));
    } else if (key === 'not') {
      out.not = structuralToAjv(value as JSONSchemaProps);
    } else {
      out[key] = value;
    }
  }
  // OpenAPI v3.0 boolean exclusive bounds → JSON Schema numeric ones.
  if (schema.exclusiveMinimum === true && schema.minimum !== undefined) { out.exclusiveMinimum = schema.minimum; delete out.minimum; }
  if (schema.exclusiveMaximum === true && schema.maximum !== undefined) { out.exclusiveMaximum = schema.maximum; delete out.maximum; }
  if (schema['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
  if (schema.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (schema['x-kubernetes-embedded-resource']) {
    // Last, so a schema's own `metadata: {type: object}` does not prune the object's metadata.
    out.properties = { ...(out.properties as object | undefined), ...EMBEDDED_FIELDS };
  }
  const prunes = schema.type === 'object' && !schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties === undefined;
  if (prunes) {
    out.additionalProperties = false;
    if (!out.properties) out.properties = {};
  }
  return out;
}
