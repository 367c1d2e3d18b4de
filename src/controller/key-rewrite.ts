// How a dataFrom source's remote names become Secret keys, as External Secrets Operator does
// it: `rewrite[]` (regexp or transform) in order, or, when a source has no rewrite,
// `conversionStrategy` on the characters a Secret key cannot hold.
import type { TemplateEngine } from '../templates/go-template-engine.js';
import { isTemplateRenderError } from '../templates/template-render-error.js';
import { RemoteDataError } from './remote-data-error.js';
import { SpecError } from './spec-error.js';
import type { DataFromSpec } from './types.js';
import { PatternError, compileUserPattern } from './user-pattern.js';

export type ConversionStrategy = 'Default' | 'Unicode';
type Rewrites = DataFromSpec['rewrite'];

/** A user pattern compiled in RE2; one RE2 refuses is a spec error naming the field. */
export function pattern(source: string, field: string) {
  try {
    return compileUserPattern(source);
  } catch (e) {
    if (e instanceof PatternError) throw new SpecError(`${field}: ${e.message}`);
    throw e;
  }
}

/** The characters a Kubernetes Secret key may hold. */
const KEY_CHAR = /^[-._a-zA-Z0-9]$/;

/**
 * conversionStrategy on one name: Default puts `_` for each character a Secret key cannot
 * hold, Unicode puts `_U` + its code point in (at least 4) lower-case hex digits + `_`
 * (`/` → `_U002f_`), as ESO formats it. ESO also keeps non-ASCII letters and digits, which
 * the API server then refuses in a key; here they are converted like any other character.
 */
export function convertKey(name: string, strategy: ConversionStrategy | undefined, field: string): string {
  const mode = strategy ?? 'Default';
  if (mode !== 'Default' && mode !== 'Unicode') throw new SpecError(`${field}.conversionStrategy: "${String(strategy)}" must be Default or Unicode`);
  let out = '';
  for (const ch of name) {
    if (KEY_CHAR.test(ch)) out += ch;
    else out += mode === 'Default' ? '_' : `_U${ch.codePointAt(0)!.toString(16).padStart(4, '0')}_`;
  }
  return out;
}

/** Renders `rewrite[].transform.template` with `.value` = the key (ESO's data for it). */
export type KeyTransformer = (template: string, key: string, field: string) => Promise<string>;

/** The template's output key: ESO names its template "transform", and so its messages. */
const TRANSFORM = 'transform';

export function keyTransformer(engine: () => TemplateEngine): KeyTransformer {
  return async (template, key, field) => {
    try {
      const out = await engine().render({ templates: { [TRANSFORM]: template }, data: { value: Buffer.from(key, 'utf8') } });
      return (out[TRANSFORM] ?? Buffer.alloc(0)).toString('utf8');
    } catch (e) {
      if (!isTemplateRenderError(e)) throw e;
      // Whatever the template does wrong is the spec's; only a missing or stopped engine may pass by itself.
      if (e.kind === 'MissingKey') throw new SpecError(`${field}: refers to ${JSON.stringify(e.missing)}; a transform has only .value, the key being rewritten`, { cause: e });
      if (e.kind === 'Engine') throw new Error(`${field}: ${e.message}`, { cause: e });
      throw new SpecError(`${field}: ${e.message}`, { cause: e });
    }
  };
}

/** Rewrites one key through `rewrite[]` in order, each taking the previous one's output. */
export async function applyRewrites(key: string, rewrites: Rewrites, field: string, transform: KeyTransformer | undefined): Promise<string> {
  let out = key;
  for (const [i, r] of (rewrites ?? []).entries()) {
    if (r.regexp) out = pattern(r.regexp.source, `${field}.rewrite[${i}].regexp.source`).replaceAll(out, r.regexp.target);
    else if (r.transform) {
      if (!transform) throw new Error(`${field}.rewrite[${i}].transform: no template engine`);
      out = await transform(r.transform.template, out, `${field}.rewrite[${i}].transform.template`);
    }
  }
  return out;
}

/**
 * Checks each rewrite's own text before any provider call: patterns compile, each rewrite
 * sets exactly one method, and each transform parses and reads only .value (rendered once on
 * an empty key; other errors are left to the real keys, which may take other branches).
 */
export async function checkRewrites(rewrites: Rewrites, field: string, transform: KeyTransformer | undefined): Promise<void> {
  for (const [i, r] of (rewrites ?? []).entries()) {
    const at = `${field}.rewrite[${i}]`;
    if ((r.regexp ? 1 : 0) + (r.transform ? 1 : 0) !== 1) throw new SpecError(`${at}: set exactly one of regexp, transform`);
    if (r.regexp) pattern(r.regexp.source, `${at}.regexp.source`);
    if (r.transform && transform) {
      try {
        await transform(r.transform.template, '', `${at}.transform.template`);
      } catch (e) {
        if (e instanceof SpecError && isTemplateRenderError(e.cause) && (e.cause.kind === 'Parse' || e.cause.kind === 'MissingKey')) throw e;
      }
    }
  }
}

/** Adds a converted key to a source's keys; two names converting to one key is an error, as in ESO. */
export function addConverted(out: Map<string, string>, name: string, key: string, field: string): void {
  const earlier = out.get(key);
  if (earlier !== undefined && earlier !== name) {
    throw new RemoteDataError(`${field}.conversionStrategy: remote keys ${JSON.stringify(earlier)} and ${JSON.stringify(name)} both become the Secret key ${JSON.stringify(key)}`);
  }
  out.set(key, name);
}
