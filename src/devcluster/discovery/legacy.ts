// Legacy (unaggregated) discovery documents: `/api` (APIVersions), `/apis` (APIGroupList),
// `/apis/<group>` (APIGroup) and `/api/v1`, `/apis/<group>/<version>` (APIResourceList).
import { groupVersions, subresourceInfo, type GroupVersions } from './group-versions.js';
import type { ResourceType } from '../resource-type.js';

const gvString = (group: string, version: string): string => (group ? `${group}/${version}` : version);

export function apiVersionsDoc(types: ResourceType[], serverAddress: string): object {
  const core = groupVersions(types).find((g) => g.group === '');
  return {
    kind: 'APIVersions',
    versions: core ? core.versions.map((v) => v.version) : ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(g: GroupVersions): object {
  const versions = g.versions.map((v) => ({ groupVersion: gvString(g.group, v.version), version: v.version }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

export function apiGroupListDoc(types: ResourceType[]): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupVersions(types).filter((g) => g.group !== '').map(groupEntry) };
}

export function apiGroupDoc(types: ResourceType[], group: string): object | undefined {
  const g = group === '' ? undefined : groupVersions(types).find((x) => x.group === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g) } : undefined;
}

export function apiResourceListDoc(types: ResourceType[], group: string, version: string): object | undefined {
  const mine = types.filter((t) => t.group === group && t.version === version);
  if (mine.length === 0) return undefined;
  const resources: object[] = [];
  for (const t of mine) {
    resources.push({
      name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
    });
    for (const s of t.subresources) {
      const info = subresourceInfo(t, s);
      const crossGroup = info.group !== t.group || info.version !== t.version;
      resources.push({
        name: `${t.plural}/${s}`, singularName: '', namespaced: t.namespaced, kind: info.kind, verbs: info.verbs,
        ...(crossGroup ? { group: info.group, version: info.version } : {}),
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gvString(group, version), resources };
}
