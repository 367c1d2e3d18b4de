// The CRDs' `x-kubernetes-validations` (CEL) on a converted object: what the API server would
// refuse although every field fits the schema, such as deletionPolicy Merge without
// creationPolicy Merge. The same evaluator as the dev cluster's, so both refuse the same objects.
import { compileRule, ruleFailures, type CompiledRule, type JSONSchemaProps, type RuleFailure } from '../crd/validation-rules.js';
import type { OpenApiSchema } from './crd-schemas.js';

// Rules compile once per schema node for the whole run, not once per document.
const compiled = new WeakMap<object, CompiledRule[]>();

function rulesOf(schema: JSONSchemaProps): CompiledRule[] {
  let rules = compiled.get(schema);
  if (!rules) compiled.set(schema, (rules = (schema['x-kubernetes-validations'] ?? []).map(compileRule)));
  return rules;
}

/** The rules `obj` fails, outside metadata (which the API server checks by its own code, not these rules). */
export function ruleRefusals(obj: unknown, schema: OpenApiSchema): RuleFailure[] {
  const failures: RuleFailure[] = [];
  ruleFailures(schema as JSONSchemaProps, obj, undefined, '', [], rulesOf, failures);
  return failures.filter((f) => f.path[0] !== 'metadata');
}
