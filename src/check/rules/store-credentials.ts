// Rules store-credential-cycle and store-credential-order: a store's credential Secret must
// exist without that store, and no later than the store. A Secret produced through the store
// itself can never appear on a new cluster; one produced in a later (or unordered) layer
// leaves the store not ready until then. One produced in the store's own layer is fine: the
// store is validated again as soon as its credential Secret appears. Credential Secrets that
// nothing in the tree produces (created at bootstrap by other means) are not checked.
import { lineOf } from '../tree.js';
import { appliedBeforeOrSame, layerLabel, type Layer } from '../layers.js';
import { kindOf, nameOf } from '../objects.js';
import { syncsFromStore, isStore, storeCredentialRefs, storeOf } from '../refs.js';
import { orderingFix } from '../fix.js';
import type { SecretProducers } from '../producers.js';
import type { Finding } from '../findings.js';

export function storeCredentials(layers: readonly Layer[], producers: SecretProducers): Finding[] {
  const findings: Finding[] = [];
  for (const layer of layers) {
    for (const inst of layer.instances) {
      const store = inst.doc.obj;
      if (!isStore(store)) continue;
      const kind = kindOf(store)!;
      const storeName = nameOf(store);
      const storeWhat = `${kind} ${inst.namespace ? `${inst.namespace}/` : ''}${storeName}`;
      const checked = new Set<string>();
      for (const ref of storeCredentialRefs(store)) {
        const namespace = inst.namespace ?? ref.namespace;
        if (!namespace || checked.has(`${namespace}/${ref.name}`)) continue;
        checked.add(`${namespace}/${ref.name}`);
        const made = producers.of(layer, namespace, ref.name);
        if (made.length === 0) continue;
        const line = lineOf(inst.doc, ref.path);
        const secret = `Secret ${namespace}/${ref.name}`;
        const self = made.find((p) => {
          if (!syncsFromStore(p.inst.doc.obj)) return false;
          const via = storeOf(p.inst.doc.obj);
          return via?.kind === kind && via.name === storeName && (kind === 'ClusterSecretStore' || p.namespace === inst.namespace);
        });
        if (self) {
          findings.push({
            rule: 'store-credential-cycle', severity: 'error', file: inst.doc.file, line,
            message: `${storeWhat} reads its credentials from ${secret}, which ${self.what} (${self.inst.doc.file}:${self.inst.doc.line}) produces through this same store: on a new cluster neither can ever become ready`,
            fix: { text: `produce ${secret} without ${storeWhat}: a SOPS-encrypted Secret, a SealedSecret, or an ExternalSecret of another store applied before it` },
          });
          continue;
        }
        if (made.some((p) => appliedBeforeOrSame(p.layer, layer))) continue;
        const p = made[0]!;
        const producerWhat = p.what;
        findings.push({
          rule: 'store-credential-order', severity: 'error', file: inst.doc.file, line,
          message: `${storeWhat} in ${layerLabel(layer)} reads its credentials from ${secret}, which only ${producerWhat} (${p.inst.doc.file}:${p.inst.doc.line}) produces, in ${layerLabel(p.layer)}, not applied before it`,
          fix: orderingFix(layer, p.layer, producerWhat),
        });
      }
    }
  }
  return findings;
}
