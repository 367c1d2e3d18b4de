// Walks an object against an OpenAPI v3 structural schema and lists what the schema does not
// hold: fields it does not declare, values outside an enum, values of another type. The
// converter's idea of "what carries over" is exactly this walk over keyferry's CRDs.
// Written by hand rather than with ajv: ajv needs the structural schema translated first
// (x-kubernetes-preserve-unknown-fields, int-or-string, objects closed unless they say
// otherwise), and its removeAdditional drops fields without saying which; the converter needs
// each gap at its path, to grade it and then remove it from the YAML document with its comments.
import type { OpenApiSchema } from './crd-schemas.js';

export type Path = (string | number)[];

export type SchemaGap =
  | { problem: 'unknown-field'; path: Path; value: unknown }
  | { problem: 'enum'; path: Path; allowed: unknown[] }
  | { problem: 'type'; path: Path; expected: string };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function typeMatches(schema: OpenApiSchema, value: unknown): boolean {
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case 'object': return isObject(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    default: return true;
  }
}

/** Every place where `value` leaves `schema`, outermost first; a field the schema lacks is not looked into. */
export function schemaGaps(value: unknown, schema: OpenApiSchema, path: Path = [], gaps: SchemaGap[] = []): SchemaGap[] {
  // A null is how YAML writes an empty field; the API server drops it, so it carries nothing.
  if (value === null || value === undefined) return gaps;
  if (schema['x-kubernetes-preserve-unknown-fields']) return gaps;
  if (!typeMatches(schema, value)) {
    gaps.push({ problem: 'type', path, expected: schema['x-kubernetes-int-or-string'] ? 'integer or string' : String(schema.type) });
    return gaps;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    gaps.push({ problem: 'enum', path, allowed: schema.enum });
    return gaps;
  }
  if (isObject(value)) {
    const props = schema.properties;
    const extra = schema.additionalProperties;
    // An object schema with neither (such as metadata) is left to the API server.
    if (!props && extra === undefined) return gaps;
    for (const [key, child] of Object.entries(value)) {
      const childSchema = props?.[key] ?? (typeof extra === 'object' ? extra : undefined);
      if (childSchema) schemaGaps(child, childSchema, [...path, key], gaps);
      else if (extra !== true) gaps.push({ problem: 'unknown-field', path: [...path, key], value: child });
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => schemaGaps(item, schema.items!, [...path, i], gaps));
  }
  return gaps;
}

/** Property names the schema declares at `path` (for messages such as "keyferry has: ..."). */
export function declaredAt(schema: OpenApiSchema, path: readonly (string | number)[]): string[] {
  let s: OpenApiSchema | undefined = schema;
  for (const p of path) {
    if (!s) return [];
    s = typeof p === 'number' ? s.items : s.properties?.[p] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
  }
  return Object.keys(s?.properties ?? {});
}
