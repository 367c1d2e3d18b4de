// Compiles a CustomResourceDefinition into one ResourceType per served version: names and
// scope for routing and discovery, printer columns for Tables, and validation (structural
// schema via ajv, `x-kubernetes-validations` via CEL) with schema defaults applied.
import { invalid } from '../api-error.js';
import type { FieldError, KubeObject, ResourceType } from '../resource-type.js';
import { compileRule, evaluateRules, type CompiledRule } from '../../crd/validation-rules.js';
import { newAjv, schemaValidator } from './schema-validator.js';
import type { CrdSpec, JSONSchemaProps } from './schema-types.js';
import { validateCrd } from './validate-crd.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Schema errors after which kube-apiserver does not evaluate CEL rules. */
const BLOCKING = new Set(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);
const RULES_NOT_CHECKED: FieldError = {
  field: '<nil>', type: 'FieldValueInvalid',
  message: 'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

function hasValidationRules(s: JSONSchemaProps | undefined): boolean {
  if (!s) return false;
  if ((s['x-kubernetes-validations'] ?? []).length > 0) return true;
  if (Object.values(s.properties ?? {}).some(hasValidationRules)) return true;
  if (hasValidationRules(s.items)) return true;
  return typeof s.additionalProperties === 'object' && hasValidationRules(s.additionalProperties);
}

function validationFor(schema: JSONSchemaProps, ajv: ReturnType<typeof newAjv>): Pick<ResourceType, 'validate' | 'applyDefaults'> {
  const structural = schemaValidator(ajv, schema);
  const rules = new Map<JSONSchemaProps, CompiledRule[]>();
  const rulesOf = (s: JSONSchemaProps): CompiledRule[] => {
    let r = rules.get(s);
    if (!r) rules.set(s, (r = (s['x-kubernetes-validations'] ?? []).map(compileRule)));
    return r;
  };
  // The API server defaults, prunes and validates in one pass; remember that pass's result so
  // validate() after applyDefaults() does not run ajv twice.
  const pending = new WeakMap<object, FieldError[]>();
  const hasRules = hasValidationRules(schema);
  return {
    applyDefaults(obj) {
      pending.set(obj, structural.run(obj));
    },
    validate(obj, old, metaErrors) {
      const schemaErrors = pending.get(obj) ?? structural.run(obj);
      pending.delete(obj);
      const errors = [...metaErrors, ...schemaErrors];
      if (!hasRules) return errors;
      // As kube-apiserver: CEL rules run on an object whose shape is sound; otherwise they are skipped, and said to be.
      if (errors.some((e) => BLOCKING.has(e.type))) return [...errors, RULES_NOT_CHECKED];
      const ruleErrors: FieldError[] = [];
      evaluateRules(schema, obj, old, '', rulesOf, ruleErrors);
      return [...errors, ...ruleErrors.filter((e) => !e.field.startsWith('metadata'))];
    },
  };
}

/** Throws a 422 Invalid naming every problem of the CRD itself. */
export function compileCrd(crd: KubeObject): ResourceType[] {
  const name = String(crd.metadata?.name ?? '');
  const spec = (crd.spec ?? {}) as CrdSpec;
  const problems = validateCrd(name, spec);
  if (problems.length) throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', name, problems);
  const n = spec.names!;
  const ajv = newAjv();
  return spec.versions!.filter((v) => v.served !== false).map((v) => ({
    group: spec.group!,
    version: v.name,
    kind: n.kind!,
    listKind: n.listKind ?? `${n.kind!}List`,
    plural: n.plural!,
    singular: n.singular ?? n.kind!.toLowerCase(),
    namespaced: spec.scope === 'Namespaced',
    shortNames: n.shortNames ?? [],
    categories: n.categories ?? [],
    verbs: VERBS,
    subresources: [...(v.subresources?.status ? ['status'] : []), ...(v.subresources?.scale ? ['scale'] : [])],
    printerColumns: v.additionalPrinterColumns ?? [],
    schema: v.schema!.openAPIV3Schema as Record<string, unknown>,
    ...validationFor(v.schema!.openAPIV3Schema!, ajv),
  }));
}
