// The kinds whose objects can keep a Secret version in use (DESIGN §2): Pods, the pod templates
// of every workload controller, and ControllerRevisions (StatefulSet and DaemonSet history, which
// `kubectl rollout undo` restores). Each is cached reduced to the Secret names it references.
import { ANNOTATION_FOLLOW } from '../api/constants.js';
import type { KubeObject } from '../kube/kube-object.js';
import { ANNOTATION_ROLLED_OUT } from './annotations.js';
import { referencedSecretNames, type PodSpecLike } from './pod-spec-references.js';

export interface ReferencingKind {
  kind: string;
  group: string;
  version: string;
  plural: string;
  /** Path from the object to its pod spec. */
  podSpecPath: readonly string[];
  /** Whether `keyferry.io/follow` on it asks for rollouts (rollout: Patch). */
  followable: boolean;
}

const kind = (k: string, group: string, plural: string, podSpecPath: readonly string[], followable = false): ReferencingKind =>
  ({ kind: k, group, version: 'v1', plural, podSpecPath, followable });
const TEMPLATE = ['spec', 'template', 'spec'] as const;

export const REFERENCING_KINDS = {
  Pod: kind('Pod', '', 'pods', ['spec']),
  ReplicaSet: kind('ReplicaSet', 'apps', 'replicasets', TEMPLATE),
  Deployment: kind('Deployment', 'apps', 'deployments', TEMPLATE, true),
  StatefulSet: kind('StatefulSet', 'apps', 'statefulsets', TEMPLATE, true),
  DaemonSet: kind('DaemonSet', 'apps', 'daemonsets', TEMPLATE, true),
  Job: kind('Job', 'batch', 'jobs', TEMPLATE),
  CronJob: kind('CronJob', 'batch', 'cronjobs', ['spec', 'jobTemplate', 'spec', 'template', 'spec']),
  // A revision's data is the pod template it recorded, as a patch of its owner.
  ControllerRevision: kind('ControllerRevision', 'apps', 'controllerrevisions', ['data', 'spec', 'template', 'spec']),
} as const satisfies Record<string, ReferencingKind>;

export type ReferencingKindName = keyof typeof REFERENCING_KINDS;
export type FollowableKindName = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export const FOLLOWABLE_KINDS: readonly FollowableKindName[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** What the cache keeps of a referencing object: its identity and the Secret names it references. */
export interface ReferencingObject extends KubeObject {
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string> };
  /** Distinct Secret names referenced, sorted. */
  secretNames: string[];
}

export function podSpecOf(k: ReferencingKind, obj: unknown): PodSpecLike | undefined {
  let cur = obj;
  for (const key of k.podSpecPath) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  return cur && typeof cur === 'object' ? (cur as PodSpecLike) : undefined;
}

/**
 * Reduces an object to a ReferencingObject; a followable kind that follows keeps its follow
 * annotation, and what keyferry last rolled it to (so a restart re-reads only workloads behind).
 */
export function toReferencingObject(k: ReferencingKind, obj: KubeObject): ReferencingObject {
  const m = obj.metadata ?? {};
  const follow = k.followable ? m.annotations?.[ANNOTATION_FOLLOW] : undefined;
  const rolledOut = follow === undefined ? undefined : m.annotations?.[ANNOTATION_ROLLED_OUT];
  return {
    apiVersion: obj.apiVersion,
    kind: k.kind,
    metadata: {
      name: m.name ?? '',
      namespace: m.namespace ?? '',
      resourceVersion: m.resourceVersion,
      ...(follow === undefined ? {} : { annotations: { [ANNOTATION_FOLLOW]: follow, ...(rolledOut === undefined ? {} : { [ANNOTATION_ROLLED_OUT]: rolledOut }) } }),
    },
    secretNames: referencedSecretNames(podSpecOf(k, obj)),
  };
}

/** The ExternalSecret names in a `keyferry.io/follow` value (`"<es>[,<es>]"`). */
export function followedNames(obj: KubeObject | undefined): string[] {
  const value = obj?.metadata?.annotations?.[ANNOTATION_FOLLOW];
  if (!value) return [];
  return [...new Set(value.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
}
