// Picks the discovery document for a path and an Accept header. client-go decides between the
// aggregated and the legacy form by the response's Content-Type, so it must name the form served.
import { aggregatedDiscoveryDoc, type AggregatedVersion } from './aggregated.js';
import { apiGroupDoc, apiGroupListDoc, apiResourceListDoc, apiVersionsDoc } from './legacy.js';
import type { ResourceType } from '../resource-type.js';

export interface DiscoveryResponse {
  contentType: string;
  body: string;
}

const aggregatedType = (v: AggregatedVersion): string => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

/** The aggregated version the client asks for first (JSON only), or undefined for the legacy form. */
export function aggregatedVersionAccepted(accept: string | undefined): AggregatedVersion | undefined {
  for (const alt of (accept ?? '').split(',')) {
    const [media, ...params] = alt.split(';').map((p) => p.trim());
    const p = Object.fromEntries(params.map((x) => x.split('=').map((s) => s.trim())));
    if (media === 'application/json' && p.g === 'apidiscovery.k8s.io' && p.as === 'APIGroupDiscoveryList' && (p.v === 'v2' || p.v === 'v2beta1')) return p.v;
    // A plain JSON (or wildcard) alternative ahead of any aggregated one selects the legacy form.
    if ((media === 'application/json' || media === '*/*') && !p.g) return undefined;
  }
  return undefined;
}

/**
 * The response for `/api`, `/apis`, `/api/<v>`, `/apis/<g>` or `/apis/<g>/<v>`; undefined for
 * any other path or a group/version that is not served (the caller answers 404).
 */
export function discoveryResponse(path: string, accept: string | undefined, types: ResourceType[], serverAddress: string): DiscoveryResponse | undefined {
  const parts = path.split('/').filter(Boolean);
  const json = (doc: object | undefined): DiscoveryResponse | undefined => (doc ? { contentType: 'application/json', body: JSON.stringify(doc) } : undefined);
  if (parts.length === 1 && (parts[0] === 'api' || parts[0] === 'apis')) {
    const aggregated = aggregatedVersionAccepted(accept);
    if (aggregated) return { contentType: aggregatedType(aggregated), body: JSON.stringify(aggregatedDiscoveryDoc(types, parts[0], aggregated)) };
    return json(parts[0] === 'api' ? apiVersionsDoc(types, serverAddress) : apiGroupListDoc(types));
  }
  if (parts[0] === 'api' && parts.length === 2) return json(apiResourceListDoc(types, '', parts[1]));
  if (parts[0] === 'apis' && parts.length === 2) return json(apiGroupDoc(types, parts[1]));
  if (parts[0] === 'apis' && parts.length === 3) return json(apiResourceListDoc(types, parts[1], parts[2]));
  return undefined;
}
