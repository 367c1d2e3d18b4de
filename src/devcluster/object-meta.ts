// Small pure helpers on object metadata: timestamps, generated names, equality, generation.
import { randomBytes } from 'node:crypto';
import type { KubeObject } from './resource-type.js';

export type Meta = Record<string, unknown> & {
  name?: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number;
  generateName?: string; creationTimestamp?: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[];
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
};

export function meta(obj: KubeObject): Meta {
  return (obj.metadata ??= {}) as Meta;
}

/** RFC 3339 with second precision, as Kubernetes serialises metav1.Time. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** The 5-character random suffix of `generateName`, from Kubernetes' alphabet. */
export function nameSuffix(): string {
  const bytes = randomBytes(5);
  let s = '';
  for (const b of bytes) s += SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length];
  return s;
}

/** Structural equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** True when anything outside metadata (and outside status, for kinds with a status subresource) differs. */
export function specChanged(a: KubeObject, b: KubeObject, hasStatus: boolean): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind' || (hasStatus && k === 'status')) continue;
    if (!deepEqual(a[k], b[k])) return true;
  }
  return false;
}
