// Time as the fetch path's own layers see it (cache TTL, batch window, limiter slow-down),
// injected so tests drive it by hand. cockatiel keeps its own timers; tests of the retry
// and breaker layers drive those with Node's mock timers instead.
export interface FetchClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Everything the fetch path times is a duration (a cached read's age, a wait, a reading
 * rhythm), so its clock is monotonic, on the epoch's scale: a wall clock stepped back must not
 * make a cached "latest" read look fresh for the length of the step.
 */
export const systemFetchClock: FetchClock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
