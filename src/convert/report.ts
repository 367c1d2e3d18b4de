// The report of `keyferry convert`: one line per finding, `file:line: severity: object: field: message`,
// then a summary. It names fields and objects, never values.
import { exitCodeOf, type ConvertFinding } from './findings.js';

export function formatFinding(f: ConvertFinding): string {
  return `${f.file}:${f.line}: ${f.severity}: ${[f.object, f.field, f.message].filter((p) => p !== undefined).join(': ')}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatReport(findings: readonly ConvertFinding[], objects: { converted: number; refused: number }): string {
  const count = (s: ConvertFinding['severity']) => findings.filter((f) => f.severity === s).length;
  const lines = findings.map(formatFinding);
  lines.push(`${plural(objects.converted, 'object')} converted, ${objects.refused} refused; ${plural(count('refused'), 'refusal')}, ${plural(count('warning'), 'warning')}, ${plural(count('note'), 'note')}; exit ${exitCodeOf(findings)}`);
  return `${lines.join('\n')}\n`;
}
