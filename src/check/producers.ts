// Which layer of each cluster produces a Secret of a given namespace and name.
import type { Instance } from './kustomize.js';
import type { Layer } from './layers.js';
import { producedSecretName } from './refs.js';

export interface Produced {
  inst: Instance;
  layer: Layer;
}

export class SecretProducers {
  private readonly byKey = new Map<string, Produced[]>();

  constructor(layers: readonly Layer[]) {
    for (const layer of layers) {
      for (const inst of layer.instances) {
        const name = producedSecretName(inst.doc.obj);
        if (!name || inst.namespace === undefined) continue;
        const key = `${layer.scope}\0${inst.namespace}/${name}`;
        const list = this.byKey.get(key) ?? [];
        list.push({ inst, layer });
        this.byKey.set(key, list);
      }
    }
  }

  /** What produces Secret `namespace/name` in the cluster of `layer`. */
  of(layer: Layer, namespace: string, name: string): Produced[] {
    return this.byKey.get(`${layer.scope}\0${namespace}/${name}`) ?? [];
  }
}
