// Files that kustomizations among the inputs use as patches. A patch of an ExternalSecret is
// converted with its base (its apiVersion must follow the base's to match it), but it is not an
// ExternalSecret of its own: its consumers are the base's.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import type { InputFile } from './inputs.js';

const KUSTOMIZATION = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

/** Absolute paths of the patch files named by the kustomizations among `files`. */
export function kustomizePatchFiles(files: readonly InputFile[]): Set<string> {
  const patches = new Set<string>();
  for (const f of files) {
    if (f.path === undefined || !KUSTOMIZATION.has(basename(f.path))) continue;
    let k: unknown;
    try {
      k = parse(readFileSync(f.path, 'utf8'));
    } catch {
      // An unreadable kustomization is reported when it is converted as an input of its own.
      continue;
    }
    if (k === null || typeof k !== 'object') continue;
    const { patches: list, patchesStrategicMerge: merges } = k as { patches?: unknown; patchesStrategicMerge?: unknown };
    const named: unknown[] = [
      ...(Array.isArray(list) ? list.map((p) => (p !== null && typeof p === 'object' ? (p as { path?: unknown }).path : undefined)) : []),
      // patchesStrategicMerge entries are file paths or inline patches; an inline one spans lines.
      ...(Array.isArray(merges) ? merges.filter((m) => typeof m === 'string' && !m.includes('\n')) : []),
    ];
    for (const p of named) if (typeof p === 'string') patches.add(resolve(dirname(f.path), p));
  }
  return patches;
}
