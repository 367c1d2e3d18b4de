// The clock and timers the queue uses, injected so tests drive time by hand. Their clock
// measures delays, so it is monotonic: what is written for people (status) uses the wall clock.
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The longest delay setTimeout honours (2^31 - 1 ms, ~24.8 days); Node fires longer ones after 1 ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A timer as the platform offers it, before clamping. */
export interface PlatformTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface ChainedHandle {
  current: unknown;
}

/**
 * Timers that take any delay: negative and NaN become 0, and a delay beyond what the
 * platform honours is served as a chain of shorter timers (Infinity never fires). Passing
 * 720h straight to setTimeout would fire after 1 ms, over and over.
 */
export function chainedTimers(platform: PlatformTimers, now: () => number, maxDelayMs = MAX_TIMER_DELAY_MS): Timers {
  return {
    now,
    setTimeout(fn, ms) {
      const handle: ChainedHandle = { current: undefined };
      let remaining = ms > 0 ? ms : 0;
      const arm = () => {
        const step = Math.min(remaining, maxDelayMs);
        remaining -= step;
        handle.current = platform.setTimeout(remaining > 0 ? arm : fn, step);
      };
      arm();
      return handle;
    },
    clearTimeout(h) {
      const handle = h as ChainedHandle | undefined;
      if (handle?.current !== undefined) platform.clearTimeout(handle.current);
    },
  };
}

/**
 * Milliseconds on a clock that only moves forward with real time, on the epoch's scale (the
 * wall clock at process start plus the time elapsed since). A wall clock stepped back or
 * forward moves neither the delays measured with it nor the timers armed from it.
 */
export const monotonicNow = (): number => performance.timeOrigin + performance.now();

export const systemTimers: Timers = chainedTimers({
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending requeue must not keep the process alive on shutdown.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}, monotonicNow);
