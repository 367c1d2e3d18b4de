// Reading Kubernetes objects parsed from YAML: field access without trusting the shape,
// and what identifies an object (group, kind, namespace, name).
import { API_VERSION } from '../api/constants.js';

export type Obj = Record<string, unknown>;

export function field(o: unknown, ...path: (string | number)[]): unknown {
  let cur = o;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export function str(o: unknown, ...path: (string | number)[]): string | undefined {
  const v = field(o, ...path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function list(o: unknown, ...path: (string | number)[]): unknown[] {
  const v = field(o, ...path);
  return Array.isArray(v) ? v : [];
}

/** The API group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string | undefined): string {
  if (!apiVersion || !apiVersion.includes('/')) return '';
  return apiVersion.slice(0, apiVersion.indexOf('/'));
}

export function kindOf(o: Obj): string | undefined {
  return str(o, 'kind');
}

export function nameOf(o: Obj): string {
  return str(o, 'metadata', 'name') ?? '(unnamed)';
}

export const FLUX_KUSTOMIZE_GROUP = 'kustomize.toolkit.fluxcd.io';
export const FLUX_HELM_GROUP = 'helm.toolkit.fluxcd.io';
export const KEYFERRY_GROUP = groupOf(API_VERSION);

export function is(o: Obj, group: string, kind: string): boolean {
  return groupOf(str(o, 'apiVersion')) === group && kindOf(o) === kind;
}

export function isFluxKustomization(o: Obj): boolean {
  return is(o, FLUX_KUSTOMIZE_GROUP, 'Kustomization');
}

export function isCoreSecret(o: Obj): boolean {
  return str(o, 'apiVersion') === 'v1' && kindOf(o) === 'Secret';
}

/** Kinds that exist only in a namespace; anything else read here is treated as namespaced unless listed as cluster-scoped. */
const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ClusterSecretStore', 'ClusterExternalSecret', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

export function isClusterScoped(o: Obj): boolean {
  return CLUSTER_SCOPED.has(kindOf(o) ?? '');
}
