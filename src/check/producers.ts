// Which layer of each cluster produces a Secret of a given namespace and name.
import type { Instance } from './kustomize.js';
import type { Layer } from './layers.js';
import { kindOf, nameOf } from './objects.js';
import { clusterExternalSecretTargets, isClusterExternalSecret, producedSecretName } from './refs.js';

export interface Produced {
  inst: Instance;
  layer: Layer;
  /** The namespace the Secret is produced in. */
  namespace: string;
  /** The producer for a message: `ExternalSecret ns/name`, `ClusterExternalSecret name`. */
  what: string;
}

/** `Kind ns/name`, or `Kind name` for a cluster-scoped object. */
export function producerLabel(inst: Instance): string {
  return `${kindOf(inst.doc.obj)} ${inst.namespace ? `${inst.namespace}/` : ''}${nameOf(inst.doc.obj)}`;
}

export class SecretProducers {
  private readonly byKey = new Map<string, Produced[]>();

  constructor(layers: readonly Layer[]) {
    for (const layer of layers) {
      for (const inst of layer.instances) {
        const what = producerLabel(inst);
        if (isClusterExternalSecret(inst.doc.obj)) {
          const targets = clusterExternalSecretTargets(inst.doc.obj);
          for (const namespace of targets?.namespaces ?? []) this.add(layer, { inst, layer, namespace, what }, targets!.name);
          continue;
        }
        const name = producedSecretName(inst.doc.obj);
        if (name && inst.namespace !== undefined) this.add(layer, { inst, layer, namespace: inst.namespace, what }, name);
      }
    }
  }

  private add(layer: Layer, produced: Produced, name: string): void {
    const key = `${layer.scope}\0${produced.namespace}/${name}`;
    const list = this.byKey.get(key) ?? [];
    list.push(produced);
    this.byKey.set(key, list);
  }

  /** What produces Secret `namespace/name` in the cluster of `layer`. */
  of(layer: Layer, namespace: string, name: string): Produced[] {
    return this.byKey.get(`${layer.scope}\0${namespace}/${name}`) ?? [];
  }
}
