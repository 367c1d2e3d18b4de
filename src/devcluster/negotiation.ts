// Content negotiation on the Accept header: full objects (default), server-side Tables
// (`as=Table`, kubectl get) or metadata only (`as=PartialObjectMetadata`, metadata informers).
import type { KubeObject } from './resource-type.js';

export type Representation = 'object' | 'table' | 'partial';

export function representationOf(accept: string | undefined): Representation {
  if (!accept || !accept.includes('g=meta.k8s.io')) return 'object';
  // The first acceptable alternative wins, as in the API server.
  for (const alt of accept.split(',')) {
    if (/as=Table/.test(alt) && /g=meta\.k8s\.io/.test(alt)) return 'table';
    if (/as=PartialObjectMetadata(List)?\b/.test(alt) && /g=meta\.k8s\.io/.test(alt)) return 'partial';
    if (/^\s*application\/json\s*(;\s*charset=[^;]*)?$/.test(alt) || /^\s*\*\/\*/.test(alt)) return 'object';
  }
  return 'object';
}

export function partialMetadata(obj: KubeObject): object {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}
