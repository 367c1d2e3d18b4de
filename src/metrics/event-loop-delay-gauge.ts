// Event-loop delay over the life of the process. prom-client's default
// nodejs_eventloop_lag_p99_seconds and _max_seconds reset their histogram at every scrape, so
// each figure covers only the time since the previous scrape, whoever made it (a second
// scraper halves the window of the first). These gauges read a histogram of their own that no
// scrape resets: the delay percentiles and maximum since the operator started, the same for
// every scraper.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/** Percentiles exposed, as the `quantile` label (`1` is the maximum). */
const QUANTILES = [0.5, 0.9, 0.99, 0.999] as const;

export interface EventLoopDelayGauge {
  close(): void;
}

/**
 * Registers `keyferry_event_loop_delay_seconds{quantile}` (0.5, 0.9, 0.99, 0.999 and 1 for the
 * maximum) and `keyferry_event_loop_delay_samples`, from a `monitorEventLoopDelay` histogram
 * sampled every `resolutionMs` (default 10 ms, prom-client's own precision) and never reset.
 */
export function registerEventLoopDelayGauge(registry: Registry, options: { resolutionMs?: number; histogram?: IntervalHistogram } = {}): EventLoopDelayGauge {
  const histogram = options.histogram ?? monitorEventLoopDelay({ resolution: options.resolutionMs ?? 10 });
  histogram.enable();
  new Gauge({
    name: 'keyferry_event_loop_delay_seconds',
    help: 'Event-loop delay since the process started, by quantile (1 = maximum); not reset by scrapes',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      // No sample yet: nothing to report rather than zeros.
      if (histogram.count === 0) {
        this.reset();
        return;
      }
      for (const q of QUANTILES) this.set({ quantile: String(q) }, histogram.percentile(q * 100) / 1e9);
      this.set({ quantile: '1' }, histogram.max / 1e9);
    },
  });
  new Gauge({
    name: 'keyferry_event_loop_delay_samples',
    help: 'Samples in keyferry_event_loop_delay_seconds since the process started',
    registers: [registry],
    collect() {
      this.set(histogram.count);
    },
  });
  return { close: () => histogram.disable() };
}
