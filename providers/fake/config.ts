// The `fake` provider's store block: static data held in the store spec, for demos and tests.
import type { ConfigIssue } from '../contract/index.js';

export interface FakeDataEntry {
  key: string;
  value: string;
  /** Version id of this entry; a ref without a version reads the last entry for its key. */
  version?: string;
}

export interface FakeConfig {
  data: FakeDataEntry[];
}

const base = 'spec.provider.fake';

/** Checks the shape of `spec.provider.fake`; returns one issue per wrong field. */
export function validateFakeConfig(config: unknown): ConfigIssue[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return [{ field: base, message: 'must be an object' }];
  }
  const data = (config as Record<string, unknown>).data;
  if (data === undefined) return [];
  if (!Array.isArray(data)) return [{ field: `${base}.data`, message: 'must be a list' }];
  const issues: ConfigIssue[] = [];
  data.forEach((entry: unknown, i) => {
    const at = `${base}.data[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push({ field: at, message: 'must be an object with key and value' });
      return;
    }
    const e = entry as Record<string, unknown>;
    if (typeof e.key !== 'string' || e.key === '') issues.push({ field: `${at}.key`, message: 'is required and must be a non-empty string' });
    if (typeof e.value !== 'string') issues.push({ field: `${at}.value`, message: 'is required and must be a string' });
    if (e.version !== undefined && (typeof e.version !== 'string' || e.version === '')) {
      issues.push({ field: `${at}.version`, message: 'must be a non-empty string when set' });
    }
  });
  return issues;
}

/** Normalises a validated config (a missing `data` is an empty store). */
export function toFakeConfig(config: unknown): FakeConfig {
  const data = (config as { data?: FakeDataEntry[] } | undefined)?.data ?? [];
  return { data: data.map((e) => ({ key: e.key, value: e.value, version: e.version })) };
}
