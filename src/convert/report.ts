// The report of `keyferry convert`: one line per finding, `file:line: severity: object: field: message`,
// then a summary; or one JSON document for tools. It names fields and objects, never values.
import { exitCodeOf, type ConvertFinding } from './findings.js';

export type ReportFormat = 'text' | 'json';

export interface JsonReport {
  findings: ConvertFinding[];
  converted: number;
  refused: number;
  exitCode: number;
}

export function formatFinding(f: ConvertFinding): string {
  return `${f.file}:${f.line}: ${f.severity}: ${[f.object, f.field, f.message].filter((p) => p !== undefined).join(': ')}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatReport(findings: readonly ConvertFinding[], objects: { converted: number; refused: number }, format: ReportFormat = 'text'): string {
  if (format === 'json') {
    const report: JsonReport = { findings: [...findings], converted: objects.converted, refused: objects.refused, exitCode: exitCodeOf(findings) };
    return `${JSON.stringify(report, null, 2)}\n`;
  }
  const count = (s: ConvertFinding['severity']) => findings.filter((f) => f.severity === s).length;
  const lines = findings.map(formatFinding);
  lines.push(`${plural(objects.converted, 'object')} converted, ${objects.refused} refused; ${plural(count('refused'), 'refusal')}, ${plural(count('warning'), 'warning')}, ${plural(count('note'), 'note')}; exit ${exitCodeOf(findings)}`);
  return `${lines.join('\n')}\n`;
}
