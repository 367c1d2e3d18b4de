// What rollout `Patch` changes in one followed workload (DESIGN §2): every reference in its pod
// template to a followed target (the base name, or any version of it) is rewritten to the
// current version, as one JSON patch with the workload's resourceVersion as precondition.
// Pure: the caller reads the workload and sends the patch.
import type { JsonPatchOperation } from '../kube/cluster-api.js';
import type { KubeObject } from '../kube/kube-object.js';
import { ANNOTATION_ALIAS_VERSIONS, ANNOTATION_ROLLED_OUT, formatPairs, parsePairs } from './annotations.js';
import { applyOwners, type ManagedFieldsEntry } from './apply-ownership.js';
import { secretReferences, type PodSpecLike } from './pod-spec-references.js';

export interface FollowedVersion {
  externalSecret: string;
  /** `target.name`, the base name. */
  target: string;
  /** The current versioned Secret name. */
  current: string;
  /** With alias the base name is a live Secret: its references stay, and the Pods are restarted instead. */
  alias: boolean;
}

export interface RolloutPlan {
  /** Empty when nothing is to change. */
  ops: JsonPatchOperation[];
  /** ExternalSecrets whose references this plan moves to their current version (so the Pods roll). */
  rolled: Array<{ externalSecret: string; current: string; from: string[] }>;
  /** References left alone because a server-side apply manager owns them. */
  blocked: Array<{ externalSecret: string; field: string; owners: string[] }>;
}

const HEX10 = /^[0-9a-f]{10}$/;

/** Whether `name` is a version of `target` (`<target>-<10 hex>`). */
export function isVersionOf(name: string, target: string): boolean {
  return name.length === target.length + 11 && name.startsWith(`${target}-`) && HEX10.test(name.slice(target.length + 1));
}

const pointerToken = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');
/** A readable field name for messages, e.g. `spec.template.spec.containers[0].env[1]…`. */
const fieldName = (pointer: string): string => pointer.slice(1).split('/').map((t) => (/^\d+$/.test(t) ? `[${t}]` : `.${t}`)).join('').slice(1);

export function planRollout(workload: KubeObject, followed: readonly FollowedVersion[]): RolloutPlan {
  const meta = workload.metadata ?? {};
  const template = (workload as { spec?: { template?: { metadata?: { annotations?: Record<string, string> }; spec?: PodSpecLike } } }).spec?.template;
  const managedFields = (meta as { managedFields?: ManagedFieldsEntry[] }).managedFields;
  const refs = secretReferences(template?.spec);
  const recorded = parsePairs(meta.annotations?.[ANNOTATION_ROLLED_OUT]);
  const aliasVersions = parsePairs(template?.metadata?.annotations?.[ANNOTATION_ALIAS_VERSIONS]);
  const aliasBefore = formatPairs(aliasVersions);
  const recordedBefore = formatPairs(recorded);
  const rewrites: JsonPatchOperation[] = [];
  const plan: RolloutPlan = { ops: [], rolled: [], blocked: [] };

  for (const f of [...followed].sort((a, b) => (a.externalSecret < b.externalSecret ? -1 : 1))) {
    if (recorded.get(f.externalSecret) === f.current) continue;
    const stale = refs.filter((r) => r.name !== f.current && (isVersionOf(r.name, f.target) || (!f.alias && r.name === f.target)));
    const restart = f.alias && refs.some((r) => r.name === f.target) && aliasVersions.get(f.externalSecret) !== f.current;
    const blocked = stale.flatMap((r) => {
      const owners = applyOwners(managedFields, ['f:spec', 'f:template', 'f:spec', ...r.fieldPath]);
      return owners.length ? [{ externalSecret: f.externalSecret, field: fieldName(`/spec/template/spec${r.pointer}`), owners }] : [];
    });
    if (blocked.length) {
      // All or nothing per ExternalSecret; recorded as not done, so the next version tries again.
      plan.blocked.push(...blocked);
      continue;
    }
    for (const r of stale) rewrites.push({ op: 'replace', path: `/spec/template/spec${r.pointer}`, value: f.current });
    if (restart) aliasVersions.set(f.externalSecret, f.current);
    if (stale.length || restart) plan.rolled.push({ externalSecret: f.externalSecret, current: f.current, from: [...new Set(stale.map((r) => r.name))] });
    recorded.set(f.externalSecret, f.current);
  }

  const templateOps: JsonPatchOperation[] = [];
  if (formatPairs(aliasVersions) !== aliasBefore) {
    const value = formatPairs(aliasVersions);
    if (!template?.metadata) templateOps.push({ op: 'add', path: '/spec/template/metadata', value: { annotations: { [ANNOTATION_ALIAS_VERSIONS]: value } } });
    else if (!template.metadata.annotations) templateOps.push({ op: 'add', path: '/spec/template/metadata/annotations', value: { [ANNOTATION_ALIAS_VERSIONS]: value } });
    else templateOps.push({ op: 'add', path: `/spec/template/metadata/annotations/${pointerToken(ANNOTATION_ALIAS_VERSIONS)}`, value });
  }
  const recordOps: JsonPatchOperation[] = [];
  if (formatPairs(recorded) !== recordedBefore) {
    const value = formatPairs(recorded);
    recordOps.push(meta.annotations
      ? { op: 'add', path: `/metadata/annotations/${pointerToken(ANNOTATION_ROLLED_OUT)}`, value }
      : { op: 'add', path: '/metadata/annotations', value: { [ANNOTATION_ROLLED_OUT]: value } });
  }
  const changes = [...rewrites, ...templateOps, ...recordOps];
  // A stale resourceVersion makes the API server refuse the whole patch with 409 Conflict.
  if (changes.length) plan.ops = [{ op: 'replace', path: '/metadata/resourceVersion', value: meta.resourceVersion }, ...changes];
  return plan;
}
