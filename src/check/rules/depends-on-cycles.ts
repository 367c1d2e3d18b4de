// Rule dependson-cycle: Flux Kustomizations whose dependsOn entries go round in a circle;
// none of them is ever applied. Each cycle is reported once, at the dependsOn of its first
// member (by name), listing the cycle. A breadth-first search by hand: the graph has a node per
// Kustomization, and none of the project's dependencies offers one.
import { layerLabel, type Layer } from '../layers.js';
import type { Finding } from '../findings.js';

/** The shortest dependsOn path from `start` back to itself, if there is one. */
function cycleFrom(start: Layer): Layer[] | undefined {
  const prev = new Map<Layer, Layer>();
  const queue: Layer[] = [start];
  while (queue.length > 0) {
    const l = queue.shift()!;
    for (const dep of l.dependsOn) {
      const next = dep.layer;
      if (!next) continue;
      if (next === start) {
        const path = [l];
        for (let cur = l; cur !== start;) {
          cur = prev.get(cur)!;
          path.unshift(cur);
        }
        return path;
      }
      if (!prev.has(next) && next !== start) {
        prev.set(next, l);
        queue.push(next);
      }
    }
  }
  return undefined;
}

export function dependsOnCycles(layers: readonly Layer[]): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  const sorted = [...layers].filter((l) => l.doc).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const layer of sorted) {
    const cycle = cycleFrom(layer);
    if (!cycle) continue;
    const key = [...new Set(cycle)].map((l) => `${l.scope}\0${l.namespace}/${l.name}`).sort().join('\n');
    if (reported.has(key)) continue;
    reported.add(key);
    const next = cycle[1] ?? layer;
    const entry = layer.dependsOn.find((d) => d.layer === next)!;
    const names = [...cycle, layer].map((l) => l.name).join(' → ');
    findings.push({
      rule: 'dependson-cycle', severity: 'error', file: layer.doc!.file, line: entry.line,
      message: `dependsOn cycle: ${names}; Flux never applies any of them`,
      fix: { text: `remove one dependsOn entry of the cycle, e.g. ${next.name} from ${layerLabel(layer)}` },
    });
  }
  return findings;
}
