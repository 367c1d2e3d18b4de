// keyferry's API: generated types of the CRDs, names and keys, and duration parsing.
export type * from './generated/index.js';
export * from './constants.js';
export { parseDuration, isDuration, InvalidDurationError, DURATION_PATTERN } from './duration.js';
