// Runs fn(0) … fn(n − 1) with at most `concurrency` in flight; resolves to the elapsed milliseconds.

export async function runPool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) await fn(next++);
  }));
  return performance.now() - start;
}
