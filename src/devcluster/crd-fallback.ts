// CRD → ResourceType compilation used until the full compiler (src/devcluster/crd/) is wired
// in: names, scope, versions, subresources, printer columns, and validation as an API server
// does it for structural schemas — defaults applied, unknown fields pruned (ajv), schema
// errors and `x-kubernetes-validations` CEL rules (cel-js) reported as field errors.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseCel } from '@marcbachmann/cel-js';
import { ApiError } from './api-error.js';
import type { FieldError, KubeObject, ResourceType } from './resource-type.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

type Schema = Record<string, unknown> & {
  type?: string; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean;
  nullable?: boolean; minimum?: number; maximum?: number; exclusiveMinimum?: boolean; exclusiveMaximum?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string; messageExpression?: string; fieldPath?: string; reason?: string }[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
};

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: object; scale?: object };
  additionalPrinterColumns?: ResourceType['printerColumns'];
}

type FormatsPlugin = (ajv: Ajv) => Ajv;
// ajv-formats is CommonJS with a `default` property; under NodeNext the default import is module.exports.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;

let sharedAjv: Ajv | undefined;
function ajv(): Ajv {
  if (!sharedAjv) {
    sharedAjv = new Ajv({ allErrors: true, useDefaults: true, removeAdditional: true, strict: false, coerceTypes: false, logger: false });
    addFormats(sharedAjv);
  }
  return sharedAjv;
}

/** A Kubernetes structural schema as JSON Schema; objects with properties prune unknown fields. */
function toAjvSchema(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable' || key === 'exclusiveMinimum' || key === 'exclusiveMaximum') continue;
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toAjvSchema(v)]));
    else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) out[key] = toAjvSchema(value as Schema);
    else out[key] = value;
  }
  if (schema.exclusiveMinimum === true) { out.exclusiveMinimum = schema.minimum; delete out.minimum; }
  if (schema.exclusiveMaximum === true) { out.exclusiveMaximum = schema.maximum; delete out.maximum; }
  if (schema.nullable && typeof schema.type === 'string') out.type = [schema.type, 'null'];
  if (schema['x-kubernetes-int-or-string']) { delete out.type; out.type = ['integer', 'string']; }
  if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

