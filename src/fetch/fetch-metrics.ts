// The fetch path's metrics (DESIGN §6), registered on an injected registry only.
// A store's series start at zero when the fetch path first sees the store (Prometheus'
// advice for counters), so a dashboard shows "no merges yet" rather than no data, and a
// rate() sees the first increment.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class FetchMetrics {
  /** ESO's name and labels, so existing dashboards keep working. */
  readonly apiCalls: Counter<'provider' | 'call' | 'status'>;
  readonly requestDuration: Histogram<'provider' | 'store' | 'operation' | 'outcome'>;
  readonly limiterQueueDepth: Gauge<'provider' | 'endpoint'>;
  readonly limiterWait: Histogram<'provider'>;
  readonly cacheLookups: Counter<'provider' | 'result'>;
  readonly singleFlightMerges: Counter<'provider'>;
  readonly batchSize: Histogram<'provider'>;
  readonly retries: Counter<'provider' | 'store' | 'kind'>;
  readonly throttles: Counter<'provider' | 'store'>;
  readonly circuitState: Gauge<'provider' | 'store'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.apiCalls = new Counter({
      name: 'externalsecret_provider_api_calls_count',
      help: 'Calls made to a secret store provider, by call and status.',
      labelNames: ['provider', 'call', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'keyferry_provider_request_duration_seconds',
      help: 'Duration of one provider call (one attempt), by outcome.',
      labelNames: ['provider', 'store', 'operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.limiterQueueDepth = new Gauge({
      name: 'keyferry_fetch_limiter_queue_depth',
      help: 'Provider calls waiting in an endpoint limiter (stores sharing an endpoint share its limiter).',
      labelNames: ['provider', 'endpoint'],
      registers,
    });
    this.limiterWait = new Histogram({
      name: 'keyferry_fetch_limiter_wait_seconds',
      help: 'Time a provider call waited in its endpoint limiter.',
      labelNames: ['provider'],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    });
    this.cacheLookups = new Counter({
      name: 'keyferry_fetch_cache_lookups_total',
      help: 'Fetch cache lookups by result (hit, miss, bypass).',
      labelNames: ['provider', 'result'],
      registers,
    });
    this.singleFlightMerges = new Counter({
      name: 'keyferry_fetch_singleflight_merged_total',
      help: 'Fetches served by joining an identical fetch already in flight.',
      labelNames: ['provider'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'keyferry_fetch_batch_size',
      help: 'Secrets per batched provider call.',
      labelNames: ['provider'],
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers,
    });
    this.retries = new Counter({
      name: 'keyferry_fetch_retries_total',
      help: 'Provider calls retried, by the error kind that caused the retry.',
      labelNames: ['provider', 'store', 'kind'],
      registers,
    });
    this.throttles = new Counter({
      name: 'keyferry_fetch_throttles_received_total',
      help: 'Throttle responses received from providers.',
      labelNames: ['provider', 'store'],
      registers,
    });
    this.circuitState = new Gauge({
      name: 'keyferry_fetch_circuit_state',
      help: 'Per-store circuit breaker: 0 closed, 1 half-open, 2 open.',
      labelNames: ['provider', 'store'],
      registers,
    });
  }

  /** Zero series for a store seen for the first time: closed circuit, nothing counted yet. */
  initStore(labels: { provider: string; store: string }): void {
    this.circuitState.set(labels, 0);
    this.throttles.inc(labels, 0);
    for (const result of ['hit', 'miss']) this.cacheLookups.inc({ provider: labels.provider, result }, 0);
    this.singleFlightMerges.inc({ provider: labels.provider }, 0);
  }

  /** Drops a store's own series once no connection of it remains. */
  forgetStore(labels: { provider: string; store: string }): void {
    this.circuitState.remove(labels);
    this.throttles.remove(labels);
  }
}
