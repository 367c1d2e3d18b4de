// The metric names a PromQL expression reads, for checking queries against what the
// operator really exports. A small scanner, not a parser: strings, label matchers, ranges
// and label lists (by/without/on/ignoring/group_*) are blanked out, then every identifier
// that is not a function call or a keyword is a metric name. Grafana's `label_values(m, l)`
// (a variable query, not PromQL) yields `m`.
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'Inf', 'NaN']);

export function metricNames(expr: string): string[] {
  const labelValues = /^\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(expr);
  if (labelValues) return [labelValues[1]!];
  const blanked = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ');
  const names = new Set<string>();
  for (const m of blanked.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?=\s*(\(?))/g)) {
    if (m[2] === '(' || KEYWORDS.has(m[1]!)) continue;
    names.add(m[1]!);
  }
  return [...names];
}

/** `expr` with every read of `name` renamed to `replacement` (for misspelling on purpose). */
export function renameMetric(expr: string, name: string, replacement: string): string {
  return expr.replace(new RegExp(`(?<![\\w.$"])${name}(?![\\w"])`, 'g'), replacement);
}
