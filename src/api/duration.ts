// Go-style durations (`30s`, `1h30m`, `1.5h`, `0`), the syntax of refreshInterval,
// minRetention and maxAge. Written by hand because the grammar is tiny and must be
// exactly the one the CRDs' CEL rules accept (DURATION_PATTERN mirrors that rule).

/** The language the CRDs accept: the same regular expression as their CEL rules. */
export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$/u;

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign, as Go writes it
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const SEGMENT = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/uy;

export class InvalidDurationError extends Error {
  override readonly name = 'InvalidDurationError';
  constructor(readonly text: string) {
    super(`invalid duration ${JSON.stringify(text)}: expected a Go duration such as 30s, 15m, 1h or 1h30m, or 0`);
  }
}

/** Parses a Go duration into milliseconds; throws InvalidDurationError on anything else. */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw new InvalidDurationError(String(text));
  if (text === '0') return 0;
  if (text === '') throw new InvalidDurationError(text);
  let total = 0;
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < text.length) {
    const match = SEGMENT.exec(text);
    if (match === null) throw new InvalidDurationError(text);
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  if (!Number.isFinite(total)) throw new InvalidDurationError(text);
  return total;
}

/** Whether `text` is a duration the CRDs accept. */
export function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}
