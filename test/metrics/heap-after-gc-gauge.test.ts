import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import { registerHeapAfterGcGauge } from '../../src/metrics/heap-after-gc-gauge.js';

/** A full collection on demand, as `node --expose-gc` gives one (the flag is read when a context is made). */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const sample = async (registry: Registry) => {
  const m = /^keyferry_heap_used_after_gc_bytes (\d+)$/m.exec(await registry.metrics());
  return m ? Number(m[1]) : undefined;
};

describe('heap after GC gauge', () => {
  it('reports the heap in use after the last full collection, seen without --expose-gc', async () => {
    const registry = new Registry();
    const gauge = registerHeapAfterGcGauge(registry);
    try {
      const gc = gcFunction();
      gc();
      // PerformanceObserver entries arrive asynchronously.
      let value: number | undefined;
      for (let i = 0; i < 100 && value === undefined; i++) {
        await new Promise((r) => setTimeout(r, 10));
        value = await sample(registry);
      }
      assert.ok(value !== undefined && value > 0, `a sample after a full collection: ${value}`);
      assert.ok(value <= process.memoryUsage().heapTotal, 'within the heap');
    } finally {
      gauge.close();
    }
  });

  it('forces a full collection at each scrape when gc is exposed, so what was let go is not counted', async () => {
    const registry = new Registry();
    const gauge = registerHeapAfterGcGauge(registry);
    const global = globalThis as { gc?: () => void };
    const had = global.gc;
    global.gc = gcFunction();
    try {
      const before = (await sample(registry))!;
      let held: string[] | undefined = Array.from({ length: 20_000 }, (_, i) => `held-${i}-${'x'.repeat(500)}`);
      const holding = (await sample(registry))!;
      assert.ok(holding - before > 8 * 1024 * 1024, `holds ~10 MB: ${holding - before}`);
      assert.equal(held.length, 20_000);
      held = undefined;
      const after = (await sample(registry))!;
      assert.ok(after - before < 1024 * 1024, `let go: ${after - before}`);
    } finally {
      global.gc = had;
      gauge.close();
    }
  });
});
