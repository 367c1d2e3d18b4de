// Regular-expression engines for the patterns users write (find.name.regexp, rewrite,
// namespaceRegexes): V8's own RegExp (backtracking; the baseline), re2js (pure JavaScript
// RE2, what keyferry uses) and, when given `--re2-from <folder with node_modules/re2>`, the
// `re2` native bindings (not a dependency: they build RE2 from C++ source at install time).
//
//   node --import tsx bench/user-patterns.ts [--re2-from /path] [--names 10000]
//
// Figures are per operation and as a ratio to V8's RegExp measured in the same run. The
// hostile pattern is the attack of `^(a+)+$` on n `a`s and a `!`: exponential for a
// backtracking engine, linear for RE2.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { RE2JS } from 're2js';
import { numberArg, textArg } from './support/command-line.js';
import { printMarkdownTable } from './support/markdown-table.js';

interface Engine {
  name: string;
  compile(source: string): { test(s: string): boolean; replace(s: string, with_: string): string };
}

const engines: Engine[] = [
  { name: 'V8 RegExp', compile: (p) => { const re = new RegExp(p); const g = new RegExp(p, 'g'); return { test: (s) => re.test(s), replace: (s, w) => s.replace(g, w) }; } },
  { name: 're2js', compile: (p) => { const re = RE2JS.compile(p); return { test: (s) => re.test(s), replace: (s, w) => re.matcher(s).replaceAll(w) }; } },
];
const re2From = textArg('re2-from', '');
if (re2From) {
  const RE2 = createRequire(join(re2From, 'package.json'))('re2') as new (p: string, flags?: string) => { test(s: string): boolean; [Symbol.replace](s: string, w: string): string };
  engines.push({ name: 're2 (bindings)', compile: (p) => { const re = new RE2(p); const g = new RE2(p, 'g'); return { test: (s) => re.test(s), replace: (s, w) => s.replace(g as unknown as RegExp, w) }; } });
}

function timeMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Best of `runs`, after one warm-up, in µs per operation. */
function perOpUs(ops: number, fn: () => void, runs = 5): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) best = Math.min(best, timeMs(fn));
  return (best * 1000) / ops;
}

const n = numberArg('names', 10_000);
const names = Array.from({ length: n }, (_, i) => `${['app', 'db', 'api', 'infra'][i % 4]}/${i % 7 === 0 ? 'prod' : 'dev'}-${i}/credentials`);
const rows: Array<Record<string, string | number>> = [];

/** Measures `run` for every engine; ratios are to V8's figure from this same loop. */
function compare(label: string, ops: number, run: (e: Engine) => void, skip: (e: Engine) => boolean = () => false, runs = 5): void {
  const figures = engines.filter((e) => !skip(e)).map((e) => ({ e, us: perOpUs(ops, () => run(e), e.name === 'V8 RegExp' && runs === 1 ? 1 : runs) }));
  const base = figures.find((f) => f.e.name === 'V8 RegExp')?.us;
  for (const { e, us } of figures) {
    rows.push({ case: label, engine: e.name, 'µs per op': us < 10 ? us.toFixed(3) : us.toFixed(1), 'ratio to V8': base === undefined ? '–' : (us / base).toPrecision(3) });
  }
}

for (const [label, pattern] of [['find.name.regexp', '^(app|api)/prod-[0-9]+/'], ['namespaceRegexes', '^team-(a|b)-prod$']] as const) {
  compare(`${label} test, ${n} names`, n, (e) => { const re = e.compile(pattern); for (const s of names) re.test(s); });
}
compare(`rewrite, ${n} keys`, n, (e) => { const re = e.compile('^(app|db)/'); for (const s of names) re.replace(s, 'x-'); });
const sources = Array.from({ length: 200 }, (_, i) => `^team-${i}-(prod|staging)$`);
compare('compile a pattern', sources.length, (e) => { for (const p of sources) e.compile(p); });
// The attack: V8 doubles per character, so it is measured only up to 24 `a`s, once.
for (const len of [20, 22, 24, 27, 1000]) {
  const input = `${'a'.repeat(len)}!`;
  compare(`^(a+)+$ on ${len} a's and !`, 1, (e) => { e.compile('^(a+)+$').test(input); }, (e) => e.name === 'V8 RegExp' && len > 24, 1);
}

printMarkdownTable(Object.keys(rows[0]!), rows.map((r) => Object.values(r)));
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'user-patterns.json'), JSON.stringify({ node: process.version, rows }, null, 2));
