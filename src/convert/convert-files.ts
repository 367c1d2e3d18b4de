// Runs a conversion over inputs and decides where each output goes, without writing anything:
// the command writes what this returns, and tests read it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertDocument, type ConvertOptions } from './convert-document.js';
import type { ConvertFinding } from './findings.js';
import { expandInputs, type InputFile } from './inputs.js';
import { kustomizePatchFiles } from './kustomize-patches.js';
import { StoreIndex } from './metadata-fetch.js';
import { parseSource, type YamlSource } from './yaml-source.js';

/** Where converted files go. */
export type OutputMode =
  | { kind: 'sibling' }
  | { kind: 'in-place' }
  | { kind: 'stdout' }
  | { kind: 'out-dir'; dir: string };

export interface Output {
  /** Absolute path to write; undefined for stdout. */
  path?: string;
  text: string;
}

export interface ConvertRunOptions extends ConvertOptions {
  mode: OutputMode;
  cwd: string;
  /** Reads all of stdin (called once, only when `-` is an argument). */
  readStdin: () => string;
}

export interface ConvertRun {
  findings: ConvertFinding[];
  outputs: Output[];
  /** How many ESO objects were converted, and how many refused (written back unchanged). */
  converted: number;
  refused: number;
}

/** `foo.yaml` → `foo.keyferry.yaml`. */
export function siblingPath(path: string): string {
  return path.replace(/(\.ya?ml)?$/i, (ext) => `.keyferry${ext || '.yaml'}`);
}

function read(input: InputFile, opts: ConvertRunOptions): string {
  return input.path === undefined ? opts.readStdin() : readFileSync(input.path, 'utf8');
}

/** Whether the first line that is not blank or a comment is a `---` marker. */
function startsDocument(text: string): boolean {
  return (text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '').startsWith('---');
}

/** Joins documents of several files into one stream, each file starting a new document. */
function joinStreams(texts: string[]): string {
  return texts
    .filter((t) => t.trim() !== '')
    .map((t, i) => (i === 0 || startsDocument(t) ? t : `---\n${t}`))
    .map((t) => (t.endsWith('\n') ? t : `${t}\n`))
    .join('');
}

export function convertPaths(args: readonly string[], opts: ConvertRunOptions): ConvertRun {
  const { files, problems } = expandInputs(args, opts.cwd);
  const findings: ConvertFinding[] = problems.map((p) => ({ severity: 'refused', file: p.display, line: 1, message: p.message }));
  const outputs: Output[] = [];
  const toStdout: string[] = [];
  const written = new Set<string>();
  const patches = kustomizePatchFiles(files);
  let converted = 0;
  let refused = 0;
  // All inputs are read first: an ExternalSecret's store may be in a later file. A file that
  // cannot be read or parsed keeps its findings in its place of the report.
  const sources: Array<{ input: InputFile; source?: YamlSource; failed: ConvertFinding[] }> = [];
  for (const input of files) {
    let text: string;
    try {
      text = read(input, opts);
    } catch (e) {
      sources.push({ input, failed: [{ severity: 'refused', file: input.display, line: 1, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }] });
      continue;
    }
    const source = parseSource(text);
    if (source.errors.length > 0) {
      sources.push({ input, failed: source.errors.map((e) => ({ severity: 'refused', file: input.display, line: e.line, message: `not valid YAML (${e.message}): file not converted` })) });
      continue;
    }
    sources.push({ input, source, failed: [] });
  }
  const stores = new StoreIndex();
  for (const { source } of sources) {
    for (const d of source?.documents ?? []) {
      try {
        stores.add(d.doc.toJS());
      } catch {
        // Reported when the document itself is converted.
      }
    }
  }
  for (const { input, source, failed } of sources) {
    findings.push(...failed);
    if (!source) continue;
    const patch = input.path !== undefined && patches.has(input.path);
    const results = source.documents.map((d) => convertDocument(input.display, source, d, { ...opts, patch, stores }));
    findings.push(...results.flatMap((r) => r.findings));
    const count = results.filter((r) => r.status === 'converted').length;
    converted += count;
    refused += results.filter((r) => r.status === 'refused').length;
    const out = results.map((r) => r.text).join('');
    if (input.path === undefined || opts.mode.kind === 'stdout') {
      toStdout.push(out);
      continue;
    }
    let path: string | undefined;
    if (opts.mode.kind === 'out-dir') path = join(opts.mode.dir, input.relative);
    else if (count > 0) path = opts.mode.kind === 'in-place' ? input.path : siblingPath(input.path);
    if (path === undefined) continue;
    if (written.has(path)) {
      findings.push({ severity: 'refused', file: input.display, line: 1, message: `another input is written to the same output (${input.relative}): not written` });
      continue;
    }
    written.add(path);
    outputs.push({ path, text: out });
  }
  if (toStdout.length > 0) outputs.push({ text: joinStreams(toStdout) });
  return { findings, outputs, converted, refused };
}
