// What `keyferry convert` reports: one finding per field that did not carry over or changed
// meaning, with the source file and line. Severity decides the exit code.

/** `note`: nothing to do; `warning`: converted, check it; `refused`: the object was not converted. */
export type Severity = 'note' | 'warning' | 'refused';

export interface ConvertFinding {
  severity: Severity;
  /** The input as shown to the user (relative to the working directory, or `<stdin>`). */
  file: string;
  /** 1-based line of the field in the source. */
  line: number;
  /** `Kind name` of the object, when the finding is about one. */
  object?: string;
  /** Dotted field path, when the finding is about one field. */
  field?: string;
  message: string;
}

export const EXIT_CLEAN = 0;
export const EXIT_WARNINGS = 1;
export const EXIT_REFUSED = 2;

export function exitCodeOf(findings: readonly ConvertFinding[]): number {
  if (findings.some((f) => f.severity === 'refused')) return EXIT_REFUSED;
  if (findings.some((f) => f.severity === 'warning')) return EXIT_WARNINGS;
  return EXIT_CLEAN;
}

/** `spec.data[0].remoteRef.key` from `['spec', 'data', 0, 'remoteRef', 'key']`. */
export function fieldPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${p}`)).join('');
}
