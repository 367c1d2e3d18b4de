// Served types grouped by API group and version, both in discovery order: the core group first,
// then groups in the order they were first served, versions by Kubernetes priority.
import { compareVersions } from './version-priority.js';
import type { ResourceType } from '../resource-type.js';

export interface GroupVersions {
  group: string;
  /** Versions in priority order; the first is the preferred one. */
  versions: { version: string; types: ResourceType[] }[];
}

export function groupVersions(types: ResourceType[]): GroupVersions[] {
  const groups = new Map<string, Map<string, ResourceType[]>>();
  for (const t of types) {
    const versions = groups.get(t.group) ?? new Map<string, ResourceType[]>();
    versions.set(t.version, [...(versions.get(t.version) ?? []), t]);
    groups.set(t.group, versions);
  }
  const out = [...groups].map(([group, versions]) => ({
    group,
    versions: [...versions].sort(([a], [b]) => compareVersions(a, b)).map(([version, ts]) => ({ version, types: ts })),
  }));
  return out.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
}

/** What a subresource returns and accepts, for discovery. */
export function subresourceInfo(t: ResourceType, sub: string): { kind: string; group: string; version: string; verbs: string[] } {
  if (sub === 'token') return { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] };
  if (sub === 'scale') return { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };
  if (sub === 'finalize') return { kind: t.kind, group: t.group, version: t.version, verbs: ['update'] };
  return { kind: t.kind, group: t.group, version: t.version, verbs: ['get', 'patch', 'update'] };
}
