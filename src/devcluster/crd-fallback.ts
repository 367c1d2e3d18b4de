// Minimal CRD → ResourceType compilation used until the full compiler (src/devcluster/crd/,
// schema validation + CEL) is wired in: names, scope, versions, subresources and printer
// columns, without validation.
import { ApiError } from './api-error.js';
import type { KubeObject, ResourceType } from './resource-type.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
  subresources?: { status?: object; scale?: object };
  additionalPrinterColumns?: ResourceType['printerColumns'];
}

export function compileCrdFallback(crd: KubeObject): ResourceType[] {
  const spec = (crd.spec ?? {}) as { group?: string; scope?: string; names?: Record<string, unknown>; versions?: CrdVersion[] };
  const names = (spec.names ?? {}) as { kind?: string; listKind?: string; plural?: string; singular?: string; shortNames?: string[]; categories?: string[] };
  if (!spec.group || !names.kind || !names.plural || !Array.isArray(spec.versions)) {
    throw new ApiError(422, 'Invalid', `CustomResourceDefinition.apiextensions.k8s.io "${crd.metadata?.name ?? ''}" is invalid: spec: Required value`);
  }
  return spec.versions.filter((v) => v.served !== false).map((v) => ({
    group: spec.group!,
    version: v.name,
    kind: names.kind!,
    listKind: names.listKind ?? `${names.kind}List`,
    plural: names.plural!,
    singular: names.singular ?? names.kind!.toLowerCase(),
    namespaced: spec.scope !== 'Cluster',
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    verbs: ALL_VERBS,
    subresources: [...(v.subresources?.status ? ['status'] : []), ...(v.subresources?.scale ? ['scale'] : [])],
    printerColumns: v.additionalPrinterColumns ?? [],
    schema: v.schema?.openAPIV3Schema,
  }));
}