const fieldOf = (instancePath: string): string =>
  instancePath.split('/').filter(Boolean).map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : `${i ? '.' : ''}${s.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('');

function valueAt(obj: unknown, instancePath: string): unknown {
  let cur = obj;
  for (const s of instancePath.split('/').filter(Boolean)) cur = (cur as Record<string, unknown> | undefined)?.[s.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur;
}

function ajvError(e: ErrorObject, obj: unknown): FieldError | undefined {
  const at = fieldOf(e.instancePath);
  const join = (f: string) => (at ? `${at}.${f}` : f);
  switch (e.keyword) {
    case 'required': return { field: join((e.params as { missingProperty: string }).missingProperty), type: 'FieldValueRequired', message: 'Required value' };
    case 'additionalProperties': return undefined; // pruned, as the API server does
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
      return { field: at, type: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(valueAt(obj, e.instancePath))}: supported values: ${allowed}` };
    }
    default:
      return { field: at, type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(valueAt(obj, e.instancePath))}: ${at || 'body'} in body ${e.message ?? e.keyword}` };
  }
}

const celCache = new Map<string, (ctx: Record<string, unknown>) => unknown>();
function cel(rule: string): (ctx: Record<string, unknown>) => unknown {
  let fn = celCache.get(rule);
  if (!fn) {
    fn = parseCel(rule) as unknown as (ctx: Record<string, unknown>) => unknown;
    celCache.set(rule, fn);
  }
  return fn;
}

/** Evaluates `x-kubernetes-validations` bottom-up with `self` (and `oldSelf` on update) bound to each node. */
function celErrors(schema: Schema, value: unknown, old: unknown, path: string, errors: FieldError[]): void {
  if (value === undefined || value === null) return;
  if (schema.type === 'object' && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const o = (old && typeof old === 'object' ? old : undefined) as Record<string, unknown> | undefined;
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      if (obj[key] !== undefined) celErrors(child, obj[key], o?.[key], path ? `${path}.${key}` : key, errors);
    }
    if (typeof schema.additionalProperties === 'object') {
      for (const [key, child] of Object.entries(obj)) celErrors(schema.additionalProperties, child, o?.[key], `${path}[${key}]`, errors);
    }
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items) {
    value.forEach((item, i) => celErrors(schema.items!, item, undefined, `${path}[${i}]`, errors));
  }
  for (const r of schema['x-kubernetes-validations'] ?? []) {
    const transition = /\boldSelf\b/.test(r.rule);
    if (transition && old === undefined) continue;
    const field = `${path}${r.fieldPath ?? ''}`;
    let ok: unknown;
    try {
      ok = cel(r.rule)(transition ? { self: value, oldSelf: old } : { self: value });
    } catch (e) {
      ok = e;
    }
    if (ok === true) continue;
    const shown = schema.type ?? 'object'; // the API server shows the schema type, not the value
    const message = r.message ?? `failed rule: ${r.rule}`;
    const type = r.reason === 'FieldValueRequired' ? 'FieldValueRequired' : r.reason === 'FieldValueForbidden' ? 'FieldValueForbidden' : r.reason === 'FieldValueDuplicate' ? 'FieldValueDuplicate' : 'FieldValueInvalid';
    errors.push({ field, type, message: type === 'FieldValueInvalid' ? `Invalid value: ${JSON.stringify(shown)}: ${message}` : `${type.replace('FieldValue', '')}: ${message}` });
  }
}

function validatorFor(schema: Schema | undefined): Pick<ResourceType, 'validate' | 'applyDefaults'> {
  if (!schema) return {};
  // Metadata is validated by the server itself; the schema's metadata stanza only prunes/defaults.
  // apiVersion, kind and metadata are always kept (metadata is validated by the server, not by the schema).
  const root = toAjvSchema(schema);
  if (root.additionalProperties === false) {
    root.properties = { ...(root.properties as object), apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } };
  }
  const check: ValidateFunction = ajv().compile(root);
  // applyDefaults and validate run back to back on the same object: remember the first result.
  const checked = new WeakMap<object, ErrorObject[] | null>();
  const run = (obj: KubeObject): ErrorObject[] | null => {
    const ok = check(obj); // useDefaults + removeAdditional: fills defaults and prunes unknown fields in place
    const errs = ok ? null : [...(check.errors ?? [])];
    checked.set(obj, errs);
    return errs;
  };
  return {
    applyDefaults(obj) {
      run(obj);
    },
    validate(obj, old) {
      const errs = checked.has(obj) ? checked.get(obj)! : run(obj);
      checked.delete(obj);
      if (!errs) {
        const errors: FieldError[] = [];
        celErrors(schema, obj, old, '', errors);
        return errors.filter((e) => !e.field.startsWith('metadata'));
      }
      return errs.map((e) => ajvError(e, obj)).filter((e): e is FieldError => !!e);
    },
  };
}

export function compileCrdFallback(crd: KubeObject): ResourceType[] {
  const spec = (crd.spec ?? {}) as { group?: string; scope?: string; names?: Record<string, unknown>; versions?: CrdVersion[] };
  const names = (spec.names ?? {}) as { kind?: string; listKind?: string; plural?: string; singular?: string; shortNames?: string[]; categories?: string[] };
  if (!spec.group || !names.kind || !names.plural || !Array.isArray(spec.versions)) {
    throw new ApiError(422, 'Invalid', `CustomResourceDefinition.apiextensions.k8s.io "${crd.metadata?.name ?? ''}" is invalid: spec: Required value`);
  }
  return spec.versions.filter((v) => v.served !== false).map((v) => ({
    group: spec.group!,
    version: v.name,
    kind: names.kind!,
    listKind: names.listKind ?? `${names.kind}List`,
    plural: names.plural!,
    singular: names.singular ?? names.kind!.toLowerCase(),
    namespaced: spec.scope !== 'Cluster',
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    verbs: ALL_VERBS,
    subresources: [...(v.subresources?.status ? ['status'] : []), ...(v.subresources?.scale ? ['scale'] : [])],
    printerColumns: v.additionalPrinterColumns ?? [],
    schema: v.schema?.openAPIV3Schema,
    ...validatorFor(v.schema?.openAPIV3Schema),
  }));
}
