// Rule substitute-from-order: a Flux Kustomization whose `postBuild.substituteFrom` needs a
// Secret, or keyferry's `keyferry-versions` ConfigMap (`rollout: Publish`), before it can build
// anything. Flux reads both in the Kustomization's own namespace, and fails the build while one
// that is not `optional` is missing. So what produces it must be applied before the
// Kustomization's layer; produced by that layer itself, it can never appear on a new cluster.
// Secrets and ConfigMaps that nothing in the tree produces are not checked.
import { lineOf } from '../tree.js';
import { layerLabel, type Layer } from '../layers.js';
import { field, list, str } from '../objects.js';
import { isExternalSecret } from '../refs.js';
import { orderingFix } from '../fix.js';
import { PUBLISH_CONFIGMAP_NAME } from '../../api/constants.js';
import { producerLabel, type SecretProducers, type Produced } from '../producers.js';
import type { Finding } from '../findings.js';

/** The ExternalSecrets of the cluster of `layer` that publish their versions to `keyferry-versions` in `namespace`. */
function publishers(layers: readonly Layer[], layer: Layer, namespace: string): Produced[] {
  return layers
    .filter((l) => l.scope === layer.scope)
    .flatMap((l) => l.instances.map((inst) => ({ inst, layer: l, namespace, what: producerLabel(inst) })))
    .filter(({ inst }) => isExternalSecret(inst.doc.obj) && inst.namespace === namespace && str(inst.doc.obj, 'spec', 'target', 'versioning', 'rollout') === 'Publish');
}

const OPTIONAL_HINT = ', or mark the substituteFrom entry optional: true and give each variable a default (${var:=default})';

export function substituteFrom(layers: readonly Layer[], producers: SecretProducers): Finding[] {
  const findings: Finding[] = [];
  for (const layer of layers) {
    const k = layer.doc;
    if (!k) continue;
    list(k.obj, 'spec', 'postBuild', 'substituteFrom').forEach((ref, i) => {
      const name = str(ref, 'name');
      const kind = str(ref, 'kind');
      if (!name || field(ref, 'optional') === true) return;
      let made: Produced[];
      if (kind === 'Secret') made = producers.of(layer, layer.namespace, name);
      else if (kind === 'ConfigMap' && name === PUBLISH_CONFIGMAP_NAME) made = publishers(layers, layer, layer.namespace);
      else return;
      if (made.length === 0 || made.some((p) => p.layer !== layer && layer.before.has(p.layer))) return;
      const p = made.find((m) => m.layer === layer) ?? made[0]!;
      const producer = p.what;
      const what = `${kind} ${layer.namespace}/${name}`;
      const itself = p.layer === layer;
      findings.push({
        rule: 'substitute-from-order', severity: 'error', file: k.file, line: lineOf(k, ['spec', 'postBuild', 'substituteFrom', i]),
        message: `${layerLabel(layer)} substitutes variables from ${what}, which ${producer} (${p.inst.doc.file}:${p.inst.doc.line}) ${kind === 'Secret' ? 'produces' : 'makes keyferry write'} ${itself ? `in this same Kustomization: it cannot build until the ${kind} exists, so on a new cluster it never does` : `in ${layerLabel(p.layer)}, which is not applied before it`}`,
        fix: itself
          ? { text: `apply ${producer} in a Kustomization that ${layerLabel(layer)} depends on${kind === 'ConfigMap' ? OPTIONAL_HINT : ''}` }
          : orderingFix(layer, p.layer, producer),
      });
    });
  }
  return findings;
}
