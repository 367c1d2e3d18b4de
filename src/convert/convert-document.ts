// Converts one YAML document: an ESO object becomes keyferry's (fields keyferry's CRD lacks left
// out, apiVersion changed, comments and order kept), or is refused and written back unchanged;
// anything else passes through byte for byte.
import type { KindSchema } from './crd-schemas.js';
import { classify } from './eso-kinds.js';
import { fieldPath, type ConvertFinding } from './findings.js';
import { forceSyncAnnotations, renameAnnotation } from './force-sync.js';
import { gradeGap } from './field-policy.js';
import { meaningChanges, type MeaningOptions } from './meaning-changes.js';
import { metadataFetchChanges, type FetchesMetadata, type StoreIndex } from './metadata-fetch.js';
import { ruleRefusals } from './schema-rules.js';
import { declaredAt, schemaGaps } from './schema-walk.js';
import { lineOf, type SourceDocument, type YamlSource } from './yaml-source.js';

export interface DocumentResult {
  /** The text to write for this document. */
  text: string;
  findings: ConvertFinding[];
  /** converted; refused (written back unchanged); passed (not an ESO object). */
  status: 'converted' | 'refused' | 'passed';
}

export interface ConvertOptions extends MeaningOptions {
  schemas: Map<string, KindSchema>;
  /** The stores of all inputs, for what an ExternalSecret asks of the store it names. */
  stores?: StoreIndex;
  /** Which provider blocks keyferry reads metadata from; injected by the CLI, which knows the providers. */
  fetchesMetadata?: FetchesMetadata;
}

type Obj = Record<string, unknown>;

/** Converts one document of `source`, shown as `file` in findings. */
export function convertDocument(file: string, source: YamlSource, d: SourceDocument, opts: ConvertOptions): DocumentResult {
  let obj: unknown;
  try {
    obj = d.doc.toJS() as unknown;
  } catch (e) {
    // An alias used before its anchor parses, but has no value.
    return { text: d.text, status: 'refused', findings: [{ severity: 'refused', file, line: d.line, message: `not valid YAML (${(e as Error).message.split('\n')[0]}): not converted` }] };
  }
  const cls = classify(obj);
  if (cls.kind === 'pass') return { text: d.text, findings: [], status: 'passed' };
  const o = obj as Obj;
  const name = (o.metadata as Obj | undefined)?.name;
  const object = `${String(o.kind)} ${typeof name === 'string' ? name : '<no name>'}`;
  const finding = (f: Omit<ConvertFinding, 'file' | 'object'>): ConvertFinding => ({ file, object, ...f });
  if (cls.kind === 'refuse') {
    return { text: d.text, status: 'refused', findings: [finding({ severity: 'refused', line: lineOf(source, d, ['kind']), message: cls.reason })] };
  }
  const target = opts.schemas.get(cls.esoKind);
  if (!target) {
    return { text: d.text, status: 'refused', findings: [finding({ severity: 'refused', line: lineOf(source, d, ['kind']), message: `keyferry's CRDs have no ${cls.esoKind}` })] };
  }

  const findings: ConvertFinding[] = [];
  const providers = declaredAt(target.schema, ['spec', 'provider']);
  const converted = structuredClone(o);
  converted.apiVersion = target.apiVersion;
  const drops: (string | number)[][] = [];
  // Status is the operator's to write (the API server ignores it on create): an exported one never carries over.
  if (converted.status !== undefined) {
    findings.push(finding({ severity: 'note', line: lineOf(source, d, ['status']), field: 'status', message: 'left out: keyferry writes status itself' }));
    drops.push(['status']);
    delete converted.status;
  }
  for (const gap of schemaGaps(converted, target.schema)) {
    const graded = gradeGap(cls.esoKind, gap, providers);
    findings.push(finding({ severity: graded.severity, line: lineOf(source, d, gap.path), field: fieldPath(gap.path), message: graded.message }));
    if (graded.drop) drops.push(gap.path);
  }
  for (const path of drops) deleteAt(converted, path);

  if (opts.alias && (cls.esoKind === 'ExternalSecret' || cls.esoKind === 'ClusterExternalSecret')) {
    const specPath = cls.esoKind === 'ExternalSecret' ? ['spec'] : ['spec', 'externalSecretSpec'];
    // Merge and None write no versions, so there is nothing to keep an alias of (the operator refuses one).
    const policy = getAt(converted, [...specPath, 'target', 'creationPolicy']);
    if (getAt(converted, specPath) !== undefined && policy !== 'Merge' && policy !== 'None') d.doc.setIn([...specPath, 'target', 'versioning', 'alias'], true);
  }
  const changes = meaningChanges(cls.esoKind, converted, opts, findings.some((f) => f.severity === 'refused'));
  if (opts.stores && opts.fetchesMetadata) changes.push(...metadataFetchChanges(cls.esoKind, converted, opts.stores, opts.fetchesMetadata));
  // As kube-apiserver, the CEL rules run only on an object whose fields fit the schema; a patch is
  // part of an object, whose rules are checked where its base is converted.
  if (!findings.some((f) => f.severity === 'refused') && !opts.patch) {
    const said = new Set(changes.filter((c) => c.severity === 'refused').map((c) => fieldPath(c.path)));
    for (const f of ruleRefusals(converted, target.schema)) {
      if (!said.has(fieldPath(f.path))) changes.push({ severity: 'refused', path: f.path, message: `the API server would refuse this: ${f.detail}` });
    }
  }
  const refused = findings.some((f) => f.severity === 'refused') || changes.some((c) => c.severity === 'refused');
  for (const change of changes) {
    if (refused && change.consumers) continue;
    findings.push(finding({ severity: change.severity, line: lineOf(source, d, change.path), field: fieldPath(change.path), message: change.message }));
  }

  const renames: (string | number)[][] = [];
  if (!refused) {
    for (const f of forceSyncAnnotations(cls.esoKind, converted)) {
      findings.push(finding({ severity: f.severity, line: lineOf(source, d, f.path), field: fieldPath(f.path), message: f.message }));
      if (f.rename) renames.push(f.path);
    }
  }

  findings.sort((a, b) => a.line - b.line);
  if (refused) {
    return { text: d.text, status: 'refused', findings };
  }
  let text: string;
  try {
    d.doc.setIn(['apiVersion'], target.apiVersion);
    for (const path of drops) d.doc.deleteIn(path);
    for (const path of renames) renameAnnotation(d.doc, path);
    text = d.doc.toString();
  } catch {
    // A field to leave out reached through a YAML alias, or an anchor that something kept still uses.
    findings.push(finding({ severity: 'refused', line: lineOf(source, d, ['kind']), message: 'the fields to leave out are shared through YAML anchors and aliases: write the aliased parts out in full and convert again' }));
    return { text: d.text, status: 'refused', findings };
  }
  if (!text.endsWith('\n')) text += '\n';
  return { text, findings, status: 'converted' };
}

function getAt(obj: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), obj);
}

function deleteAt(obj: Obj, path: readonly (string | number)[]): void {
  const parent = getAt(obj, path.slice(0, -1));
  if (parent !== null && typeof parent === 'object') delete (parent as Record<string | number, unknown>)[path[path.length - 1]!];
}
