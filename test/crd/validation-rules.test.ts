import assert from 'node:assert/strict';
import { compileRule, evaluateRules, ruleFailures, type CompiledRule, type JSONSchemaProps, type RuleError, type RuleFailure } from '../../src/crd/validation-rules.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        data: {
          type: 'array',
          items: {
            type: 'object',
            properties: { value: { type: 'string' } },
            'x-kubernetes-validations': [{ rule: 'self.value.size() < 8', message: 'value too long', messageExpression: "'value ' + self.value + ' too long'", fieldPath: '.value' }],
          },
        },
      },
    },
  },
};
const compiled = new WeakMap<object, CompiledRule[]>();
const rulesOf = (s: JSONSchemaProps) => compiled.get(s) ?? compiled.set(s, (s['x-kubernetes-validations'] ?? []).map(compileRule)).get(s)!;
const obj = { spec: { data: [{ value: 'short' }, { value: 'a-secret-value' }] } };

describe('x-kubernetes-validations evaluator', () => {
  it('prints what the API server prints, messageExpression included', () => {
    const errors: RuleError[] = [];
    evaluateRules(schema, obj, undefined, '', rulesOf, errors);
    assert.deepEqual(errors, [{ field: 'spec.data[1].value', type: 'FieldValueInvalid', message: 'Invalid value: "object": value a-secret-value too long' }]);
  });

  it('gives each failure its path as keys and indexes, and a detail that never comes from messageExpression', () => {
    const failures: RuleFailure[] = [];
    ruleFailures(schema, obj, undefined, '', [], rulesOf, failures);
    assert.deepEqual(failures.map((f) => [f.path, f.detail]), [[['spec', 'data', 1, 'value'], 'value too long']]);
  });
});
