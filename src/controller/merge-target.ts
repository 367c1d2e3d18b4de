// creationPolicy Merge (External Secrets Operator's, made opt-in) and None. A Merge target is
// someone else's Secret: it cannot be immutable or versioned, so keyferry writes its keys in
// place and records on the target which keys it wrote (and an HMAC of them), so that it can
// tell drift, drop a key it no longer produces, and never change a key it did not write.
// Merging goes through the operator's own RBAC, so a tenant who may create ExternalSecrets
// but not update Secrets could otherwise overwrite another app's Secret: the target must name
// this ExternalSecret in an annotation only someone who may update it can set.
import { createHmac } from 'node:crypto';
import { ANNOTATION_MERGED_BY, ANNOTATION_MERGED_HASH, ANNOTATION_MERGED_KEYS, ANNOTATION_MERGE_FROM, LABEL_EXTERNAL_SECRET, LABEL_MANAGED } from '../api/constants.js';
import type { SecretObject } from '../kube/kube-object.js';
import { DEFAULT_RETENTION } from '../versioning/index.js';
import { LABEL_ALIAS } from '../workloads/annotations.js';
import { durationMs } from './spec-checks.js';
import type { ExternalSecretSpec } from './types.js';

export const MERGE_RBAC_HINT = 'creationPolicy Merge needs update on Secrets: kubectl apply -k manifests/optional/merge-mode';

export type CreationPolicy = 'Owner' | 'Orphan' | 'Merge' | 'None';

export const creationPolicyOf = (spec: ExternalSecretSpec | undefined): CreationPolicy => spec?.target?.creationPolicy ?? 'Owner';

/**
 * What the spec asks that Merge or None cannot do, naming the field (InvalidSpec). Versioning
 * has no meaning without versions; the CRD fills its defaults in, so only other values count.
 */
export function inPlaceSpecProblem(spec: ExternalSecretSpec): string | undefined {
  const policy = creationPolicyOf(spec);
  if (policy !== 'Merge' && policy !== 'None') {
    return spec.target?.deletionPolicy === 'Merge' ? 'spec.target.deletionPolicy: Merge goes with creationPolicy Merge only' : undefined;
  }
  const why = policy === 'Merge' ? 'keys are written in place into an existing Secret' : 'no Secret is written';
  const v = spec.target?.versioning ?? {};
  const refuse = (field: string) => `spec.target.versioning.${field}: has no meaning with creationPolicy ${policy} (${why}, so no versions are written); leave it out`;
  if (v.rollout !== undefined && v.rollout !== 'None') return refuse('rollout');
  if (v.alias === true) return refuse('alias');
  if (v.retain !== undefined && v.retain !== DEFAULT_RETENTION.retain) return refuse('retain');
  if (v.minRetention !== undefined && durationMs(v.minRetention) !== DEFAULT_RETENTION.minRetentionMs) return refuse('minRetention');
  if (v.maxAge !== undefined && (durationMs(v.maxAge) ?? 1) !== 0) return refuse('maxAge');
  if (v.fluxKustomization !== undefined) return refuse('fluxKustomization');
  const deletion = spec.target?.deletionPolicy;
  if (policy === 'Merge' && deletion === 'Delete') return "spec.target.deletionPolicy: Delete cannot go with creationPolicy Merge: that Secret is not keyferry's to delete (use Retain or Merge)";
  if (policy === 'None' && deletion === 'Merge') return 'spec.target.deletionPolicy: Merge goes with creationPolicy Merge only';
  const template = spec.target?.template;
  if (policy === 'Merge') {
    // The target's labels and annotations are its owner's; keyferry writes only data keys there.
    if (Object.keys(template?.metadata?.labels ?? {}).length || Object.keys(template?.metadata?.annotations ?? {}).length) {
      return 'spec.target.template.metadata: creationPolicy Merge writes data keys only, never the labels or annotations of a Secret it does not own';
    }
    const i = (template?.templateFrom ?? []).findIndex((t) => t.target === 'Labels' || t.target === 'Annotations');
    if (i >= 0) return `spec.target.template.templateFrom[${i}].target: creationPolicy Merge writes data keys only, never the labels or annotations of a Secret it does not own`;
  }
  return undefined;
}

/**
 * Why `target` may not be merged into by ExternalSecret `externalSecret`, or undefined when it
 * may. Whatever the annotation says, keyferry never writes into a ServiceAccount token or into
 * a Secret of its own (a version or an alias, whose meaning it keeps).
 */
