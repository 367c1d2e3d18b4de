// The operator's metrics (DESIGN §6), registered on a Registry the caller owns. ESO's names
// where ESO has one, so existing dashboards and alerts keep working; `keyferry_` otherwise.
// Label values are resource names, provider names and outcomes: never secret data.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ExternalSecretSeries } from './external-secret-series.js';

export class OperatorMetrics {
  /** The series labelled by ExternalSecret; /metrics renders them after the registry's. */
  readonly externalSecrets = new ExternalSecretSeries();
  readonly providerApiCalls: Counter<'provider' | 'call' | 'status'>;
  readonly providerRequestDuration: Histogram<'provider' | 'store' | 'operation' | 'outcome'>;
  readonly queueDepth: Gauge<'queue'>;
  readonly queueRetries: Counter<'queue'>;
  readonly storeReady: Gauge<'kind' | 'namespace' | 'name'>;
  readonly versionsCreated: Counter<'namespace'>;
  readonly syncDuration: Histogram<'provider'>;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.providerApiCalls = new Counter({ name: 'externalsecret_provider_api_calls_count', help: 'Number of calls to a provider API', labelNames: ['provider', 'call', 'status'], registers });
    this.providerRequestDuration = new Histogram({
      name: 'keyferry_provider_request_duration_seconds', help: 'Duration of provider calls', labelNames: ['provider', 'store', 'operation', 'outcome'], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.queueDepth = new Gauge({ name: 'keyferry_workqueue_depth', help: 'Keys waiting in a work queue', labelNames: ['queue'], registers });
    this.queueRetries = new Counter({ name: 'keyferry_workqueue_retries_total', help: 'Keys re-queued with backoff after an error', labelNames: ['queue'], registers });
    this.storeReady = new Gauge({ name: 'keyferry_store_ready', help: 'Whether a store is Ready (1) or not (0)', labelNames: ['kind', 'namespace', 'name'], registers });
    this.versionsCreated = new Counter({ name: 'keyferry_versions_created_total', help: 'Versioned Secrets created', labelNames: ['namespace'], registers });
    // Reconciles that fetched (a refresh, a spec change, a retry), not the ones that only found nothing due.
    this.syncDuration = new Histogram({
      name: 'keyferry_sync_duration_seconds', help: 'Duration of ExternalSecret syncs that fetched from a store, by provider', labelNames: ['provider'], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
  }
}
