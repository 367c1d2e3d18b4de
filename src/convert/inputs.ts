// The inputs of `keyferry convert`: files, directories (every *.yaml and *.yml under them) and
// `-` for stdin, each with the name findings show and where its output may go.
import { readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';

export interface InputFile {
  /** Absolute path; undefined for stdin. */
  path?: string;
  /** As shown in findings: relative to the working directory when under it, `<stdin>` for stdin. */
  display: string;
  /** Path relative to the argument it was found under (the file name, for a file argument): its place under --out-dir. */
  relative: string;
}

export type InputProblem = { display: string; message: string };

const YAML = /\.ya?ml$/i;
/** Outputs of an earlier run, which a second run over the same directory must not convert again. */
export const OUTPUT_SUFFIX = /\.keyferry\.ya?ml$/i;
const SKIPPED_DIRS = new Set(['node_modules']);

export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    // Hidden directories (.git, .github, ...) hold no manifests to convert.
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) walk(join(dir, entry.name), out);
    } else if (entry.isFile() && YAML.test(entry.name) && !OUTPUT_SUFFIX.test(entry.name)) {
      out.push(join(dir, entry.name));
    }
  }
}

/** Expands the arguments into files, in order; an argument that cannot be read is a problem, not an exception. */
export function expandInputs(args: readonly string[], cwd: string): { files: InputFile[]; problems: InputProblem[] } {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
  for (const arg of args) {
    if (arg === '-') {
      files.push({ display: '<stdin>', relative: 'stdin.yaml' });
      continue;
    }
    const abs = resolve(cwd, arg);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch (e) {
      problems.push({ display: displayPath(cwd, abs), message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      continue;
    }
    if (!isDir) {
      files.push({ path: abs, display: displayPath(cwd, abs), relative: basename(abs) });
      continue;
    }
    const found: string[] = [];
    try {
      walk(abs, found);
    } catch (e) {
      problems.push({ display: displayPath(cwd, abs), message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      continue;
    }
    for (const f of found) files.push({ path: f, display: displayPath(cwd, f), relative: relative(abs, f) });
  }
  return { files, problems };
}
