// Every regular expression a user writes (dataFrom.find.name.regexp, dataFrom.rewrite,
// a ClusterSecretStore's namespaceRegexes) is compiled here, with RE2 semantics (re2js):
// matching takes time linear in the input whatever the pattern, so no pattern can stall the
// event loop the way `^(a+)+$` stalls a backtracking engine. RE2 is also what External Secrets
// Operator (Go's regexp) gives these fields. re2js (pure JavaScript) rather than the `re2`
// bindings: the bindings build a C++ library from source at install time where no prebuilt
// binary can be downloaded (over 10 minutes here), and the image would need a compiler.
import { LRUCache } from 'lru-cache';
import { RE2JS } from 're2js';
import { replaceAllGo } from './go-regexp-replace.js';
import type { NameMatcher } from '../../providers/contract/index.js';

export interface UserPattern extends NameMatcher {
  /** Replaces every match as Go's `regexp.ReplaceAllString` does (`$1`, `${1}`, `$name`, `${name}`, `$$`). */
  replaceAll(text: string, replacement: string): string;
}

/** A pattern RE2 does not accept (backreferences, lookaround, bad syntax); says why. */
export class PatternError extends Error {
  override readonly name = 'PatternError';
}

// Patterns are compiled once and reused: namespaceRegexes are checked on every reconcile.
const compiled = new LRUCache<string, UserPattern>({ max: 1000 });

export function compileUserPattern(source: string): UserPattern {
  const hit = compiled.get(source);
  if (hit) return hit;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (error) {
    // re2js names the offending part, e.g. "invalid or unsupported Perl syntax: `(?=`".
    const why = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    throw new PatternError(`RE2 does not accept ${JSON.stringify(source)}: ${why}`);
  }
  const pattern: UserPattern = {
    source,
    test: (text) => re.test(text),
    replaceAll: (text, replacement) => replaceAllGo(re, text, replacement),
  };
  compiled.set(source, pattern);
  return pattern;
}

/**
 * Whether a pattern can only match whole strings: it starts with `^` (or `\A`) and ends with an
 * unescaped `$` (or `\z`). Alternations such as `^a$|b` are not whole-string anchored either.
 */
export function isAnchored(source: string): boolean {
  const starts = source.startsWith('^') || source.startsWith('\\A');
  let ends = false;
  if (source.endsWith('\\z')) ends = !isEscaped(source, source.length - 2);
  else if (source.endsWith('$')) ends = !isEscaped(source, source.length - 1);
  if (!starts || !ends) return false;
  return !hasTopLevelAlternation(source);
}

/** Whether the character at `index` is preceded by an odd number of backslashes. */
function isEscaped(source: string, index: number): boolean {
  let n = 0;
  for (let i = index - 1; i >= 0 && source[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') { i++; continue; }
    if (inClass) { if (c === ']') inClass = false; continue; }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}
