// `target.template.templateFrom`, as External Secrets Operator applies it: each entry's
// templates (the values of listed keys of a ConfigMap or Secret of the ExternalSecret's own
// namespace, or a literal) are rendered over the fetched keys, in order, into the target's data,
// labels or annotations. `Values` puts one rendered text under the item's key; `KeysAndValues`
// (and a literal) reads the rendered text as a YAML map of strings, one entry per key.
import { parse } from 'yaml';
import type { TemplateEngine } from '../templates/go-template-engine.js';
import { isTemplateRenderError } from '../templates/template-render-error.js';
import { SpecError, TemplateSyntaxError } from './spec-error.js';
import type { ExternalSecretSpec } from './types.js';

/** A ConfigMap or Secret read by name in the ExternalSecret's namespace: its data, or undefined when it does not exist. */
export type TemplateSourceReader = (kind: 'ConfigMap' | 'Secret', name: string) => Promise<Record<string, Buffer> | undefined>;

/**
 * A template source that cannot be used now: missing, missing a key, unreadable, or holding a
 * template that fails. It can be fixed without touching the ExternalSecret, so it is retried
 * with backoff while the last good version keeps serving.
 */
export class TemplateSourceError extends Error {
  override readonly name = 'TemplateSourceError';
}

export const isTemplateSourceError = (e: unknown): e is TemplateSourceError => e instanceof TemplateSourceError;

export interface TemplateFromOutput {
  data: Record<string, Buffer>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

type Entry = NonNullable<NonNullable<NonNullable<ExternalSecretSpec['target']>['template']>['templateFrom']>[number];

/** The YAML map of strings a KeysAndValues text renders to; the parser's own words are left out, since they may quote a value. */
function keysAndValues(text: string, where: string, fail: (message: string) => Error): Array<[string, string]> {
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch {
    throw fail(`${where}: the rendered text is not YAML (KeysAndValues needs a map of strings)`);
  }
  if (parsed === null || parsed === undefined) return [];
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw fail(`${where}: the rendered text is not a YAML map (KeysAndValues needs a map of strings)`);
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    // As ESO, which reads the map into strings: null is empty, anything but a string is refused.
    if (v === null) out.push([k, '']);
    else if (typeof v === 'string') out.push([k, v]);
    else throw fail(`${where}: the value of ${JSON.stringify(k)} is not a string (KeysAndValues needs a map of strings; quote it)`);
  }
  return out;
}

/** Renders every templateFrom entry in order; later entries override earlier ones. */
export async function renderTemplateFrom(spec: ExternalSecretSpec, fetched: Record<string, Buffer>, engine: () => TemplateEngine, read: TemplateSourceReader): Promise<TemplateFromOutput> {
  const out: TemplateFromOutput = { data: Object.create(null) as Record<string, Buffer>, labels: {}, annotations: {} };
  const entries: Entry[] = spec.target?.template?.templateFrom ?? [];
  for (const [i, entry] of entries.entries()) {
    const field = `spec.target.template.templateFrom[${i}]`;
    const target = entry.target ?? 'Data';
    const put = (key: string, value: Buffer) => {
      if (target === 'Data') out.data[key] = value;
      else (target === 'Labels' ? out.labels : out.annotations)[key] = value.toString('utf8');
    };
    // A literal is the spec's own text: what is wrong with it is InvalidSpec. A ConfigMap or
    // Secret can change without the spec: what is wrong there is retried.
    const fromSpec = entry.literal !== undefined;
    const fail = (message: string): Error => (fromSpec ? new SpecError(message) : new TemplateSourceError(message));
    const render = async (text: string, where: string): Promise<Buffer> => {
      try {
        const rendered = await engine().render({ templates: { template: text }, data: fetched });
        return rendered.template ?? Buffer.alloc(0);
      } catch (e) {
        if (!isTemplateRenderError(e) || e.kind === 'Engine') throw e;
        const message = e.kind === 'MissingKey' ? `refers to ${JSON.stringify(e.missing)}, which is not among the fetched keys` : e.message;
        // A literal that does not parse is the spec's, whatever the store returns.
        if (fromSpec && e.kind === 'Parse') throw new TemplateSyntaxError(`${where}: ${message}`);
        throw fail(`${where}: ${message}`);
      }
    };

    if (entry.literal !== undefined) {
      for (const [k, v] of keysAndValues((await render(entry.literal, `${field}.literal`)).toString('utf8'), `${field}.literal`, fail)) put(k, Buffer.from(v, 'utf8'));
      continue;
    }
    const kind = entry.configMap ? 'ConfigMap' : entry.secret ? 'Secret' : undefined;
    const ref = entry.configMap ?? entry.secret;
    if (!kind || !ref) throw new SpecError(`${field}: set exactly one of configMap, secret, literal`);
    const at = `${field}.${kind === 'ConfigMap' ? 'configMap' : 'secret'}`;
    const data = await read(kind, ref.name);
    if (!data) throw new TemplateSourceError(`${at}: ${kind} "${ref.name}" not found in the ExternalSecret's namespace`);
    for (const [j, item] of (ref.items ?? []).entries()) {
      const where = `${at}.items[${j}]`;
      const text = Object.hasOwn(data, item.key) ? data[item.key] : undefined;
      if (text === undefined) throw new TemplateSourceError(`${where}: ${kind} "${ref.name}" has no key ${JSON.stringify(item.key)}`);
      const rendered = await render(text.toString('utf8'), `${where} (${kind} "${ref.name}" key ${JSON.stringify(item.key)})`);
      if ((item.templateAs ?? 'Values') === 'Values') put(item.key, rendered);
      else for (const [k, v] of keysAndValues(rendered.toString('utf8'), where, fail)) put(k, Buffer.from(v, 'utf8'));
    }
  }
  return out;
}
