// Label selectors with the grammar, operators (in, notin, =, ==, !=, exists, !, gt `>`, lt `<`)
// and error messages of k8s.io/apimachinery/pkg/labels: a lexer of identifiers and operator
// symbols, and a recursive-descent parser over its tokens. Hand-written: no npm package parses
// Kubernetes selector syntax the way the API server does, and clients match on its messages.
import { badRequest } from '../api-error.js';
import { isQualifiedName, isValidLabelValue } from '../validation/identifiers.js';
import { matchAll, type Matcher } from './matcher.js';

type Token = 'end' | 'error' | ')' | ',' | '!' | '==' | '=' | '>' | 'in' | '<' | '!=' | 'notin' | '(' | 'id';
const KEYWORDS: Record<string, Token> = { ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', in: 'in', '<': '<', '!=': '!=', notin: 'notin', '(': '(' };
const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

function lex(s: string): { tok: Token; lit: string }[] {
  const out: { tok: Token; lit: string }[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && WHITESPACE.has(s[i])) i++;
    if (i >= s.length) { out.push({ tok: 'end', lit: '' }); return out; }
    if (SPECIAL.has(s[i])) {
      // The longest run of symbols that is an operator.
      let buf = '';
      let last: { tok: Token; lit: string } | undefined;
      while (i < s.length && SPECIAL.has(s[i])) {
        buf += s[i];
        const t = KEYWORDS[buf];
        if (t) { last = { tok: t, lit: buf }; i++; } else if (last) break; else i++;
      }
      out.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    let id = '';
    while (i < s.length && !WHITESPACE.has(s[i]) && !SPECIAL.has(s[i])) id += s[i++];
    out.push({ tok: KEYWORDS[id] ?? 'id', lit: id });
  }
}

type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt' | 'exists' | '!';
interface Requirement { key: string; op: Operator; values: string[] }

const BINARY = 'in, notin, =, ==, !=, gt, lt';

class Parser {
  private pos = 0;
  constructor(private readonly items: { tok: Token; lit: string }[]) {}

  /** In a list of values, `in` and `notin` are plain identifiers. */
  private peek(values = true): { tok: Token; lit: string } {
    const it = this.items[Math.min(this.pos, this.items.length - 1)];
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  private next(values = true): { tok: Token; lit: string } {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek();
      if (tok === 'end') return reqs;
      if (tok !== 'id' && tok !== '!') throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`, { cause: e });
      }
      const after = this.next();
      if (after.tok === 'end') return reqs;
      if (after.tok !== ',') throw new Error(`found '${after.lit}', expected: ',' or 'end of string'`);
      const following = this.peek();
      if (following.tok !== 'id' && following.tok !== '!') throw new Error(`found '${following.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let { tok, lit } = this.next();
    let negated = false;
    if (tok === '!') { negated = true; ({ tok, lit } = this.next()); }
    if (tok !== 'id') throw new Error(`found '${lit}', expected: identifier`);
    const keyErrors = isQualifiedName(lit);
    if (keyErrors.length) throw new Error(`<nil>: Invalid value: ${JSON.stringify(lit)}: ${keyErrors.join('; ')}`);
    const key = lit;
    const ahead = this.peek().tok;
    if (ahead === 'end' || ahead === ',') return newRequirement(key, negated ? '!' : 'exists', []);
    if (negated) return newRequirement(key, '!', []);
    const op = this.operator();
    const values = op === 'in' || op === 'notin' ? this.valueList() : this.exactValue();
    return newRequirement(key, op, [...new Set(values)].sort());
  }

  private operator(): Operator {
    const { tok, lit } = this.next(false);
    switch (tok) {
      case 'in': case 'notin': case '=': case '==': case '!=': return tok;
      case '>': return 'gt';
      case '<': return 'lt';
      default: throw new Error(`found '${lit}', expected: ${BINARY}`);
    }
  }

  private valueList(): string[] {
    const open = this.next();
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek();
    if (tok === ')') { this.next(); return ['']; }
    if (tok !== 'id' && tok !== ',') throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
    const values = this.identifiers();
    const close = this.next();
    if (close.tok !== ')') throw new Error(`found '${lit}', expected: ')'`);
    return values;
  }

  private identifiers(): string[] {
    const out: string[] = [];
    for (;;) {
      const { tok, lit } = this.next();
      if (tok === 'id') {
        out.push(lit);
        const after = this.peek();
        if (after.tok === ',') continue;
        if (after.tok === ')') return out;
        throw new Error(`found '${after.lit}', expected: ',' or ')'`);
      }
      if (tok === ',') {
        // `(,`, `,,` and `,)` stand for empty values.
        if (out.length === 0) out.push('');
        const after = this.peek().tok;
        if (after === ')') { out.push(''); return out; }
        if (after === ',') { this.next(); out.push(''); }
        continue;
      }
      throw new Error(`found '${lit}', expected: ',', or identifier`);
    }
  }

  private exactValue(): string[] {
    const ahead = this.peek().tok;
    if (ahead === 'end' || ahead === ',') return [''];
    const { tok, lit } = this.next();
    if (tok === 'id') return [lit];
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/** NewRequirement's checks: values per operator, integers for gt/lt, each value a label value. */
function newRequirement(key: string, op: Operator, values: string[]): Requirement {
  const errors: string[] = [];
  const shown = (v: string[]) => JSON.stringify(v);
  if ((op === 'in' || op === 'notin') && values.length === 0) errors.push(`values: Invalid value: ${shown(values)}: for 'in', 'notin' operators, values set can't be empty`);
  if ((op === '=' || op === '==' || op === '!=') && values.length !== 1) errors.push(`values: Invalid value: ${shown(values)}: exact-match compatibility requires one single value`);
  if (op === 'gt' || op === 'lt') {
    if (values.length !== 1) errors.push(`values: Invalid value: ${shown(values)}: for 'Gt', 'Lt' operators, exactly one value is required`);
    values.forEach((v, i) => { if (!/^[+-]?\d+$/.test(v)) errors.push(`values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`); });
  }
  values.forEach((v, i) => {
    const problems = isValidLabelValue(v);
    if (problems.length) errors.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${problems.join('; ')}`);
  });
  if (errors.length) throw new Error(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
  return { key, op, values };
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.op) {
    case 'exists': return has;
    case '!': return !has;
    case 'in': case '=': case '==': return has && r.values.includes(v!);
    case 'notin': case '!=': return !has || !r.values.includes(v!);
    case 'gt': case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(v!)) return false;
      const have = BigInt(v!);
      const want = BigInt(r.values[0]);
      return r.op === 'gt' ? have > want : have < want;
    }
  }
}

/** Parses `labelSelector`; a 400 with the API server's message when it cannot. */
export function parseLabelSelector(sel: string | null | undefined): Matcher {
  if (!sel) return matchAll;
  let reqs: Requirement[];
  try {
    reqs = new Parser(lex(sel)).parse();
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  if (reqs.length === 0) return matchAll;
  return (obj) => {
    const labels = (obj.metadata?.labels ?? {}) as Record<string, string>;
    return reqs.every((r) => matches(r, labels));
  };
}
