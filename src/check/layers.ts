// The layers of a Flux tree: each Flux Kustomization applies the objects under its `path`,
// after the Kustomizations it `dependsOn` and after the Kustomization that applies it (its
// parent). A layer is "applied before" another when one of those edges, followed any number of
// times, leads from the later to the earlier. `dependsOn` names are resolved among the
// Kustomizations of the same cluster: those applied by the same root Kustomization, or, for
// Kustomizations that nothing in the tree applies, those declared in the same directory.
// A tree without Flux Kustomizations is one layer per path given.
import { dirname, resolve, sep } from 'node:path';
import { statSync } from 'node:fs';
import { lineOf, type ManifestDoc, type ManifestTree } from './tree.js';
import { KustomizeReader, instanceOf, type Instance } from './kustomize.js';
import { isFluxKustomization, list, nameOf, str } from './objects.js';
import type { Finding } from './findings.js';

export interface DependsOnEntry {
  name: string;
  namespace: string;
  line: number;
  layer?: Layer;
}

export interface Layer {
  name: string;
  namespace: string;
  /** Which cluster it belongs to; layers of different scopes are never ordered. */
  scope: string;
  /** The Flux Kustomization; absent for a tree without any. */
  doc?: ManifestDoc;
  parent?: Layer;
  instances: Instance[];
  dependsOn: DependsOnEntry[];
  /** Every layer applied before this one. */
  before: Set<Layer>;
  /** Its source is another repository: what it applies was not read. */
  unread?: boolean;
}

export function layerLabel(layer: Layer): string {
  return layer.doc ? `Kustomization ${layer.namespace}/${layer.name}` : `the tree at ${layer.scope}`;
}

export interface LayerOptions {
  /** Names of the GitRepository/OCIRepository/Bucket sources that are this tree. */
  sources: ReadonlySet<string>;
}

export interface Layers {
  layers: Layer[];
  findings: Finding[];
}

function rootOf(roots: readonly string[], file: string): string {
  const dirs = roots.map((r) => (statSync(r).isDirectory() ? r : dirname(r)));
  const under = dirs.filter((d) => file === d || file.startsWith(d.endsWith(sep) ? d : d + sep)).sort((a, b) => b.length - a.length);
  return under[0] ?? dirname(file);
}

export function buildLayers(tree: ManifestTree, roots: readonly string[], docs: readonly ManifestDoc[], options: LayerOptions): Layers {
  const reader = new KustomizeReader(tree);
  const findings: Finding[] = [];
  const fluxDocs = docs.filter((d) => isFluxKustomization(d.obj));
  const layers: Layer[] = [];

  if (fluxDocs.length === 0) {
    for (const root of roots) {
      try {
        statSync(root);
      } catch {
        continue;
      }
      layers.push({ name: '', namespace: '', scope: tree.display(root), instances: reader.collect(root, undefined), dependsOn: [], before: new Set() });
    }
    return { layers, findings };
  }

  const contents = new Map<ManifestDoc, Instance[]>();
  const unread = new Set<ManifestDoc>();
  for (const fd of fluxDocs) {
    const source = str(fd.obj, 'spec', 'sourceRef', 'name');
    if (source !== undefined && !options.sources.has(source)) {
      contents.set(fd, []);
      unread.add(fd);
      continue;
    }
    const root = rootOf(roots, fd.path);
    const rel = str(fd.obj, 'spec', 'path') ?? './';
    // Flux reads the path relative to the source's root, with or without a leading slash.
    const target = resolve(root, `./${rel.replace(/^\/+/, '')}`);
    let exists = true;
    try {
      statSync(target);
    } catch {
      exists = false;
    }
    if (!exists) {
      findings.push({ rule: 'path-not-found', severity: 'error', file: fd.file, line: lineOf(fd, ['spec', 'path']), message: `Kustomization ${nameOf(fd.obj)}: path "${rel}" does not exist under ${tree.display(root)} (paths are read relative to the PATH given)` });
      contents.set(fd, []);
      continue;
    }
    contents.set(fd, reader.collect(target, str(fd.obj, 'spec', 'targetNamespace')));
  }

  const included = new Set<ManifestDoc>();
  for (const [fd, instances] of contents) for (const inst of instances) if (inst.doc !== fd && isFluxKustomization(inst.doc.obj)) included.add(inst.doc);

  const build = (fd: ManifestDoc, inst: Instance, parent: Layer | undefined, scope: string): void => {
    const namespace = inst.namespace ?? 'default';
    const layer: Layer = { name: nameOf(fd.obj), namespace, scope, doc: fd, parent, instances: contents.get(fd) ?? [], dependsOn: [], before: new Set(), ...(unread.has(fd) ? { unread: true } : {}) };
    list(fd.obj, 'spec', 'dependsOn').forEach((entry, i) => {
      const name = str(entry, 'name');
      if (name) layer.dependsOn.push({ name, namespace: str(entry, 'namespace') ?? namespace, line: lineOf(fd, ['spec', 'dependsOn', i]) });
    });
    layers.push(layer);
    const ancestors = new Set<ManifestDoc>();
    for (let l: Layer | undefined = layer; l; l = l.parent) if (l.doc) ancestors.add(l.doc);
    for (const child of layer.instances) {
      if (isFluxKustomization(child.doc.obj) && !ancestors.has(child.doc)) build(child.doc, child, layer, scope);
    }
  };
  for (const fd of fluxDocs) if (!included.has(fd)) build(fd, instanceOf(fd, undefined), undefined, dirname(fd.file));

  resolveDependsOn(layers, findings);
  for (const layer of layers) layer.before = applyBefore(layer);
  return { layers, findings };
}

function resolveDependsOn(layers: Layer[], findings: Finding[]): void {
  const byKey = new Map<string, Layer>();
  for (const l of layers) {
    const key = `${l.scope}\0${l.namespace}/${l.name}`;
    if (!byKey.has(key)) byKey.set(key, l);
  }
  for (const l of layers) {
    for (const dep of l.dependsOn) {
      dep.layer = byKey.get(`${l.scope}\0${dep.namespace}/${dep.name}`);
      if (!dep.layer) {
        findings.push({
          rule: 'dependson-unknown', severity: 'error', file: l.doc!.file, line: dep.line,
          message: `${layerLabel(l)} depends on Kustomization ${dep.namespace}/${dep.name}, which is not in the tree; Flux waits for it forever`,
          fix: { text: `remove the entry or add Kustomization ${dep.namespace}/${dep.name}` },
        });
      }
    }
  }
}

function applyBefore(layer: Layer): Set<Layer> {
  const out = new Set<Layer>();
  const stack: Layer[] = [layer];
  while (stack.length > 0) {
    const l = stack.pop()!;
    const next = [...l.dependsOn.map((d) => d.layer), l.parent];
    for (const n of next) if (n && !out.has(n)) { out.add(n); stack.push(n); }
  }
  return out;
}

/** Whether `producer` is applied before `consumer` or is the same layer. */
export function appliedBeforeOrSame(producer: Layer, consumer: Layer): boolean {
  return producer === consumer || consumer.before.has(producer);
}
