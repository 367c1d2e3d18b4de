// JSON logs (pino) with redaction: any field that could hold a value or a credential is
// censored wherever it appears, so a careless log call cannot leak one.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'data', '*.data', 'stringData', '*.stringData', 'value', '*.value', 'token', '*.token',
  'password', '*.password', 'secret', '*.secret', 'authorization', '*.authorization', 'headers', '*.headers',
];

export interface LoggerOptions {
  level: string;
  /** Defaults to stdout. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino({
    level: options.level,
    base: { component: 'keyferry' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  // Asynchronous writes: a slow reader of stdout must not stall reconciles.
  }, options.destination ?? pino.destination({ sync: false }));
}
