// `target.template`: the Secret type, extra metadata, and data rendered as External Secrets
// Operator's engine v2 renders it: Go's text/template with ESO's functions (src/templates).
// engineVersion v1, deprecated in ESO, is refused.
import { SpecError, TemplateSyntaxError } from './spec-error.js';
import type { ExternalSecretSpec } from './types.js';
import type { TemplateEngine } from '../templates/go-template-engine.js';
import { isTemplateRenderError } from '../templates/template-render-error.js';
import { TemplateSourceError, renderTemplateFrom, type TemplateSourceReader } from './template-from.js';

export interface RenderedSecret {
  type: string;
  data: Record<string, Buffer>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export { TemplateSyntaxError } from './spec-error.js';

/** Why the spec's engineVersion cannot be rendered, if it cannot. */
export function engineVersionProblem(spec: ExternalSecretSpec): string | undefined {
  const version: string | undefined = spec.target?.template?.engineVersion;
  if (version === undefined || version === 'v2') return undefined;
  if (version === 'v1') return 'spec.target.template.engineVersion: v1 is not supported (External Secrets Operator deprecated it); use v2, the default: values are strings, toString is not needed, and base64decode/base64encode/fromJSON/toJSON are b64dec/b64enc/fromJson/toJson';
  return `spec.target.template.engineVersion: must be v2 (or unset)`;
}

// `{{ .key }}` with nothing else to evaluate: Go's text/template writes the value of the map
// entry, or fails when there is none. Done here, such templates cost no call into the engine.
const simpleAction = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

function renderSimple(text: string, fetched: Record<string, Buffer>): Buffer | { missing: string } | undefined {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(simpleAction)) {
    const literal = text.slice(last, m.index);
    if (literal.includes('{{')) return undefined;
    const value = Object.hasOwn(fetched, m[1]!) ? fetched[m[1]!] : undefined;
    if (!Buffer.isBuffer(value)) return { missing: m[1]! };
    parts.push(Buffer.from(literal, 'utf8'), value);
    last = m.index! + m[0].length;
  }
  const tail = text.slice(last);
  if (tail.includes('{{')) return undefined;
  parts.push(Buffer.from(tail, 'utf8'));
  return Buffer.concat(parts);
}

const noSources: TemplateSourceReader = async (kind, name) => {
  throw new TemplateSourceError(`${kind} "${name}" cannot be read here`);
};

/** A value Go's text/template would write back unchanged: it has no action. */
export const isTemplated = (text: string): boolean => text.includes('{{');

/** The field of a map of templates, and how a message names one of its keys. */
interface Where { field: string; key: (key: string) => string }
const dataField: Where = { field: 'spec.target.template.data', key: (key) => `spec.target.template.data.${key}` };
const metadataField = (part: 'labels' | 'annotations'): Where => {
  const field = `spec.target.template.metadata.${part}`;
  return { field, key: (key) => `${field}[${JSON.stringify(key.slice(0, 64))}]` };
};
const missingMessage = (where: string, missing: string) => `${where}: refers to ${JSON.stringify(missing)}, which is not among the fetched keys`;

/**
 * Renders each value of a map of templates over the fetched keys, keys as given (ESO's
 * `Values` scope). `{{ .key }}`-only values skip the engine; the rest go in one render.
 */
async function renderValues(templates: Record<string, string>, fetched: Record<string, Buffer>, engine: () => TemplateEngine, where: Where): Promise<Record<string, Buffer>> {
  const out = Object.create(null) as Record<string, Buffer>;
  const forEngine: Record<string, string> = {};
  for (const [key, text] of Object.entries(templates).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const simple = renderSimple(text, fetched);
    if (simple === undefined) forEngine[key] = text;
    else if (Buffer.isBuffer(simple)) out[key] = simple;
    else throw new SpecError(missingMessage(where.key(key), simple.missing));
  }
  if (Object.keys(forEngine).length === 0) return out;
  try {
    Object.assign(out, await engine().render({ templates: forEngine, data: fetched }));
  } catch (e) {
    if (!isTemplateRenderError(e)) throw e;
    if (e.kind === 'MissingKey') throw new SpecError(missingMessage(where.key(e.key!), e.missing!), { cause: e });
    const at = e.key === undefined ? where.field : where.key(e.key);
    if (e.kind === 'Parse') throw new TemplateSyntaxError(`${at}: ${e.message}`, { cause: e });
    throw new Error(`${at}: ${e.message}`, { cause: e });
  }
  return out;
}

const asStrings = (values: Record<string, Buffer>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.toString('utf8')]));

/**
 * Throws a SpecError for what the template's text gets wrong (engineVersion, a parse error, a
 * key the data lacks) and a plain Error for what a function made of the data, or a limit.
 * As ESO's engine v2: templateFrom, then data, then metadata's label and annotation values
 * (their keys as given), all over the same fetched keys.
 */
export async function renderTemplate(spec: ExternalSecretSpec, fetched: Record<string, Buffer>, engine: () => TemplateEngine, readSource: TemplateSourceReader = noSources): Promise<RenderedSecret> {
  const template = spec.target?.template;
  const rendered: RenderedSecret = { type: template?.type ?? 'Opaque', data: fetched, labels: {}, annotations: {} };
  const problem = engineVersionProblem(spec);
  if (problem) throw new SpecError(problem);
  if (!template) return rendered;
  const out = Object.create(null) as Record<string, Buffer>;
  let from: Awaited<ReturnType<typeof renderTemplateFrom>> | undefined;
  // templateFrom first, in order; template.data overrides it, and metadata overrides its labels and annotations (as ESO).
  if (template.templateFrom?.length) {
    from = await renderTemplateFrom(spec, fetched, engine, readSource);
    Object.assign(out, from.data);
  }
  if (template.data) Object.assign(out, await renderValues(template.data, fetched, engine, dataField));
  rendered.labels = { ...from?.labels, ...asStrings(await renderValues(template.metadata?.labels ?? {}, fetched, engine, metadataField('labels'))) };
  rendered.annotations = { ...from?.annotations, ...asStrings(await renderValues(template.metadata?.annotations ?? {}, fetched, engine, metadataField('annotations'))) };
  if (!template.data && !template.templateFrom?.length) return rendered;
  // mergePolicy Merge: the fetched keys are written too, under the rendered ones.
  rendered.data = template.mergePolicy === 'Merge' ? Object.assign(Object.create(null) as Record<string, Buffer>, fetched, out) : out;
  return rendered;
}
