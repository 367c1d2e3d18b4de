// Simple legacy discovery and OpenAPI documents, served until the full modules
// (src/devcluster/discovery/, src/devcluster/openapi/) are wired in.
import type { ResourceType } from './resource-type.js';

function groupVersions(types: ResourceType[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const t of types) {
    const vs = m.get(t.group) ?? [];
    if (!vs.includes(t.version)) vs.push(t.version);
    m.set(t.group, vs);
  }
  return m;
}

export function apiVersionsDoc(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(group: string, versions: string[]): object {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupListDoc(types: ResourceType[]): object {
  const groups = [...groupVersions(types)].filter(([g]) => g !== '').map(([g, vs]) => groupDoc(g, vs));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroupDoc(types: ResourceType[], group: string): object | undefined {
  const vs = groupVersions(types).get(group);
  return vs ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, vs) } : undefined;
}

export function apiResourceListDoc(types: ResourceType[], group: string, version: string): object | undefined {
  const mine = types.filter((t) => t.group === group && t.version === version);
  if (mine.length === 0) return undefined;
  const resources: object[] = [];
  for (const t of mine) {
    resources.push({
      name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}), ...(t.categories.length ? { categories: t.categories } : {}),
    });
    for (const s of t.subresources) {
      const kind = s === 'token' ? 'TokenRequest' : s === 'scale' ? 'Scale' : t.kind;
      const verbs = s === 'token' ? ['create'] : ['get', 'patch', 'update'];
      resources.push({ name: `${t.plural}/${s}`, singularName: '', namespaced: t.namespaced, kind, verbs });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function openapiV2Doc(): object {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions: {} };
}

/** `/openapi/v3`: one entry per group/version, as `api/v1` and `apis/<group>/<version>`. */
export function openapiV3IndexDoc(types: ResourceType[]): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [g, vs] of groupVersions(types)) {
    for (const v of vs) {
      const key = g ? `apis/${g}/${v}` : `api/${v}`;
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}` };
    }
  }
  return { paths };
}

/**
 * `/openapi/v3/<gv>`: only PATCH operations tagged with their GVK and the `fieldValidation`
 * parameter, which is what kubectl reads to decide that the server validates fields itself
 * (so `kubectl apply` needs no client-side schema). No component schemas.
 */
export function openapiV3GroupVersionDoc(types: ResourceType[], group: string, version: string): object | undefined {
  const mine = types.filter((t) => t.group === group && t.version === version);
  if (mine.length === 0) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, object> = {};
  for (const t of mine) {
    if (!t.verbs.includes('patch')) continue;
    const path = `${prefix}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`;
    paths[path] = {
      patch: {
        operationId: `patch${t.kind}`,
        parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }],
        requestBody: { content: { 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/json-patch+json': { schema: { type: 'object' } } } },
        responses: { 200: { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: t.kind },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}
