// Validates objects against keyferry's CRDs the way an API server does: apply the
// schema's defaults, check the structural schema (unknown fields are refused, as with
// `kubectl apply --validate=strict`), then evaluate the x-kubernetes-validations CEL
// rules bottom-up with `self` bound to each node.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseCel } from '@marcbachmann/cel-js';
import { parse as parseYaml } from 'yaml';
import type { CrdDocument, JsonSchemaProps } from '../../scripts/generate-api-types.js';

type FormatsPlugin = (ajv: Ajv) => Ajv;
// ajv-formats is CommonJS with a `default` property; under NodeNext the default import is module.exports.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;

export interface CelRule {
  rule: string;
  message?: string;
  fieldPath?: string;
  reason?: string;
}

export interface ValidationResult {
  /** `field.path: message`, one per problem. */
  errors: string[];
  /** The object after defaulting. */
  defaulted: Record<string, unknown>;
}

export interface CrdValidator {
  kind: string;
  crd: CrdDocument;
  schema: JsonSchemaProps;
  validate(obj: unknown): ValidationResult;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Turns a Kubernetes structural schema into a JSON Schema ajv understands. */
export function toAjvSchema(schema: JsonSchemaProps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, JsonSchemaProps>).map(([k, v]) => [k, toAjvSchema(v)]));
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = toAjvSchema(value as JsonSchemaProps);
    } else if (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') {
      // OpenAPI v3.0 booleans modify minimum/maximum; JSON Schema draft 7 wants the bound itself.
      continue;
    } else {
      out[key] = value;
    }
  }
  if (schema.exclusiveMinimum === true) {
    out.exclusiveMinimum = schema.minimum;
    delete out.minimum;
  }
  if (schema.exclusiveMaximum === true) {
    out.exclusiveMaximum = schema.maximum;
    delete out.maximum;
  }
  if (schema.nullable && typeof schema.type === 'string') out.type = [schema.type, 'null'];
  if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

const instancePath = (p: string): string => p.split('/').filter(Boolean).map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : `${i ? '.' : ''}${s}`)).join('');

function ajvMessage(e: ErrorObject): string {
  const at = instancePath(e.instancePath);
  if (e.keyword === 'additionalProperties') return `${at ? `${at}.` : ''}${(e.params as { additionalProperty: string }).additionalProperty}: unknown field`;
  if (e.keyword === 'required') return `${at ? `${at}.` : ''}${(e.params as { missingProperty: string }).missingProperty}: Required value`;
  return `${at}: ${e.message ?? e.keyword}`;
}

const compiledRules = new Map<string, ReturnType<typeof parseCel>>();
export function compileRule(rule: string): ReturnType<typeof parseCel> {
  let fn = compiledRules.get(rule);
  if (!fn) {
    fn = parseCel(rule);
    compiledRules.set(rule, fn);
  }
  return fn;
}

/** Evaluates every CEL rule under `schema` against `value`; children first, like the API server. */
export function celErrors(schema: JsonSchemaProps, value: unknown, path: string, errors: string[] = []): string[] {
  if (value === undefined || value === null) return errors;
  if (schema.type === 'object' && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      if (obj[key] !== undefined) celErrors(child, obj[key], path ? `${path}.${key}` : key, errors);
    }
    if (typeof schema.additionalProperties === 'object') {
      for (const [key, child] of Object.entries(obj)) celErrors(schema.additionalProperties, child, `${path}[${key}]`, errors);
    }
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items) {
    value.forEach((item, i) => celErrors(schema.items!, item, `${path}[${i}]`, errors));
  }
  for (const r of (schema['x-kubernetes-validations'] as CelRule[] | undefined) ?? []) {
    const at = `${path}${r.fieldPath ?? ''}`;
    let ok: unknown;
    try {
      ok = compileRule(r.rule)({ self: value });
    } catch (e) {
      errors.push(`${at}: rule could not be evaluated (${(e as Error).message.split('\n')[0]}): ${r.rule}`);
      continue;
    }
    if (ok !== true) errors.push(`${at}: ${r.message ?? `failed rule: ${r.rule}`}`);
  }
  return errors;
}

export function storageVersion(crd: CrdDocument): CrdDocument['spec']['versions'][number] {
  return crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0]!;
}

export function createValidator(crd: CrdDocument): CrdValidator {
  const schema = storageVersion(crd).schema.openAPIV3Schema;
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  addFormats(ajv);
  const check: ValidateFunction = ajv.compile(toAjvSchema(schema));
  const version = storageVersion(crd).name;
  const kind = crd.spec.names.kind;
  return {
    kind,
    crd,
    schema,
    validate(obj) {
      const copy = structuredClone(obj) as Record<string, unknown>;
      const errors: string[] = [];
      if (copy.apiVersion !== `${crd.spec.group}/${version}`) errors.push(`apiVersion: must be ${crd.spec.group}/${version}`);
      if (copy.kind !== kind) errors.push(`kind: must be ${kind}`);
      const meta = (copy.metadata ?? {}) as { name?: unknown; namespace?: unknown };
      if (typeof meta.name !== 'string' || !DNS1123_SUBDOMAIN.test(meta.name) || meta.name.length > 253) errors.push('metadata.name: must be a DNS-1123 subdomain');
      const namespaced = (crd as unknown as { spec: { scope: string } }).spec.scope === 'Namespaced';
      if (!namespaced && meta.namespace !== undefined) errors.push('metadata.namespace: must be empty for a cluster-scoped kind');
      if (!check(copy)) errors.push(...(check.errors ?? []).map(ajvMessage));
      else celErrors(schema, copy, '', errors);
      return { errors, defaulted: copy };
    },
  };
}

/** One validator per kind, for every CRD in `dir`. */
export function loadValidators(dir: string): Map<string, CrdValidator> {
  const validators = new Map<string, CrdValidator>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const crd = parseYaml(readFileSync(join(dir, file), 'utf8')) as CrdDocument;
    validators.set(crd.spec.names.kind, createValidator(crd));
  }
  return validators;
}
