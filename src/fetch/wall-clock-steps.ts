// Notices the wall clock stepping back: the difference between Date.now() and the monotonic
// performance.now() moves only when the wall clock is set (or drifts). Parts that time
// themselves with Date.now() (bottleneck's buckets, cockatiel's breakers) ask it before use.

/** How far the wall clock must step back to count. */
const STEP_BACK_MS = 1_000;
const wallLessMonotonic = () => Date.now() - performance.now();

export class WallClockSteps {
  private base = wallLessMonotonic();

  /** True once for each step back of more than a second since the last call. */
  steppedBack(): boolean {
    const base = wallLessMonotonic();
    if (base >= this.base - STEP_BACK_MS) {
      // Forward steps and slow drift are followed, not reported.
      if (base > this.base) this.base = base;
      return false;
    }
    this.base = base;
    return true;
  }
}
