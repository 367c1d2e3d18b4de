// `x-kubernetes-validations`: CEL rules (cel-js) evaluated at every schema node that has them,
// with `self` bound to the node's value and `oldSelf` to the previous value on updates
// (transition rules are skipped on create and where no old value exists).
// Shared by the dev cluster (which enforces them as kube-apiserver does) and `keyferry convert`
// (which refuses what the API server would), so it depends on neither.
import { parse } from '@marcbachmann/cel-js';

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
  optionalOldSelf?: boolean;
}

/** The parts of an OpenAPI v3 structural schema the rules are walked by. */
export type JSONSchemaProps = {
  type?: string;
  properties?: Record<string, JSONSchemaProps>;
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps | boolean;
  required?: string[];
  nullable?: boolean;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  [key: string]: unknown;
};

/** A failed rule, as the API server reports it in a 422's causes. */
export interface RuleError {
  /** Field path as the API server prints it, e.g. `spec.target`. */
  field: string;
  /** Kubernetes cause type, e.g. `FieldValueInvalid`. */
  type: string;
  message: string;
}

type Program = (ctx: Record<string, unknown>) => unknown;

/** A compiled rule; compile errors are reported when the CRD is created, not per object. */
export interface CompiledRule extends ValidationRule {
  program: Program;
  messageProgram?: Program;
  transition: boolean;
}

export function compileRule(r: ValidationRule): CompiledRule {
  return {
    ...r,
    program: parse(r.rule) as unknown as Program,
    messageProgram: r.messageExpression ? (parse(r.messageExpression) as unknown as Program) : undefined,
    transition: /\boldSelf\b/.test(r.rule),
  };
}

/**
 * CEL sees JSON integers as `int` (BigInt in cel-js); without the conversion `self.n + 1` fails
 * with "no such overload: double + int". Fields typed `number` stay doubles.
 */
export function toCel(value: unknown, schema: JSONSchemaProps | undefined): unknown {
  if (typeof value === 'number') return Number.isInteger(value) && schema?.type !== 'number' ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
  if (value !== null && typeof value === 'object') {
    const extra = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v, schema?.properties?.[k] ?? extra)]));
  }
  return value;
}

const REASONS: Record<string, { type: string; label: string }> = {
  FieldValueRequired: { type: 'FieldValueRequired', label: 'Required value' },
  FieldValueForbidden: { type: 'FieldValueForbidden', label: 'Forbidden' },
  FieldValueDuplicate: { type: 'FieldValueDuplicate', label: 'Duplicate value' },
};

function schemaTypeName(schema: JSONSchemaProps): string {
  if (schema['x-kubernetes-int-or-string']) return 'string';
  return schema.type ?? 'object';
}

export type RulesOf = (schema: JSONSchemaProps) => CompiledRule[];

/** A failed rule with the path of the schema node it sits on, for callers that need the node, not the text. */
export interface RuleFailure extends RuleError {
  path: (string | number)[];
  /**
   * The rule's own message, without the API server's prefix, and never from messageExpression,
   * which may quote the object's values (a fake store's data): safe to print in a report.
   */
  detail: string;
}

/** Walks value and schema together and appends rule failures, with full field paths. */
export function evaluateRules(schema: JSONSchemaProps, value: unknown, old: unknown, path: string, rulesOf: RulesOf, errors: RuleError[]): void {
  const failures: RuleFailure[] = [];
  ruleFailures(schema, value, old, path, [], rulesOf, failures);
  for (const { field, type, message } of failures) errors.push({ field, type, message });
}

/** As evaluateRules, and each failure also carries the node's path as keys and indexes. */
export function ruleFailures(schema: JSONSchemaProps, value: unknown, old: unknown, path: string, parts: (string | number)[], rulesOf: RulesOf, errors: RuleFailure[]): void {
  if (value === undefined || value === null) return;
  const join = (k: string) => (path ? `${path}.${k}` : k);
  if (typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const prev = old !== null && typeof old === 'object' && !Array.isArray(old) ? (old as Record<string, unknown>) : undefined;
    for (const [k, child] of Object.entries(schema.properties ?? {})) ruleFailures(child, obj[k], prev?.[k], join(k), [...parts, k], rulesOf, errors);
    if (typeof schema.additionalProperties === 'object') {
      for (const [k, v] of Object.entries(obj)) ruleFailures(schema.additionalProperties, v, prev?.[k], `${path}[${k}]`, [...parts, k], rulesOf, errors);
    }
  } else if (Array.isArray(value) && schema.items) {
    // Items have no old value (kube-apiserver correlates them only for map/set lists).
    value.forEach((item, i) => ruleFailures(schema.items!, item, undefined, `${path}[${i}]`, [...parts, i], rulesOf, errors));
  }
  const rules = rulesOf(schema);
  if (rules.length === 0) return;
  const self = toCel(value, schema);
  const oldSelf = old === undefined ? undefined : toCel(old, schema);
  for (const r of rules) {
    if (r.transition && oldSelf === undefined) continue;
    const ctx = r.transition ? { self, oldSelf } : { self };
    let passed = false;
    let evalError: string | undefined;
    try {
      passed = r.program(ctx) === true;
    } catch (e) {
      evalError = e instanceof Error ? e.message.split('\n')[0] : String(e);
    }
    if (passed) continue;
    const field = `${path}${r.fieldPath ?? ''}`.replace(/^\./, '');
    const at = [...parts, ...(r.fieldPath ?? '').split('.').filter(Boolean)];
    const fixed = r.message ?? (evalError ? `rule evaluation error: ${evalError}` : `failed rule: ${r.rule}`);
    let message = fixed;
    if (r.messageProgram && !evalError) {
      try {
        const m = r.messageProgram(ctx);
        if (typeof m === 'string' && m.trim() && !m.includes('\n')) message = m;
      } catch {
        // An unusable messageExpression falls back to message, as the API server does.
      }
    }
    const special = r.reason ? REASONS[r.reason] : undefined;
    errors.push(special
      ? { field, path: at, detail: fixed, type: special.type, message: `${special.label}: ${message}` }
      : { field, path: at, detail: fixed, type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(schemaTypeName(schema))}: ${message}` });
  }
}
