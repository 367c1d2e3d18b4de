// Counters of what the workload features did, on the operator's registry.
import { Counter, type Registry } from 'prom-client';

export type RolloutOutcome = 'rolled' | 'blocked' | 'conflict' | 'failed';

export class WorkloadMetrics {
  /** Patches of followed workloads (kind Deployment/StatefulSet/DaemonSet) and writes of keyferry-versions (kind ConfigMap). */
  readonly rollouts: Counter<'kind' | 'outcome'>;
  /** Writes of alias Secrets. */
  readonly aliasWrites: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rollouts = new Counter({
      name: 'keyferry_rollouts_total',
      help: 'Rollouts to a new version: followed workloads patched (kind Deployment, StatefulSet, DaemonSet) and keyferry-versions ConfigMaps written (kind ConfigMap), by outcome',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.aliasWrites = new Counter({ name: 'keyferry_alias_writes_total', help: 'Creates and in-place updates of alias Secrets, by outcome', labelNames: ['outcome'], registers });
  }
}