export function mergeTargetProblem(target: SecretObject, externalSecret: string, templateType: string | undefined): string | undefined {
  const labels = target.metadata?.labels ?? {};
  if (target.type === 'kubernetes.io/service-account-token') return 'is a ServiceAccount token Secret, which keyferry never merges into';
  if (labels[LABEL_MANAGED] !== undefined || labels[LABEL_ALIAS] !== undefined || labels[LABEL_EXTERNAL_SECRET] !== undefined) {
    return "is one of keyferry's own Secrets (a version or an alias), which keyferry never merges into";
  }
  if (target.metadata?.annotations?.[ANNOTATION_MERGE_FROM] !== externalSecret) {
    return `has not opted in: whoever owns it must annotate it ${ANNOTATION_MERGE_FROM}: ${externalSecret}`;
  }
  if (target.immutable) return 'is immutable';
  const type = target.type ?? 'Opaque';
  if (templateType !== undefined && templateType !== type) return `is of type ${type}, not ${templateType} as spec.target.template.type says (a Secret's type cannot change)`;
  return undefined;
}

/** The keys this ExternalSecret wrote into `target` (none when another one's record is there). */
export function mergedKeys(target: SecretObject, externalSecret: string): string[] {
  const annotations = target.metadata?.annotations ?? {};
  if (annotations[ANNOTATION_MERGED_BY] !== externalSecret) return [];
  return (annotations[ANNOTATION_MERGED_KEYS] ?? '').split(',').filter(Boolean);
}

/** First 10 hex digits of an HMAC over the keys and values: drift shows without a value on the Secret's metadata. */
export function mergedHash(data: Record<string, Buffer>, key: Buffer): string {
  const entries = Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, v.toString('base64')]);
  return createHmac('sha256', key).update(JSON.stringify(['keyferry.io/merged', entries])).digest('hex').slice(0, 10);
}

export interface MergePlan {
  /** The target's data after the merge (base64, as the API carries it). */
  data: Record<string, string>;
  annotations: Record<string, string>;
  /** Keys keyferry would write that the target holds and keyferry did not write: the merge is refused. */
  collisions: string[];
  /** Keys keyferry wrote earlier and no longer produces: removed. */
  removed: string[];
  /** Whether anything differs from what the target holds. */
  changed: boolean;
  /** Whether keyferry's keys no longer hold what it recorded writing (someone else changed them). */
  drifted: boolean;
}

/** The target after writing `data` as ExternalSecret `externalSecret`'s keys; only those keys and its record change. */
export function planMerge(target: SecretObject, externalSecret: string, data: Record<string, Buffer>, versionKey: Buffer): MergePlan {
  const current = target.data ?? {};
  const owned = mergedKeys(target, externalSecret);
  const has = (k: string) => Object.prototype.hasOwnProperty.call(current, k);
  const collisions = Object.keys(data).filter((k) => has(k) && !owned.includes(k)).sort();
  const next: Record<string, string> = { ...current };
  const removed = owned.filter((k) => !Object.prototype.hasOwnProperty.call(data, k) && has(k));
  for (const k of removed) delete next[k];
  for (const [k, v] of Object.entries(data)) next[k] = v.toString('base64');
  const recorded = target.metadata?.annotations?.[ANNOTATION_MERGED_HASH];
  const ownedNow = Object.fromEntries(owned.filter(has).map((k) => [k, Buffer.from(current[k]!, 'base64')]));
  const drifted = owned.length > 0 && recorded !== undefined && (owned.some((k) => !has(k)) || mergedHash(ownedNow, versionKey) !== recorded);
  const annotations: Record<string, string> = { ...(target.metadata?.annotations ?? {}) };
  const keys = Object.keys(data).sort();
  if (keys.length) {
    annotations[ANNOTATION_MERGED_BY] = externalSecret;
    annotations[ANNOTATION_MERGED_KEYS] = keys.join(',');
    annotations[ANNOTATION_MERGED_HASH] = mergedHash(data, versionKey);
  } else {
    delete annotations[ANNOTATION_MERGED_BY];
    delete annotations[ANNOTATION_MERGED_KEYS];
    delete annotations[ANNOTATION_MERGED_HASH];
  }
  const sameRecord = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
  const changed = !sameRecord(next, current) || !sameRecord(annotations, target.metadata?.annotations ?? {});
  return { data: next, annotations, collisions, removed, changed, drifted };
}

/** Whether `target` holds exactly `data` under those keys. */
export function holdsData(target: SecretObject | undefined, data: Record<string, Buffer>): boolean {
  const held = target?.data ?? {};
  return Object.entries(data).every(([k, v]) => Object.prototype.hasOwnProperty.call(held, k) && Buffer.from(held[k]!, 'base64').equals(v));
}
