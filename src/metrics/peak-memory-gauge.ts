// The process's peak resident memory, which prom-client's default metrics leave out (they
// report the current RSS only); read on each scrape.
import { Gauge, type Registry } from 'prom-client';

export function registerPeakMemoryGauge(registry: Registry): void {
  new Gauge({
    name: 'keyferry_process_peak_resident_memory_bytes',
    help: 'Peak resident memory of the operator process since it started',
    registers: [registry],
    collect() {
      // maxRSS is in kilobytes.
      this.set(process.resourceUsage().maxRSS * 1024);
    },
  });
}
