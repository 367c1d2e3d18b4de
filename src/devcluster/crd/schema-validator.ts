// Structural validation of custom resources with ajv: defaults filled and unknown fields pruned
// in place, violations turned into field errors worded like kube-apiserver's.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from '../resource-type.js';
import { structuralToAjv } from './structural-to-ajv.js';
import type { JSONSchemaProps } from './schema-types.js';

type FormatsPlugin = (ajv: Ajv) => Ajv;
// ajv-formats is CommonJS; under NodeNext its default import may be the module object.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;

export function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, removeAdditional: true, strict: false, coerceTypes: false, logger: false });
  addFormats(ajv);
  return ajv;
}

const unescape = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** `/spec/data/0/key` → `spec.data[0].key` */
export function fieldPathOf(instancePath: string): string {
  return instancePath.split('/').filter(Boolean).map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : `${i ? '.' : ''}${unescape(s)}`)).join('');
}

function valueAt(root: unknown, instancePath: string): unknown {
  let cur = root;
  for (const s of instancePath.split('/').filter(Boolean)) cur = (cur as Record<string, unknown> | undefined)?.[unescape(s)];
  return cur;
}

const goType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v);

function toFieldError(e: ErrorObject, root: unknown): FieldError | undefined {
  const field = fieldPathOf(e.instancePath);
  const value = valueAt(root, e.instancePath);
  const p = e.params as Record<string, unknown>;
  const shown = JSON.stringify(value);
  switch (e.keyword) {
    case 'additionalProperties':
      return undefined; // pruned, never rejected
    case 'required': {
      const missing = String(p.missingProperty);
      return { field: field ? `${field}.${missing}` : missing, type: 'FieldValueRequired', message: 'Required value' };
    }
    case 'type':
      return { field, type: 'FieldValueInvalid', message: `Invalid value: "${goType(value)}": ${field || 'body'} in body must be of type ${String(p.type).replace(',null', '')}: "${goType(value)}"` };
    case 'enum':
      return { field, type: 'FieldValueNotSupported', message: `Unsupported value: ${shown}: supported values: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'maxLength':
      return { field, type: 'FieldValueTooLong', message: `Too long: may not be more than ${String(p.limit)} bytes` };
    case 'maxItems':
      return { field, type: 'FieldValueTooMany', message: `Too many: ${(value as unknown[]).length}: must have at most ${String(p.limit)} items` };
    case 'maxProperties':
      return { field, type: 'FieldValueTooMany', message: `Too many: ${Object.keys(value as object).length}: must have at most ${String(p.limit)} items` };
    case 'pattern':
      return { field, type: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${field} in body should match '${String(p.pattern)}'` };
    default: {
      // kube-openapi's wording for the bounds it checks; ajv's own message otherwise.
      const limit = String(p.limit);
      const wording: Record<string, string> = {
        minimum: `should be greater than or equal to ${limit}`, exclusiveMinimum: `should be greater than ${limit}`,
        maximum: `should be less than or equal to ${limit}`, exclusiveMaximum: `should be less than ${limit}`,
        minLength: `should be at least ${limit} chars long`, minItems: `should have at least ${limit} items`,
        minProperties: `should have at least ${limit} properties`, uniqueItems: 'shouldn\'t contain duplicates',
      };
      return { field, type: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${field || 'body'} in body ${wording[e.keyword] ?? e.message ?? e.keyword}` };
    }
  }
}

export interface SchemaValidator {
  /** Fills defaults and prunes unknown fields in place; returns the schema violations. */
  run(obj: unknown): FieldError[];
}

export function schemaValidator(ajv: Ajv, schema: JSONSchemaProps): SchemaValidator {
  // The root is a Kubernetes object: apiVersion, kind and metadata are always kept.
  const check: ValidateFunction = ajv.compile(structuralToAjv({ ...schema, 'x-kubernetes-embedded-resource': true }));
  return {
    run(obj) {
      if (check(obj)) return [];
      const seen = new Set<string>();
      return (check.errors ?? []).map((e) => toFieldError(e, obj)).filter((e): e is FieldError => {
        if (!e || e.field.startsWith('metadata') || seen.has(`${e.field}\u0000${e.message}`)) return false;
        seen.add(`${e.field}\u0000${e.message}`);
        return true;
      });
    },
  };
}
