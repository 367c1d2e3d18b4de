// keyferry's own CRDs (manifests/crds/*.yaml), read at run time: what carries over from an ESO
// manifest is decided by these schemas, so a field added to a CRD carries over with no change here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../package-root.js';

/** The part of an OpenAPI v3 structural schema the converter reads. */
export interface OpenApiSchema {
  type?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema | boolean;
  items?: OpenApiSchema;
  enum?: unknown[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

export interface KindSchema {
  kind: string;
  /** `keyferry.io/v1alpha1`: the group and storage version. */
  apiVersion: string;
  namespaced: boolean;
  schema: OpenApiSchema;
}

interface CrdDoc {
  kind?: string;
  spec?: {
    group: string;
    scope: string;
    names: { kind: string };
    versions: { name: string; storage?: boolean; schema?: { openAPIV3Schema?: OpenApiSchema } }[];
  };
}

/**
 * manifests/crds of the package this file belongs to: found from src/convert/ in a checkout and
 * from dist/src/convert/ in the package and the image (both ship manifests/crds beside package.json).
 */
export function defaultCrdDirectory(): string {
  return join(packageRoot(import.meta.url), 'manifests', 'crds');
}

export class CrdsNotFoundError extends Error {
  override readonly name = 'CrdsNotFoundError';
}

/** kind → schema of its storage version, for every CustomResourceDefinition in `dir`. */
export function loadKindSchemas(dir: string = defaultCrdDirectory()): Map<string, KindSchema> {
  if (!existsSync(dir)) throw new CrdsNotFoundError(`keyferry's CRDs are not at ${dir}`);
  const kinds = new Map<string, KindSchema>();
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as CrdDoc | null;
      if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
      const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
      const schema = version?.schema?.openAPIV3Schema;
      if (!version || !schema) continue;
      kinds.set(crd.spec.names.kind, {
        kind: crd.spec.names.kind,
        apiVersion: `${crd.spec.group}/${version.name}`,
        namespaced: crd.spec.scope === 'Namespaced',
        schema,
      });
    }
  }
  if (kinds.size === 0) throw new CrdsNotFoundError(`no CustomResourceDefinition in ${dir}`);
  return kinds;
}
