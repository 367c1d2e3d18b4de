// Rules dependson-unknown and dependson-cycle for Flux HelmReleases: helm-controller installs a
// HelmRelease only once every HelmRelease in its `spec.dependsOn` is Ready, so an entry naming
// one that nothing in the tree applies, or entries that go round in a circle, keep it (and what
// it installs) from ever coming up. Names resolve among the HelmReleases of the same cluster,
// in the HelmRelease's own namespace unless the entry names one.
import { lineOf } from '../tree.js';
import { type Layer } from '../layers.js';
import type { Instance } from '../kustomize.js';
import { is, list, nameOf, str, FLUX_HELM_GROUP } from '../objects.js';
import type { Finding } from '../findings.js';

interface Release {
  key: string;
  label: string;
  inst: Instance;
  deps: { key: string; label: string; line: number; release?: Release }[];
}

function releasesOf(layers: readonly Layer[]): Release[] {
  const byKey = new Map<string, Release>();
  for (const layer of layers) {
    for (const inst of layer.instances) {
      if (!is(inst.doc.obj, FLUX_HELM_GROUP, 'HelmRelease') || inst.namespace === undefined) continue;
      const label = `${inst.namespace}/${nameOf(inst.doc.obj)}`;
      const key = `${layer.scope}\0${label}`;
      if (byKey.has(key)) continue;
      const deps = list(inst.doc.obj, 'spec', 'dependsOn').flatMap((entry, i) => {
        const name = str(entry, 'name');
        if (!name) return [];
        const depLabel = `${str(entry, 'namespace') ?? inst.namespace}/${name}`;
        return [{ key: `${layer.scope}\0${depLabel}`, label: depLabel, line: lineOf(inst.doc, ['spec', 'dependsOn', i]) }];
      });
      byKey.set(key, { key, label, inst, deps });
    }
  }
  for (const r of byKey.values()) for (const d of r.deps) d.release = byKey.get(d.key);
  return [...byKey.values()];
}

/** The shortest dependsOn path from `start` back to itself, if there is one. */
function cycleFrom(start: Release): Release[] | undefined {
  const prev = new Map<Release, Release>();
  const queue: Release[] = [start];
  while (queue.length > 0) {
    const r = queue.shift()!;
    for (const { release: next } of r.deps) {
      if (!next) continue;
      if (next === start) {
        const path = [r];
        for (let cur = r; cur !== start;) path.unshift((cur = prev.get(cur)!));
        return path;
      }
      if (!prev.has(next)) {
        prev.set(next, r);
        queue.push(next);
      }
    }
  }
  return undefined;
}

export function helmReleaseDependsOn(layers: readonly Layer[]): Finding[] {
  const findings: Finding[] = [];
  // A HelmRelease applied from another repository was not read: a name not found may be there.
  const unreadScopes = new Set(layers.filter((l) => l.unread).map((l) => l.scope));
  const releases = releasesOf(layers).sort((a, b) => a.label.localeCompare(b.label));
  for (const r of releases) {
    const scope = r.key.slice(0, r.key.indexOf('\0'));
    for (const d of r.deps) {
      if (d.release || unreadScopes.has(scope)) continue;
      findings.push({
        rule: 'dependson-unknown', severity: 'error', file: r.inst.doc.file, line: d.line,
        message: `HelmRelease ${r.label} depends on HelmRelease ${d.label}, which is not in the tree; helm-controller waits for it forever`,
        fix: { text: `remove the entry or add HelmRelease ${d.label}` },
      });
    }
  }
  const reported = new Set<string>();
  for (const r of releases) {
    const cycle = cycleFrom(r);
    if (!cycle) continue;
    const key = [...new Set(cycle)].map((c) => c.key).sort().join('\n');
    if (reported.has(key)) continue;
    reported.add(key);
    const next = cycle[1] ?? r;
    const entry = r.deps.find((d) => d.release === next)!;
    findings.push({
      rule: 'dependson-cycle', severity: 'error', file: r.inst.doc.file, line: entry.line,
      message: `dependsOn cycle of HelmReleases: ${[...cycle, r].map((c) => c.label).join(' → ')}; helm-controller installs none of them`,
      fix: { text: `remove one dependsOn entry of the cycle, e.g. ${next.label} from HelmRelease ${r.label}` },
    });
  }
  return findings;
}
