import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { registerPeakMemoryGauge } from '../../src/metrics/peak-memory-gauge.js';

describe('peak memory gauge', () => {
  it('reports the process peak RSS in bytes, at least the current RSS', async () => {
    const registry = new Registry();
    registerPeakMemoryGauge(registry);
    const rss = process.memoryUsage().rss;
    const value = Number(/keyferry_process_peak_resident_memory_bytes (\d+)/.exec(await registry.metrics())?.[1]);
    assert.ok(value >= rss * 0.99, `${value} >= ${rss}`);
  });
});
