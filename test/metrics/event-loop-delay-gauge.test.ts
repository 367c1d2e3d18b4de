import assert from 'node:assert/strict';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { registerEventLoopDelayGauge } from '../../src/metrics/event-loop-delay-gauge.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Blocks the event loop for `ms`. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* busy */ }
}

function value(text: string, name: string, quantile?: string): number | undefined {
  const labels = quantile === undefined ? '' : `\\{quantile="${quantile.replace('.', '\\.')}"\\}`;
  const m = new RegExp(`^${name}${labels} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('event-loop delay gauge', () => {
  it('reports nothing before the first sample', async () => {
    const registry = new Registry();
    const gauge = registerEventLoopDelayGauge(registry, { resolutionMs: 10_000 });
    try {
      const text = await registry.metrics();
      assert.equal(value(text, 'keyferry_event_loop_delay_seconds', '1'), undefined);
      assert.equal(value(text, 'keyferry_event_loop_delay_samples'), 0);
    } finally {
      gauge.close();
    }
  });

  it('keeps a stall it saw across scrapes, where the default metrics forget it at the next scrape', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 5 });
    const gauge = registerEventLoopDelayGauge(registry, { resolutionMs: 5 });
    try {
      await sleep(50);
      block(400);
      await sleep(50);
      const first = await registry.metrics();
      const max = value(first, 'keyferry_event_loop_delay_seconds', '1')!;
      assert.ok(max >= 0.35, `the 400 ms stall is the maximum: ${max}`);
      assert.ok(value(first, 'nodejs_eventloop_lag_max_seconds')! >= 0.35, 'the default metric saw it too');
      assert.ok(value(first, 'keyferry_event_loop_delay_samples')! > 5);

      await sleep(100);
      const second = await registry.metrics();
      assert.ok(value(second, 'nodejs_eventloop_lag_max_seconds')! < 0.3, 'the default metric reset at the first scrape');
      assert.equal(value(second, 'keyferry_event_loop_delay_seconds', '1'), max, 'the gauge still holds it');
      const p50 = value(second, 'keyferry_event_loop_delay_seconds', '0.5')!;
      const p99 = value(second, 'keyferry_event_loop_delay_seconds', '0.99')!;
      assert.ok(p50 > 0 && p50 < 0.3, `the median is an ordinary tick: ${p50}`);
      assert.ok(p50 <= p99 && p99 <= max, `ordered: ${p50} ${p99} ${max}`);
    } finally {
      gauge.close();
    }
  });
});
