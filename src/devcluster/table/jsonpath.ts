// The subset of kubectl's JSONPath that printer columns use: `.a.b`, `['a.b']`, `[0]`, `[-1]`,
// `[*]`, `..`-free paths and filters such as `[?(@.type=="Ready")]` (==, !=, <, >, <=, >=, or
// bare existence `[?(@.x)]`). Hand-written because no JSONPath package in the dependencies
// speaks Kubernetes' dialect (filters on `@`, optional `{}` braces).

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: string[]; op?: string; value?: unknown };

/** Thrown for a path this evaluator cannot parse. */
export class JsonPathError extends Error {}

function parseLiteral(text: string): unknown {
  const t = text.trim();
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null') return null;
  const n = Number(t);
  if (t !== '' && !Number.isNaN(n)) return n;
  throw new JsonPathError(`unsupported literal ${t}`);
}

function parseFilter(body: string): Step {
  const m = /^@((?:\.[A-Za-z0-9_-]+)*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$/.exec(body.trim());
  if (!m) throw new JsonPathError(`unsupported filter ${body}`);
  const path = m[1].split('.').filter(Boolean);
  return m[2] ? { kind: 'filter', path, op: m[2], value: parseLiteral(m[3]) } : { kind: 'filter', path };
}

export function parseJsonPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === '.') {
      const m = /^\.([A-Za-z0-9_-]+|\*)/.exec(s.slice(i));
      if (!m) throw new JsonPathError(`unexpected text at ${s.slice(i)}`);
      steps.push(m[1] === '*' ? { kind: 'wildcard' } : { kind: 'field', name: m[1] });
      i += m[0].length;
    } else if (s[i] === '[') {
      const end = s.indexOf(']', s.startsWith('[?(', i) ? s.indexOf(')]', i) : i);
      if (end < 0) throw new JsonPathError(`unclosed [ in ${expr}`);
      const inner = s.slice(i + 1, end).trim();
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^(['"]).*\1$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else throw new JsonPathError(`unsupported subscript [${inner}]`);
      i = end + 1;
    } else {
      throw new JsonPathError(`unexpected text at ${s.slice(i)}`);
    }
  }
  return steps;
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    default:
      if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
      return op === '<' ? (a as number) < (b as number) : op === '>' ? (a as number) > (b as number)
        : op === '<=' ? (a as number) <= (b as number) : (a as number) >= (b as number);
  }
}

function childrenOf(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object') return Object.values(v);
  return [];
}

function dig(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path) cur = cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

/** Every value the path selects in `obj` (empty when nothing matches). */
export function evaluateJsonPath(obj: unknown, expr: string | Step[]): unknown[] {
  const steps = typeof expr === 'string' ? parseJsonPath(expr) : expr;
  let current: unknown[] = [obj];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case 'field':
          if (v !== null && typeof v === 'object' && !Array.isArray(v) && (v as Record<string, unknown>)[step.name] !== undefined) {
            next.push((v as Record<string, unknown>)[step.name]);
          }
          break;
        case 'index':
          if (Array.isArray(v)) {
            const at = step.index < 0 ? v.length + step.index : step.index;
            if (at >= 0 && at < v.length) next.push(v[at]);
          }
          break;
        case 'wildcard':
          next.push(...childrenOf(v));
          break;
        case 'filter':
          for (const item of childrenOf(v)) {
            const got = dig(item, step.path);
            if (step.op ? compare(got, step.op, step.value) : got !== undefined && got !== null && got !== false) next.push(item);
          }
          break;
      }
    }
    current = next;
  }
  return current;
}
