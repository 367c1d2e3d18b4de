// metadata checks every kind gets (ValidateObjectMetaAccessor of k8s.io/apimachinery and the
// core API's finalizer check): name or generateName by the kind's rule, labels, annotations and
// their total size, owner references, finalizers. Errors come in the API server's order.
import { fieldInvalid, fieldRequired, fieldTooLong } from '../api-error.js';
import type { FieldError } from '../resource-type.js';
import type { Meta } from '../object-meta.js';
import { isQualifiedName, isValidLabelValue } from './identifiers.js';
import type { NameRule } from './name-rules.js';

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Finalizers without a domain that Kubernetes itself defines. */
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export interface ObjectMetaRules {
  name: NameRule;
  /** Built-in kinds also refuse finalizers that are neither standard nor domain-qualified (CRDs' objects do not). */
  kubeFinalizers: boolean;
}

export function validateObjectMeta(m: Meta, rules: ObjectMetaRules): FieldError[] {
  const errors: FieldError[] = [];
  if (m.generateName) for (const msg of rules.name(m.generateName, true)) errors.push(fieldInvalid('metadata.generateName', m.generateName, msg));
  if (!m.name) errors.push(fieldRequired('metadata.name', 'name or generateName is required'));
  else for (const msg of rules.name(m.name, false)) errors.push(fieldInvalid('metadata.name', m.name, msg));
  errors.push(...validateLabels(m.labels, 'metadata.labels'));
  errors.push(...validateAnnotations(m.annotations));
  errors.push(...validateOwnerReferences(m.ownerReferences));
  const finalizers = Array.isArray(m.finalizers) ? m.finalizers : [];
  for (const f of finalizers) for (const msg of isQualifiedName(String(f))) errors.push(fieldInvalid('metadata.finalizers', f, msg));
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errors.push(fieldInvalid('metadata.finalizers', finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  if (rules.kubeFinalizers) {
    finalizers.forEach((f, i) => {
      if (!String(f).includes('/') && !STANDARD_FINALIZERS.has(String(f))) {
        errors.push(fieldInvalid(`metadata.finalizers[${i}]`, f, 'name is neither a standard finalizer name nor is it fully qualified'));
      }
    });
  }
  return errors;
}

export function validateLabels(labels: Record<string, unknown> | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errors.push(fieldInvalid(field, k, msg));
    for (const msg of isValidLabelValue(String(v))) errors.push(fieldInvalid(field, v, msg));
  }
  return errors;
}

function validateAnnotations(annotations: Record<string, unknown> | undefined): FieldError[] {
  const errors: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // Annotation keys are qualified names in any case.
    for (const msg of isQualifiedName(k.toLowerCase())) errors.push(fieldInvalid('metadata.annotations', k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errors.push(fieldTooLong('metadata.annotations', TOTAL_ANNOTATION_SIZE_LIMIT));
  return errors;
}

type OwnerReference = NonNullable<Meta['ownerReferences']>[number];

/** The version of an apiVersion as Kubernetes parses it: empty when it is empty or malformed. */
function versionOf(apiVersion: string): string {
  if (!apiVersion || apiVersion === '/') return '';
  const parts = apiVersion.split('/');
  if (parts.length === 1) return parts[0];
  return parts.length === 2 ? parts[1] : '';
}

function validateOwnerReferences(refs: OwnerReference[] | undefined): FieldError[] {
  const errors: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = String(ref.apiVersion ?? '');
    if (!versionOf(apiVersion)) errors.push(fieldInvalid('metadata.ownerReferences.apiVersion', apiVersion, 'version must not be empty'));
    if (!ref.kind) errors.push(fieldInvalid('metadata.ownerReferences.kind', ref.kind ?? '', 'must not be empty'));
    if (!ref.name) errors.push(fieldInvalid('metadata.ownerReferences.name', ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errors.push(fieldInvalid('metadata.ownerReferences.uid', ref.uid ?? '', 'must not be empty'));
    if (apiVersion === 'v1' && ref.kind === 'Event') errors.push(fieldInvalid('metadata.ownerReferences', ref, '/v1, Kind=Event is disallowed from being an owner'));
    if (ref.controller === true) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errors.push(fieldInvalid('metadata.ownerReferences', refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`));
      } else {
        firstController = current;
      }
    }
  }
  return errors;
}

/** Owner references with a uid seen before are dropped, as the API server does (with a warning). */
export function dedupOwnerReferences(m: Meta): void {
  const refs = m.ownerReferences;
  if (!Array.isArray(refs) || refs.length < 2) return;
  const seen = new Set<string>();
  const kept = refs.filter((r) => {
    if (seen.has(r.uid)) return false;
    seen.add(r.uid);
    return true;
  });
  if (kept.length !== refs.length) m.ownerReferences = kept;
}
