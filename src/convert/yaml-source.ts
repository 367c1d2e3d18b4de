// One YAML input split into its documents, each with its exact source text (so documents that
// are not converted are written back byte for byte) and a way to find a field's line.
import { Composer, LineCounter, Parser, isMap, isNode, isScalar, isSeq, type Document } from 'yaml';

export interface SourceDocument {
  doc: Document;
  /** The document's text in the source, with its `---` marker and surrounding comments. */
  text: string;
  /** 1-based line where the document's content starts. */
  line: number;
}

export interface YamlSource {
  documents: SourceDocument[];
  lineCounter: LineCounter;
  /** Parse errors as `line: message`; a source with any is not converted. */
  errors: { line: number; message: string }[];
}

export function parseSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const starts = tokens.filter((t) => t.type === 'document').map((t) => t.offset);
  const docs = [...new Composer().compose(tokens)];
  const errors: YamlSource['errors'] = [];
  const documents = docs.map((doc, i) => {
    for (const e of doc.errors) errors.push({ line: lineCounter.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! });
    // The first document also owns anything before it (comments, directives).
    const from = i === 0 ? 0 : starts[i]!;
    const to = i + 1 < starts.length ? starts[i + 1]! : text.length;
    const at = doc.contents?.range?.[0] ?? starts[i] ?? 0;
    return { doc, text: text.slice(from, to), line: lineCounter.linePos(at).line };
  });
  return { documents, lineCounter, errors };
}

/** The line of the key of the field at `path` (of the item, for a list index), or undefined when absent. */
function exactLine(doc: Document, lineCounter: LineCounter, path: readonly (string | number)[]): number | undefined {
  if (path.length === 0) return undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  let node: unknown;
  if (isMap(parent)) node = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last)?.key;
  else if (isSeq(parent) && typeof last === 'number') node = parent.items[last];
  return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
}

/** The line of the field at `path`, or of the nearest enclosing field that is in the source. */
export function lineOf(source: YamlSource, d: SourceDocument, path: readonly (string | number)[]): number {
  for (let n = path.length; n > 0; n--) {
    const line = exactLine(d.doc, source.lineCounter, path.slice(0, n));
    if (line !== undefined) return line;
  }
  return d.line;
}
