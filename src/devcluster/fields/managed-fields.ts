// metadata.managedFields, kept as kube-apiserver keeps them. An update (create, replace, patch)
// gives its manager the fields it changed and takes them from every other manager; an apply
// gives its manager exactly the fields of its configuration, merges it into the object, drops
// the fields it stopped applying that no one else owns, and fails with a 409 listing every
// field another manager owns a different value of, unless forced (which takes them over).
import { ApiError } from '../api-error.js';
import type { KubeObject } from '../resource-type.js';
import { FieldSet, pathString } from './field-set.js';
import type { FieldTypes } from './field-types.js';
import { appliedFields, compareObjects, type Scope } from './object-fields.js';
import { mergeApplied, removeFields } from './structured-merge.js';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** Who is writing: the manager and how, through which version and endpoint. */
export interface Writer {
  manager: string;
  apiVersion: string;
  subresource?: string;
  /** The write's time, as managedFields records it. */
  time: string;
}

interface Managed {
  entry: Omit<ManagedFieldsEntry, 'fieldsV1'>;
  set: FieldSet;
  changed: boolean;
}

const identity = (e: { manager: string; operation: string; apiVersion: string; subresource?: string }): string =>
  `${e.manager}\u0000${e.operation}\u0000${e.apiVersion}\u0000${e.subresource ?? ''}`;

/** A time as metav1.Time keeps it: RFC 3339 in whole seconds (clients may send milliseconds). */
function secondsOf(time: unknown): string {
  const d = new Date(String(time));
  return Number.isNaN(d.getTime()) ? String(time) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decode(entries: unknown): Managed[] {
  if (!Array.isArray(entries)) return [];
  return entries.filter((e): e is ManagedFieldsEntry => !!e && typeof e === 'object' && typeof (e as ManagedFieldsEntry).manager === 'string')
    .map(({ fieldsV1, time, ...entry }) => ({
      entry: { ...entry, ...(time ? { time: secondsOf(time) } : {}), fieldsType: 'FieldsV1' as const }, set: FieldSet.fromFieldsV1(fieldsV1), changed: false,
    }));
}

/** Apply entries first, then by time and manager, as the API server orders them; empty ones are gone. */
function encode(managed: Managed[], time: string): ManagedFieldsEntry[] | undefined {
  const out = managed.filter((m) => !m.set.isEmpty()).map((m) => {
    const { subresource, ...rest } = m.entry;
    return { ...rest, time: m.changed ? time : rest.time, fieldsType: 'FieldsV1' as const, fieldsV1: m.set.toFieldsV1(), ...(subresource ? { subresource } : {}) };
  });
  out.sort((a, b) => (a.operation !== b.operation ? (a.operation < b.operation ? -1 : 1)
    : (a.time ?? '') !== (b.time ?? '') ? ((a.time ?? '') < (b.time ?? '') ? -1 : 1)
      : a.manager < b.manager ? -1 : a.manager > b.manager ? 1 : 0));
  return out.length ? out.map(({ manager, operation, apiVersion, time: t, fieldsType, fieldsV1, ...sub }) => ({ manager, operation, apiVersion, time: t, fieldsType, fieldsV1, ...sub })) : undefined;
}

function mine(managed: Managed[], w: Writer, operation: 'Apply' | 'Update'): Managed {
  const id = identity({ ...w, operation });
  let m = managed.find((x) => identity(x.entry) === id);
  if (!m) {
    m = { entry: { manager: w.manager, operation, apiVersion: w.apiVersion, fieldsType: 'FieldsV1', ...(w.subresource ? { subresource: w.subresource } : {}) }, set: new FieldSet(), changed: true };
    managed.push(m);
  }
  return m;
}

function setOf(m: Managed, next: FieldSet): void {
  if (JSON.stringify(next.toFieldsV1()) !== JSON.stringify(m.set.toFieldsV1())) m.changed = true;
  m.set = next;
}

/**
 * managedFields after an update from `before` (undefined for a create) to `after`. `base` is the
 * list to start from: the stored one, or what the client sent (`[{}]` resets it).
 */
export function managedAfterUpdate(base: unknown, before: KubeObject | undefined, after: KubeObject, w: Writer, types: FieldTypes, scope: Scope): ManagedFieldsEntry[] | undefined {
  const managed = decode(base);
  const c = compareObjects((before ?? {}) as Record<string, unknown>, after as Record<string, unknown>, types, scope);
  const changed = c.added.union(c.modified);
  const self = mine(managed, w, 'Update');
  for (const m of managed) if (m !== self) setOf(m, m.set.difference(changed).difference(c.removed));
  setOf(self, self.set.union(changed).difference(c.removed));
  return encode(managed, w.time);
}

/** A conflict message as the API server words the manager: its name, subresource and version for updates. */
function ownerName(e: Managed['entry']): string {
  const name = JSON.stringify(e.manager);
  if (e.operation === 'Apply') return name;
  return `${name}${e.subresource ? ` with subresource ${JSON.stringify(e.subresource)}` : ''} using ${e.apiVersion}`;
}

function conflictError(conflicts: { owner: string; path: string }[]): ApiError {
  const n = conflicts.length;
  let text: string;
  if (n === 1) {
    text = `conflict with ${conflicts[0].owner}: ${conflicts[0].path}`;
  } else {
    const byOwner = new Map<string, string[]>();
    for (const c of conflicts) byOwner.set(c.owner, [...(byOwner.get(c.owner) ?? []), c.path]);
    text = [...byOwner.keys()].sort().flatMap((o) => [`conflicts with ${o}:`, ...byOwner.get(o)!.map((p) => `- ${p}`)]).join('\n');
  }
  return new ApiError(409, 'Conflict', `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${text}`, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.owner}`, field: c.path })),
  });
}

export interface ApplyResult {
  /** The merged object, managedFields set. */
  object: KubeObject;
}

/**
 * Server-side apply of `config` onto `live` (undefined when the object does not exist yet).
 * Throws the 409 of a conflict unless `force`.
 */
export function applyConfiguration(live: KubeObject | undefined, config: KubeObject, w: Writer, force: boolean, types: FieldTypes, scope: Scope): ApplyResult {
  const before = (live ?? {}) as Record<string, unknown>;
  const managed = decode(live?.metadata?.managedFields);
  const self = mine(managed, w, 'Apply');
  const lastSet = self.set;
  const newSet = appliedFields(config as Record<string, unknown>, types, scope);
  const merged = mergeApplied(before, config, types) as Record<string, unknown>;
  const others = managed.filter((m) => m !== self);
  const owned = others.reduce((acc, m) => acc.union(m.set), newSet);
  removeFields(merged, lastSet.difference(newSet), owned, types);
  const c = compareObjects(before, merged, types, scope);
  const changed = c.added.union(c.modified);
  const conflicts: { owner: string; path: string }[] = [];
  for (const m of others) {
    const clash = m.set.intersection(changed);
    if (clash.isEmpty()) continue;
    if (!force) for (const p of clash.members()) if (!clash.hasMemberBelow(p)) conflicts.push({ owner: ownerName(m.entry), path: pathString(p) });
    setOf(m, m.set.difference(changed));
  }
  if (conflicts.length) throw conflictError(conflicts);
  for (const m of others) setOf(m, m.set.difference(c.removed));
  setOf(self, newSet);
  const meta = { ...((merged.metadata ?? {}) as Record<string, unknown>) };
  const entries = encode(managed, w.time);
  if (entries) meta.managedFields = entries; else delete meta.managedFields;
  merged.metadata = meta;
  return { object: merged as KubeObject };
}
