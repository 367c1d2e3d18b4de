// The suggested fix for an ordering problem: a `dependsOn` entry on the consumer's Flux
// Kustomization when adding it makes no cycle, or else moving the producer earlier.
import { lineOf } from './tree.js';
import { layerLabel, type Layer } from './layers.js';
import type { Fix } from './findings.js';

export function orderingFix(consumer: Layer, producer: Layer, producerWhat: string): Fix {
  if (consumer.doc && producer.doc && producer !== consumer && !producer.before.has(consumer)) {
    const dependsOn = producer.namespace === consumer.namespace ? { name: producer.name } : { name: producer.name, namespace: producer.namespace };
    const entry = dependsOn.namespace ? `{name: ${dependsOn.name}, namespace: ${dependsOn.namespace}}` : `{name: ${dependsOn.name}}`;
    const hasDependsOn = consumer.dependsOn.length > 0;
    const line = lineOf(consumer.doc, hasDependsOn ? ['spec', 'dependsOn'] : ['spec']);
    return {
      text: `add ${entry} to spec.dependsOn of ${layerLabel(consumer)} (${consumer.doc.file}:${line})`,
      kustomization: `${consumer.namespace}/${consumer.name}`,
      file: consumer.doc.file,
      line,
      dependsOn,
    };
  }
  return { text: `move ${producerWhat} to ${layerLabel(consumer)} or to a Kustomization it depends on (${layerLabel(producer)} is applied after it)` };
}
