// OpenAPI definition names as kube-apiserver spells them: the group reversed, then version and kind
// (`io.keyferry.v1alpha1.ExternalSecret`; built-in core kinds are `io.k8s.api.core.v1.Secret`).
import type { ResourceType } from '../resource-type.js';

const BUILTIN_GROUPS = new Set(['', 'apps', 'batch', 'coordination.k8s.io', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'rbac.authorization.k8s.io', 'apiextensions.k8s.io']);

export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

export function definitionName(t: Pick<ResourceType, 'group' | 'version' | 'kind'>): string {
  if (BUILTIN_GROUPS.has(t.group)) {
    const g = t.group === '' ? 'core' : t.group.replace(/\.k8s\.io$/, '');
    return t.group === 'apiextensions.k8s.io' ? `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${t.version}.${t.kind}` : `io.k8s.api.${g}.${t.version}.${t.kind}`;
  }
  return `${t.group.split('.').reverse().join('.')}.${t.version}.${t.kind}`;
}

/** Whether the type has a real structural schema (CRDs) rather than the permissive built-in stand-in. */
export function hasStructuralSchema(t: ResourceType): boolean {
  return !!t.schema && typeof t.schema.properties === 'object';
}
