// The V8 heap in use right after a full garbage collection: unlike the heap in use at a
// scrape (prom-client's nodejs_heap_size_used_bytes), it does not count garbage not yet
// collected, so it shows what the operator holds. Each full (mark-compact) collection is seen
// by a PerformanceObserver; a process started with `node --expose-gc` forces one at every
// scrape, so the figure is current (a test can compare before and after; in production a
// scrape would then pause the process for the length of a full collection).
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Gauge, type Registry } from 'prom-client';

const isFullCollection = (entry: PerformanceEntry) => ((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;

export function registerHeapAfterGcGauge(registry: Registry): { close(): void } {
  let afterLastFull: number | undefined;
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some(isFullCollection)) afterLastFull = getHeapStatistics().used_heap_size;
  });
  observer.observe({ entryTypes: ['gc'] });
  new Gauge({
    name: 'keyferry_heap_used_after_gc_bytes',
    help: 'V8 heap in use after the last full garbage collection (forced at each scrape when node runs with --expose-gc)',
    registers: [registry],
    collect() {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (typeof gc === 'function') {
        gc();
        afterLastFull = getHeapStatistics().used_heap_size;
      }
      // No sample until the first full collection.
      if (afterLastFull === undefined) this.reset();
      else this.set(afterLastFull);
    },
  });
  return { close: () => observer.disconnect() };
}
