// Rule crd-order: a custom resource applied before its CustomResourceDefinition. The CRD is
// provided by a CustomResourceDefinition document (fine in the same layer: kustomize-controller
// applies CRDs first) or, for keyferry's own kinds, by a HelmRelease of the `keyferry` chart
// (which must be in an earlier layer: helm-controller installs it after the layer is applied).
// Kinds whose CRD nothing in the tree provides are not checked.
import { appliedBeforeOrSame, layerLabel, type Layer } from '../layers.js';
import { is, groupOf, kindOf, nameOf, str, FLUX_HELM_GROUP, KEYFERRY_GROUP } from '../objects.js';
import { orderingFix } from '../fix.js';
import type { Instance } from '../kustomize.js';
import type { Finding } from '../findings.js';

interface Provider {
  inst: Instance;
  layer: Layer;
  how: 'crd' | 'helm';
}

const KEYFERRY_KINDS = ['ExternalSecret', 'SecretStore', 'ClusterSecretStore'];

function provided(inst: Instance): { keys: string[]; how: 'crd' | 'helm' } | undefined {
  const o = inst.doc.obj;
  if (is(o, 'apiextensions.k8s.io', 'CustomResourceDefinition')) {
    const group = str(o, 'spec', 'group');
    const kind = str(o, 'spec', 'names', 'kind');
    return group && kind ? { keys: [`${group}/${kind}`], how: 'crd' } : undefined;
  }
  if (is(o, FLUX_HELM_GROUP, 'HelmRelease') && (str(o, 'spec', 'chart', 'spec', 'chart') === 'keyferry' || str(o, 'spec', 'chartRef', 'name') === 'keyferry')) {
    return { keys: KEYFERRY_KINDS.map((k) => `${KEYFERRY_GROUP}/${k}`), how: 'helm' };
  }
  return undefined;
}

function what(inst: Instance): string {
  const o = inst.doc.obj;
  return `${kindOf(o)} ${inst.namespace ? `${inst.namespace}/` : ''}${nameOf(o)}`;
}

export function crdOrder(layers: readonly Layer[]): Finding[] {
  const providers = new Map<string, Provider[]>();
  for (const layer of layers) {
    for (const inst of layer.instances) {
      const p = provided(inst);
      for (const key of p?.keys ?? []) {
        const k = `${layer.scope}\0${key}`;
        providers.set(k, [...(providers.get(k) ?? []), { inst, layer, how: p!.how }]);
      }
    }
  }
  const findings: Finding[] = [];
  for (const layer of layers) {
    for (const inst of layer.instances) {
      const o = inst.doc.obj;
      const group = groupOf(str(o, 'apiVersion'));
      if (!group) continue;
      const candidates = providers.get(`${layer.scope}\0${group}/${kindOf(o)}`);
      if (!candidates) continue;
      const ok = candidates.some((p) => (p.how === 'crd' ? appliedBeforeOrSame(p.layer, layer) : p.layer !== layer && layer.before.has(p.layer)));
      if (ok) continue;
      const p = candidates[0]!;
      const providerWhat = p.how === 'crd' ? `its CustomResourceDefinition ${nameOf(p.inst.doc.obj)}` : `HelmRelease ${p.inst.namespace}/${nameOf(p.inst.doc.obj)}, which installs its CustomResourceDefinition`;
      const fix = p.layer === layer
        ? { text: `move ${what(inst)} to a Kustomization that depends on ${layerLabel(layer)}` }
        : orderingFix(layer, p.layer, providerWhat.replace(/^its /, 'the '));
      findings.push({
        rule: 'crd-order', severity: 'error', file: inst.doc.file, line: inst.doc.line,
        message: `${what(inst)} is applied by ${layerLabel(layer)} before ${providerWhat} (${p.inst.doc.file}:${p.inst.doc.line}, ${layerLabel(p.layer)})`,
        fix,
      });
    }
  }
  return findings;
}
