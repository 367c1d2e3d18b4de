// Time as the fetch path's own layers see it (cache TTL, batch window, limiter slow-down),
// injected so tests drive it by hand. cockatiel keeps its own timers; tests of the retry
// and breaker layers drive those with Node's mock timers instead.
export interface FetchClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemFetchClock: FetchClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
