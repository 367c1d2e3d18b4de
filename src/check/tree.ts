// Reads the YAML files of a manifest tree: every document with its file and the line of
// each field, so findings can point at the line to change. Files are read once and cached;
// kustomize overlays may reach files outside the paths given (`../../base`).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { LineCounter, parseAllDocuments, isMap, isNode, isScalar, isSeq, type Document } from 'yaml';
import type { Finding } from './findings.js';

export interface ManifestDoc {
  /** The file as shown in findings. */
  file: string;
  /** The file's absolute path. */
  path: string;
  index: number;
  /** The line where the document's content starts (1-based). */
  line: number;
  obj: Record<string, unknown>;
  doc: Document;
  lineCounter: LineCounter;
}

const YAML_FILE = /\.ya?ml$/i;
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

export function isYamlFile(name: string): boolean {
  return YAML_FILE.test(name);
}

/** The line of the key of the field at `path` (of the item, for a list index), if it is there. */
function fieldLine(d: ManifestDoc, path: readonly (string | number)[]): number | undefined {
  const parent = path.length === 1 ? d.doc.contents : d.doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  let node: unknown;
  if (isMap(parent)) node = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last)?.key;
  else if (isSeq(parent) && typeof last === 'number') node = parent.items[last];
  return isNode(node) && node.range ? d.lineCounter.linePos(node.range[0]).line : undefined;
}

/** The line (1-based) of the field at `path` in the document, or of the nearest field above it that is there. */
export function lineOf(d: ManifestDoc, path: readonly (string | number)[]): number {
  for (let n = path.length; n > 0; n--) {
    const line = fieldLine(d, path.slice(0, n));
    if (line !== undefined) return line;
  }
  return d.line;
}

export class ManifestTree {
  private readonly files = new Map<string, ManifestDoc[]>();
  readonly findings: Finding[] = [];

  /** @param cwd files are shown relative to this directory when they are under it */
  constructor(private readonly cwd: string) {}

  display(path: string): string {
    const rel = relative(this.cwd, path);
    return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  }

  /** The documents of one YAML file (an absolute path); empty when it cannot be read or parsed. */
  load(path: string): ManifestDoc[] {
    const cached = this.files.get(path);
    if (cached) return cached;
    const docs: ManifestDoc[] = [];
    this.files.set(path, docs);
    const file = this.display(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      this.findings.push({ rule: 'unreadable', severity: 'error', file, line: 1, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      return docs;
    }
    const lineCounter = new LineCounter();
    const parsed = parseAllDocuments(text, { lineCounter });
    if (!Array.isArray(parsed)) return docs;
    parsed.forEach((doc, index) => {
      if (doc.errors.length > 0) {
        const err = doc.errors[0]!;
        this.findings.push({ rule: 'unreadable', severity: 'error', file, line: err.linePos?.[0].line ?? 1, message: `not valid YAML: ${err.code}` });
        return;
      }
      let obj: unknown;
      try {
        obj = doc.toJS({ maxAliasCount: 100 });
      } catch (e) {
        this.findings.push({ rule: 'unreadable', severity: 'error', file, line: 1, message: `not valid YAML: ${e instanceof Error ? e.message : String(e)}` });
        return;
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return;
      const start = isNode(doc.contents) && doc.contents.range ? doc.contents.range[0] : 0;
      docs.push({ file, path, index, line: lineCounter.linePos(start).line, obj: obj as Record<string, unknown>, doc, lineCounter });
    });
    return docs;
  }

  /** Every YAML file under a directory (absolute), sorted; hidden and dependency folders are skipped. */
  static yamlFilesUnder(dir: string): string[] {
    const out: string[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) out.push(...ManifestTree.yamlFilesUnder(full));
      } else if (entry.isFile() && isYamlFile(entry.name)) {
        out.push(full);
      }
    }
    return out;
  }

  /** The documents of a path given on the command line: a file, or every YAML file under a directory. */
  loadPath(path: string): ManifestDoc[] {
    if (!existsSync(path)) {
      this.findings.push({ rule: 'unreadable', severity: 'error', file: this.display(path), line: 1, message: 'no such file or directory' });
      return [];
    }
    const files = statSync(path).isDirectory() ? ManifestTree.yamlFilesUnder(path) : [path];
    return files.flatMap((f) => this.load(f));
  }
}
