// `keyferry check`: reads a Flux/kustomize tree and runs every rule over its layers.
import { resolve } from 'node:path';
import { ManifestTree } from './tree.js';
import { buildLayers } from './layers.js';
import { SecretProducers } from './producers.js';
import { crdOrder } from './rules/crd-order.js';
import { storeCredentials } from './rules/store-credentials.js';
import { workloadSecrets } from './rules/workload-secrets.js';
import { dependsOnCycles } from './rules/depends-on-cycles.js';
import { helmReleaseDependsOn } from './rules/helm-depends-on.js';
import { substituteFrom } from './rules/substitute-from.js';
import { plaintextSecrets } from './rules/plaintext-secrets.js';
import { normalizeFindings, type Finding } from './findings.js';

export interface CheckOptions {
  /** Flux source names (GitRepository, OCIRepository, Bucket) whose paths are read from this tree. */
  sources: readonly string[];
  /** Files are shown relative to this directory. */
  cwd: string;
}

export function checkTree(paths: readonly string[], options: CheckOptions): Finding[] {
  const tree = new ManifestTree(options.cwd);
  const roots = paths.map((p) => resolve(options.cwd, p));
  const docs = roots.flatMap((r) => tree.loadPath(r));
  const { layers, findings } = buildLayers(tree, roots, docs, { sources: new Set(options.sources) });
  const producers = new SecretProducers(layers);
  // The documents under the paths given, and those the layers reach outside them (`../../base`).
  const allDocs = [...new Set([...docs, ...layers.flatMap((l) => l.instances.map((i) => i.doc))])];
  return normalizeFindings([
    ...tree.findings,
    ...findings,
    ...crdOrder(layers),
    ...storeCredentials(layers, producers),
    ...workloadSecrets(layers, producers),
    ...substituteFrom(layers, producers),
    ...dependsOnCycles(layers),
    ...helmReleaseDependsOn(layers),
    ...plaintextSecrets(allDocs),
  ]);
}
