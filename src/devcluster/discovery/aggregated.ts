// Aggregated discovery (`apidiscovery.k8s.io` v2 and v2beta1 APIGroupDiscoveryList): every
// group, version and resource in one response to `/api` or `/apis`, which kubectl 1.32 asks for first.
import { groupVersions, subresourceInfo } from './group-versions.js';
import type { ResourceType } from '../resource-type.js';

export type AggregatedVersion = 'v2' | 'v2beta1';

function resourceEntry(t: ResourceType): object {
  return {
    resource: t.plural,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
    ...(t.subresources.length ? {
      subresources: t.subresources.map((s) => {
        const info = subresourceInfo(t, s);
        return { subresource: s, responseKind: { group: info.group, version: info.version, kind: info.kind }, verbs: info.verbs };
      }),
    } : {}),
  };
}

/** `/api` lists only the core group (named ''); `/apis` every other group. */
export function aggregatedDiscoveryDoc(types: ResourceType[], which: 'api' | 'apis', version: AggregatedVersion): object {
  const groups = groupVersions(types).filter((g) => (which === 'api' ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({ version: v.version, resources: v.types.map(resourceEntry), freshness: 'Current' })),
    })),
  };
}
