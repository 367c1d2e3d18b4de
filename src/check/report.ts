// How `keyferry check` prints its findings: lines for people, or one JSON document for tools.
import { exitCodeOf, type Finding } from './findings.js';

export type OutputFormat = 'text' | 'json';

export interface JsonReport {
  findings: Finding[];
  errors: number;
  warnings: number;
  exitCode: number;
}

export function jsonReport(findings: readonly Finding[]): JsonReport {
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { findings: [...findings], errors, warnings: findings.length - errors, exitCode: exitCodeOf(findings) };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatReport(findings: readonly Finding[], format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(jsonReport(findings), null, 2)}\n`;
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.file}:${f.line}: ${f.severity} [${f.rule}] ${f.message}`);
    if (f.fix) lines.push(`  fix: ${f.fix.text}`);
  }
  const r = jsonReport(findings);
  lines.push(findings.length === 0 ? 'no problems found' : `${plural(r.errors, 'error')}, ${plural(r.warnings, 'warning')}`);
  return `${lines.join('\n')}\n`;
}
