// Server-side Tables for `kubectl get`.
export { buildTable, columnsOf } from './build-table.js';
export { evaluateJsonPath, parseJsonPath, JsonPathError } from './jsonpath.js';
export { humanDuration, ageOf } from './human-duration.js';
export type { ComputedColumn } from './builtin-columns.js';
