// What one Flux Kustomization (or a kustomize overlay) applies: the documents reached from a
// path, as kustomize builds it. A directory with a kustomization.yaml contributes its
// `resources`, `bases` and `components` (files or directories, read as plain files; remote
// ones are skipped); a directory without one contributes every YAML file under it, as
// kustomize-controller generates a kustomization for it. A `namespace:` set by an overlay
// (or a Flux `targetNamespace`) overrides the namespace of everything beneath it.
// Read by hand rather than by running kustomize: its output keeps no file or line for a finding
// to point at, and the check then needs no kustomize binary in CI.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lineOf, ManifestTree, isYamlFile, type ManifestDoc } from './tree.js';
import { groupOf, str, list, isClusterScoped, type Obj } from './objects.js';

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const REMOTE = /^(https?:|git@|ssh:|git::|github\.com\/|gitlab\.com\/|bitbucket\.org\/)|\?ref=/;

/** One object as a layer applies it. */
export interface Instance {
  doc: ManifestDoc;
  /** The namespace it lands in (`undefined` for cluster-scoped kinds). */
  namespace: string | undefined;
}

export function instanceOf(doc: ManifestDoc, override: string | undefined): Instance {
  const obj: Obj = doc.obj;
  if (isClusterScoped(obj)) return { doc, namespace: undefined };
  return { doc, namespace: override ?? str(obj, 'metadata', 'namespace') ?? 'default' };
}

function kustomizationFile(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
}

function isKustomizeConfig(doc: ManifestDoc): boolean {
  return groupOf(str(doc.obj, 'apiVersion')) === 'kustomize.config.k8s.io';
}

export class KustomizeReader {
  constructor(private readonly tree: ManifestTree) {}

  /** The objects a file or directory (absolute) applies, with `override` as the namespace set from outside. */
  collect(path: string, override: string | undefined, seen = new Set<string>()): Instance[] {
    const key = `${path}\0${override ?? ''}`;
    if (seen.has(key)) return [];
    seen.add(key);
    if (!statSync(path).isDirectory()) {
      return this.tree.load(path).filter((d) => !isKustomizeConfig(d)).map((d) => instanceOf(d, override));
    }
    const kfile = kustomizationFile(path);
    if (!kfile) return this.collectPlain(path, override, seen);
    const out: Instance[] = [];
    for (const k of this.tree.load(kfile)) {
      const ns = override ?? str(k.obj, 'namespace');
      for (const fieldName of ['resources', 'bases', 'components']) {
        list(k.obj, fieldName).forEach((entry, i) => {
          if (typeof entry !== 'string' || REMOTE.test(entry)) return;
          const target = resolve(path, entry);
          if (!existsSync(target)) {
            this.tree.findings.push({ rule: 'path-not-found', severity: 'error', file: k.file, line: lineOf(k, [fieldName, i]), message: `${fieldName} entry "${entry}" does not exist` });
            return;
          }
          out.push(...this.collect(target, ns, seen));
        });
      }
    }
    return out;
  }

  private collectPlain(dir: string, override: string | undefined, seen: Set<string>): Instance[] {
    const out: Instance[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') {
        out.push(...(kustomizationFile(full) ? this.collect(full, override, seen) : this.collectPlain(full, override, seen)));
      } else if (entry.isFile() && isYamlFile(entry.name)) {
        out.push(...this.collect(full, override, seen));
      }
    }
    return out;
  }
}
