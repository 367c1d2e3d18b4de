// rollout `Patch` (DESIGN §2): a Deployment, StatefulSet or DaemonSet annotated
// `keyferry.io/follow: "<es>[,<es>]"` is moved to the current versions of those ExternalSecrets.
// Requests per workload are debounced, so a burst of new versions rolls it once; each roll reads
// the workload, plans one JSON patch and sends it with the resourceVersion as precondition. A
// conflict means someone else wrote in between: read again and re-plan, never overwrite.
import { describeKubeError, httpStatusOf } from '../kube/api-error.js';
import type { ClusterApi, FollowerKind } from '../kube/cluster-api.js';
import type { ObjectStore } from '../kube/informer.js';
import type { Timers } from '../queue/timer.js';
import type { ConsumerEvents, ConsumerLogger } from './consumer-events.js';
import type { CurrentVersions } from './current-versions.js';
import { KeyedDebouncer, type DebounceOptions } from './debouncer.js';
import { ANNOTATION_ROLLED_OUT, parsePairs } from './annotations.js';
import { FOLLOWABLE_KINDS, followedNames, type ReferencingObject } from './referencing-kinds.js';
import { planRollout, type FollowedVersion } from './rollout-plan.js';
import type { WorkloadMetrics } from './workload-metrics.js';

// Long enough that the ExternalSecrets one store change re-queues all land in one window on a busy operator.
export const DEFAULT_ROLLOUT_DEBOUNCE: DebounceOptions = { quietMs: 5000, maxWaitMs: 30_000 };
/** Conflicting writes in a row before the roll is left to the next request. */
const MAX_CONFLICTS = 5;

export interface WorkloadRolloutsDeps {
  api: ClusterApi;
  /** The followable workloads, as the referencing informers cache them (follow annotation kept). */
  workloads: Record<FollowerKind, ObjectStore<ReferencingObject>>;
  versions: CurrentVersions;
  events: ConsumerEvents;
  logger: ConsumerLogger;
  metrics: WorkloadMetrics;
  timers: Timers;
  debounce?: DebounceOptions;
}

const splitWorkloadKey = (key: string): { kind: FollowerKind; namespace: string; name: string } => {
  const [kind, namespace, ...rest] = key.split('/');
  return { kind: kind as FollowerKind, namespace: namespace!, name: rest.join('/') };
};

export class WorkloadRollouts {
  private readonly debouncer: KeyedDebouncer;

  constructor(private readonly deps: WorkloadRolloutsDeps) {
    this.debouncer = new KeyedDebouncer(deps.timers, deps.debounce ?? DEFAULT_ROLLOUT_DEBOUNCE, (key) => this.roll(key),
      (key, error) => deps.logger.warn({ workload: key, error: describeKubeError(error) }, 'rollout failed'));
  }

  /**
   * An ExternalSecret's current version (or rollout settings) changed: its followers are due a
   * roll, except those the cache shows already rolled to that version (after a restart, most).
   */
  versionChanged(namespace: string, externalSecret: string): void {
    const current = this.deps.versions.get(namespace, externalSecret)?.current;
    for (const kind of FOLLOWABLE_KINDS) {
      for (const w of this.deps.workloads[kind].list(namespace)) {
        if (!followedNames(w).includes(externalSecret)) continue;
        if (current !== undefined && parsePairs(w.metadata.annotations?.[ANNOTATION_ROLLED_OUT]).get(externalSecret) === current) continue;
        this.debouncer.schedule(`${kind}/${namespace}/${w.metadata.name}`);
      }
    }
  }

  /**
   * A followable workload appeared or its follow annotation changed. Only a followed
   * ExternalSecret this process has reconciled can move it; the others schedule it when they are.
   */
  workloadChanged(kind: FollowerKind, obj: ReferencingObject, old: ReferencingObject | undefined): void {
    const names = followedNames(obj);
    if (names.length === 0) return;
    if (old && followedNames(old).join(',') === names.join(',')) return;
    if (!names.some((es) => this.deps.versions.get(obj.metadata.namespace, es)?.rollout === 'Patch')) return;
    this.debouncer.schedule(`${kind}/${obj.metadata.namespace}/${obj.metadata.name}`);
  }

  /** Resolves when no roll is running (tests). */
  idle(): Promise<void> {
    return this.debouncer.idle();
  }

  stop(): Promise<void> {
    return this.debouncer.stop();
  }

  private async roll(key: string): Promise<void> {
    const { kind, namespace, name } = splitWorkloadKey(key);
    const { api, versions, events, logger, metrics } = this.deps;
    for (let attempt = 1; ; attempt++) {
      const workload = await api.getWorkload(kind, namespace, name);
      if (!workload) return;
      const followed: FollowedVersion[] = followedNames(workload).flatMap((es) => {
        const v = versions.get(namespace, es);
        return v && v.rollout === 'Patch' ? [{ externalSecret: es, target: v.target, current: v.current, alias: v.alias }] : [];
      });
      const plan = planRollout(workload, followed);
      if (attempt === 1) {
        for (const b of plan.blocked) {
          metrics.rollouts.inc({ kind, outcome: 'blocked' });
          events.record(namespace, b.externalSecret, 'Warning', 'RolloutBlocked',
            `${kind} "${name}": ${b.field} is managed by ${b.owners.join(', ')} through server-side apply; keyferry leaves it (use rollout: Publish to have the GitOps tool set it)`);
        }
      }
      if (plan.ops.length === 0) return;
      try {
        await api.patchWorkload(kind, namespace, name, plan.ops);
      } catch (e) {
        if (httpStatusOf(e) === 409 && attempt < MAX_CONFLICTS) {
          metrics.rollouts.inc({ kind, outcome: 'conflict' });
          continue;
        }
        metrics.rollouts.inc({ kind, outcome: httpStatusOf(e) === 409 ? 'conflict' : 'failed' });
        for (const r of plan.rolled) events.record(namespace, r.externalSecret, 'Warning', 'RolloutFailed', `${kind} "${name}" could not be moved to "${r.current}": ${describeKubeError(e)}`);
        throw e;
      }
      for (const r of plan.rolled) events.record(namespace, r.externalSecret, 'Normal', 'RolledOut', `${kind} "${name}" now uses "${r.current}"`);
      if (plan.rolled.length) {
        // One count per patch that rolls the Pods, however many ExternalSecrets it moved.
        metrics.rollouts.inc({ kind, outcome: 'rolled' });
        logger.info({ namespace, kind, name, versions: plan.rolled.map((r) => r.current) }, 'rolled out workload');
      }
      return;
    }
  }
}
