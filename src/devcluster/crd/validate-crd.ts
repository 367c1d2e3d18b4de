// Checks a CustomResourceDefinition before it is served, so a broken one is refused with field
// errors (as kube-apiserver does) instead of failing later on every custom resource.
import { parseJsonPath } from '../table/index.js';
import type { FieldError } from '../resource-type.js';
import { compileRule } from '../../crd/validation-rules.js';
import type { CrdSpec, JSONSchemaProps } from './schema-types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VERSION = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const required = (field: string): FieldError => ({ field, type: 'FieldValueRequired', message: 'Required value' });
const invalidValue = (field: string, value: unknown, why: string): FieldError => ({ field, type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${why}` });

function checkRules(schema: JSONSchemaProps, path: string, errors: FieldError[]): void {
  (schema['x-kubernetes-validations'] ?? []).forEach((r, i) => {
    const at = `${path}.x-kubernetes-validations[${i}]`;
    if (typeof r.rule !== 'string' || !r.rule.trim()) { errors.push(required(`${at}.rule`)); return; }
    try {
      compileRule(r);
    } catch (e) {
      errors.push(invalidValue(`${at}.rule`, r.rule, `compilation failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`));
    }
  });
  for (const [k, child] of Object.entries(schema.properties ?? {})) checkRules(child, `${path}.properties[${k}]`, errors);
  if (schema.items) checkRules(schema.items, `${path}.items`, errors);
  if (typeof schema.additionalProperties === 'object') checkRules(schema.additionalProperties, `${path}.additionalProperties`, errors);
}

export function validateCrd(name: string, spec: CrdSpec): FieldError[] {
  const errors: FieldError[] = [];
  const n = spec.names ?? {};
  if (!spec.group) errors.push(required('spec.group'));
  else if (!DNS_SUBDOMAIN.test(spec.group) || !spec.group.includes('.')) errors.push(invalidValue('spec.group', spec.group, 'should be a domain with at least one dot'));
  if (!n.plural) errors.push(required('spec.names.plural'));
  else if (!DNS_LABEL.test(n.plural)) errors.push(invalidValue('spec.names.plural', n.plural, 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\''));
  if (n.singular !== undefined && !DNS_LABEL.test(n.singular)) errors.push(invalidValue('spec.names.singular', n.singular, 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\''));
  if (!n.kind) errors.push(required('spec.names.kind'));
  for (const [i, s] of (n.shortNames ?? []).entries()) if (!DNS_LABEL.test(s)) errors.push(invalidValue(`spec.names.shortNames[${i}]`, s, 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\''));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errors.push(spec.scope ? { field: 'spec.scope', type: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(spec.scope)}: supported values: "Cluster", "Namespaced"` } : required('spec.scope'));
  }
  if (n.plural && spec.group && name !== `${n.plural}.${spec.group}`) errors.push(invalidValue('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  const versions = spec.versions ?? [];
  if (versions.length === 0) errors.push(required('spec.versions'));
  if (versions.length && versions.filter((v) => v.storage).length !== 1) errors.push(invalidValue('spec.versions', versions.map((v) => v.name), 'must have exactly one version marked as storage version'));
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const at = `spec.versions[${i}]`;
    if (!v.name) errors.push(required(`${at}.name`));
    else if (!VERSION.test(v.name)) errors.push(invalidValue(`${at}.name`, v.name, 'must be a DNS-1035 label'));
    else if (seen.has(v.name)) errors.push({ field: `${at}.name`, type: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(v.name)}` });
    seen.add(v.name);
    const root = v.schema?.openAPIV3Schema;
    if (!root) errors.push(required(`${at}.schema.openAPIV3Schema`));
    else {
      if (root.type !== 'object') errors.push(invalidValue(`${at}.schema.openAPIV3Schema.type`, root.type ?? '', 'must be object at the root'));
      checkRules(root, `${at}.schema.openAPIV3Schema`, errors);
    }
    (v.additionalPrinterColumns ?? []).forEach((c, j) => {
      const cat = `${at}.additionalPrinterColumns[${j}]`;
      if (!c.name) errors.push(required(`${cat}.name`));
      if (!['integer', 'number', 'string', 'boolean', 'date'].includes(c.type)) errors.push({ field: `${cat}.type`, type: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(c.type)}: supported values: "integer", "number", "string", "boolean", "date"` });
      try {
        parseJsonPath(c.jsonPath ?? '');
      } catch (e) {
        errors.push(invalidValue(`${cat}.jsonPath`, c.jsonPath, e instanceof Error ? e.message : String(e)));
      }
    });
  });
  return errors;
}
