// The operator's metrics (DESIGN §6), registered on a Registry the caller owns. ESO's names
// where ESO has one, so existing dashboards and alerts keep working; `keyferry_` otherwise.
// Label values are resource names, provider names and outcomes: never secret data.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class OperatorMetrics {
  readonly syncCalls: Counter<'name' | 'namespace'>;
  readonly syncErrors: Counter<'name' | 'namespace'>;
  readonly statusCondition: Gauge<'name' | 'namespace' | 'condition' | 'status'>;
  readonly reconcileDuration: Gauge<'name' | 'namespace'>;
  readonly providerApiCalls: Counter<'provider' | 'call' | 'status'>;
  readonly providerRequestDuration: Histogram<'provider' | 'store' | 'operation' | 'outcome'>;
  readonly queueDepth: Gauge<'queue'>;
  readonly queueRetries: Counter<'queue'>;
  readonly versionsRetained: Gauge<'name' | 'namespace'>;
  readonly secretAge: Gauge<'name' | 'namespace'>;
  readonly secretExpiry: Gauge<'name' | 'namespace'>;
  readonly storeReady: Gauge<'kind' | 'namespace' | 'name'>;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.syncCalls = new Counter({ name: 'externalsecret_sync_calls_total', help: 'Total number of ExternalSecret reconciles', labelNames: ['name', 'namespace'], registers });
    this.syncErrors = new Counter({ name: 'externalsecret_sync_calls_error', help: 'Total number of ExternalSecret reconciles that ended in an error', labelNames: ['name', 'namespace'], registers });
    this.statusCondition = new Gauge({ name: 'externalsecret_status_condition', help: 'ExternalSecret condition status (1 for the current status, 0 for the others)', labelNames: ['name', 'namespace', 'condition', 'status'], registers });
    this.reconcileDuration = new Gauge({ name: 'externalsecret_reconcile_duration', help: 'Duration of the last ExternalSecret reconcile in seconds', labelNames: ['name', 'namespace'], registers });
    this.providerApiCalls = new Counter({ name: 'externalsecret_provider_api_calls_count', help: 'Number of calls to a provider API', labelNames: ['provider', 'call', 'status'], registers });
    this.providerRequestDuration = new Histogram({
      name: 'keyferry_provider_request_duration_seconds', help: 'Duration of provider calls', labelNames: ['provider', 'store', 'operation', 'outcome'], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.queueDepth = new Gauge({ name: 'keyferry_workqueue_depth', help: 'Keys waiting in a work queue', labelNames: ['queue'], registers });
    this.queueRetries = new Counter({ name: 'keyferry_workqueue_retries_total', help: 'Keys re-queued with backoff after an error', labelNames: ['queue'], registers });
    this.versionsRetained = new Gauge({ name: 'keyferry_versions_retained', help: 'Versioned Secrets kept for an ExternalSecret', labelNames: ['name', 'namespace'], registers });
    this.secretAge = new Gauge({ name: 'keyferry_secret_age_seconds', help: 'Age of the current version of an ExternalSecret\'s target', labelNames: ['name', 'namespace'], registers });
    this.secretExpiry = new Gauge({ name: 'keyferry_secret_expiry_timestamp_seconds', help: 'Earliest remote expiry of the values in the current version', labelNames: ['name', 'namespace'], registers });
    this.storeReady = new Gauge({ name: 'keyferry_store_ready', help: 'Whether a store is Ready (1) or not (0)', labelNames: ['kind', 'namespace', 'name'], registers });
  }

  /** Sets the condition gauge the way ESO does: 1 on the current status, 0 on the other. */
  setCondition(name: string, namespace: string, status: 'True' | 'False'): void {
    for (const s of ['True', 'False'] as const) this.statusCondition.set({ name, namespace, condition: 'Ready', status: s }, s === status ? 1 : 0);
  }

  /** Drops an ExternalSecret's series once it is gone. */
  forgetExternalSecret(name: string, namespace: string): void {
    for (const s of ['True', 'False']) this.statusCondition.remove({ name, namespace, condition: 'Ready', status: s });
    for (const g of [this.reconcileDuration, this.versionsRetained, this.secretAge, this.secretExpiry]) g.remove({ name, namespace });
  }
}
