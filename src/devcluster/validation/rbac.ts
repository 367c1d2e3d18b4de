// Validation of Roles, ClusterRoles and their bindings, in the API server's words: each rule
// needs verbs, and API groups and resources (or non-resource URLs only); a binding's roleRef names
// a Role or ClusterRole of rbac.authorization.k8s.io and never changes; subjects are
// ServiceAccounts, Users or Groups.
import { fieldInvalid, fieldNotSupported, fieldRequired } from '../api-error.js';
import type { FieldError, KubeObject } from '../resource-type.js';
import { isDns1123Subdomain, isValidPathSegmentName } from './identifiers.js';

const GROUP = 'rbac.authorization.k8s.io';
type Rec = Record<string, unknown>;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});

function validateRule(rule: Rec, namespaced: boolean, at: string): FieldError[] {
  const errors: FieldError[] = [];
  if (list(rule.verbs).length === 0) errors.push(fieldRequired(`${at}.verbs`, 'verbs must contain at least one value'));
  const urls = list(rule.nonResourceURLs);
  if (urls.length > 0) {
    if (namespaced) errors.push(fieldInvalid(`${at}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (list(rule.apiGroups).length || list(rule.resources).length || list(rule.resourceNames).length) {
      errors.push(fieldInvalid(`${at}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errors;
  }
  if (list(rule.apiGroups).length === 0) errors.push(fieldRequired(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
  if (list(rule.resources).length === 0) errors.push(fieldRequired(`${at}.resources`, 'resource rules must supply at least one resource'));
  return errors;
}

const rulesOf = (obj: KubeObject, namespaced: boolean): FieldError[] =>
  list(obj.rules).flatMap((r, i) => validateRule(rec(r), namespaced, `rules[${i}]`));

export const validateRole = (obj: KubeObject, _old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[] => [...metaErrors, ...rulesOf(obj, true)];
export const validateClusterRole = (obj: KubeObject, _old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[] => [...metaErrors, ...rulesOf(obj, false)];

function validateSubject(s: Rec, namespaced: boolean, at: string): FieldError[] {
  const errors: FieldError[] = [];
  const name = String(s.name ?? '');
  if (!name) errors.push(fieldRequired(`${at}.name`));
  switch (s.kind) {
    case 'ServiceAccount':
      if (name) for (const msg of isDns1123Subdomain(name)) errors.push(fieldInvalid(`${at}.name`, name, msg));
      if (s.apiGroup) errors.push(fieldNotSupported(`${at}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errors.push(fieldRequired(`${at}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== GROUP) errors.push(fieldNotSupported(`${at}.apiGroup`, s.apiGroup ?? '', [GROUP]));
      break;
    default:
      errors.push(fieldNotSupported(`${at}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errors;
}

function validateBinding(obj: KubeObject, old: KubeObject | undefined, metaErrors: FieldError[], namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const ref = rec(obj.roleRef);
  errors.push(...metaErrors);
  if (ref.apiGroup !== GROUP) errors.push(fieldNotSupported('roleRef.apiGroup', ref.apiGroup ?? '', [GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(String(ref.kind))) errors.push(fieldNotSupported('roleRef.kind', ref.kind ?? '', kinds));
  const name = String(ref.name ?? '');
  if (!name) errors.push(fieldRequired('roleRef.name'));
  else for (const msg of isValidPathSegmentName(name)) errors.push(fieldInvalid('roleRef.name', name, msg));
  list(obj.subjects).forEach((s, i) => errors.push(...validateSubject(rec(s), namespaced, `subjects[${i}]`)));
  const before = rec(old?.roleRef);
  if (old && (before.apiGroup !== ref.apiGroup || before.kind !== ref.kind || before.name !== ref.name)) {
    // The API server prints the internal struct, field names capitalised.
    const shown = JSON.stringify({ APIGroup: ref.apiGroup ?? '', Kind: ref.kind ?? '', Name: ref.name ?? '' });
    errors.push({ field: 'roleRef', type: 'FieldValueInvalid', message: `Invalid value: ${shown}: cannot change roleRef` });
  }
  return errors;
}

export const validateRoleBinding = (obj: KubeObject, old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[] => validateBinding(obj, old, metaErrors, true);
export const validateClusterRoleBinding = (obj: KubeObject, old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[] => validateBinding(obj, old, metaErrors, false);
