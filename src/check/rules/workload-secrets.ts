// Rules workload-secret-order and workload-secret-same-layer: a workload that needs a Secret
// produced by an ExternalSecret (or a ClusterExternalSecret). Applied in a layer before the workload's: fine. In the same
// layer: a warning, since kustomize-controller applies both at once and the workload starts
// only on a retry once the Secret is written (kubelet's back-off for a Pod; the next interval
// for a HelmRelease's valuesFrom), which a Kustomization's health check may not wait for. In
// a later or unordered layer: an error. Secrets no ExternalSecret in the tree produces are
// not checked here.
import { lineOf } from '../tree.js';
import { layerLabel, type Layer } from '../layers.js';
import { kindOf, nameOf } from '../objects.js';
import { syncsFromStore, workloadSecretRefs } from '../refs.js';
import { orderingFix } from '../fix.js';
import type { SecretProducers } from '../producers.js';
import type { Finding } from '../findings.js';

export function workloadSecrets(layers: readonly Layer[], producers: SecretProducers): Finding[] {
  const findings: Finding[] = [];
  for (const layer of layers) {
    for (const inst of layer.instances) {
      if (inst.namespace === undefined) continue;
      const refs = workloadSecretRefs(inst.doc.obj);
      for (const ref of refs) {
        const made = producers.of(layer, inst.namespace, ref.name).filter((p) => syncsFromStore(p.inst.doc.obj));
        if (made.length === 0 || made.some((p) => layer.before.has(p.layer))) continue;
        const workload = `${kindOf(inst.doc.obj)} ${inst.namespace}/${nameOf(inst.doc.obj)}`;
        const line = lineOf(inst.doc, ref.path);
        const same = made.find((p) => p.layer === layer);
        const p = same ?? made[0]!;
        const es = p.what;
        const where = `${es} (${p.inst.doc.file}:${p.inst.doc.line})`;
        if (same) {
          findings.push({
            rule: 'workload-secret-same-layer', severity: 'warning', file: inst.doc.file, line,
            message: `${workload} needs Secret ${inst.namespace}/${ref.name} (${ref.how}), produced by ${where}, which ${layerLabel(layer)} applies together with it: it starts only on a retry after the Secret is written`,
            fix: { text: layer.doc ? `move ${es} to a Kustomization of its own and add that Kustomization to the dependsOn of ${layerLabel(layer)}` : `apply ${es} in a Flux Kustomization that the workload's Kustomization depends on` },
          });
        } else {
          findings.push({
            rule: 'workload-secret-order', severity: 'error', file: inst.doc.file, line,
            message: `${workload} in ${layerLabel(layer)} needs Secret ${inst.namespace}/${ref.name} (${ref.how}), produced by ${where} in ${layerLabel(p.layer)}, which is not applied before it`,
            fix: orderingFix(layer, p.layer, es),
          });
        }
      }
    }
  }
  return findings;
}
