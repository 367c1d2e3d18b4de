// What `keyferry check` reports: one finding per problem, with where it is and, for an
// ordering problem, the change to the Flux Kustomizations that fixes it.

export type Severity = 'error' | 'warning';

export const RULE_IDS = [
  'unreadable',
  'path-not-found',
  'crd-order',
  'store-credential-cycle',
  'store-credential-order',
  'workload-secret-order',
  'workload-secret-same-layer',
  'substitute-from-order',
  'dependson-cycle',
  'dependson-unknown',
  'plaintext-secret',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

/** A suggested fix. `dependsOn` is set when adding that entry to the named Kustomization fixes it. */
export interface Fix {
  text: string;
  /** The Flux Kustomization to change (`namespace/name`), where it is declared. */
  kustomization?: string;
  file?: string;
  line?: number;
  dependsOn?: { name: string; namespace?: string };
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  file: string;
  line: number;
  message: string;
  fix?: Fix;
}

/** Exit codes for CI: 0 nothing found, 1 warnings only, 2 at least one error. */
export const EXIT_CLEAN = 0;
export const EXIT_WARNINGS = 1;
export const EXIT_ERRORS = 2;

export function exitCodeOf(findings: readonly Finding[]): number {
  if (findings.some((f) => f.severity === 'error')) return EXIT_ERRORS;
  return findings.length > 0 ? EXIT_WARNINGS : EXIT_CLEAN;
}

/** Drops repeats (a file shared by two clusters' layers can give the same finding twice) and sorts by place. */
export function normalizeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of findings) {
    const key = JSON.stringify([f.rule, f.file, f.line, f.message, f.fix ?? null]);
    if (!seen.has(key)) seen.set(key, f);
  }
  return [...seen.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.rule.localeCompare(b.rule)));
}
