// Preloaded into the operator process (`node --import`) by the fault matrix to jump its wall
// clock forward and back while it runs, as a node whose clock is stepped would. Date.now()
// and `new Date()` read the real time plus an offset in ms that the benchmark writes to the
// file named by KEYFERRY_CLOCK_OFFSET_FILE (read every 100 ms). Timers (setTimeout) and
// performance.now() stay monotonic, as they are when a real clock steps; so do OpenSSL's
// certificate checks and anything else outside JavaScript, which see the real time.
import { readFileSync } from 'node:fs';

const file = process.env.KEYFERRY_CLOCK_OFFSET_FILE;
if (file) {
  const RealDate = Date;
  let offset = 0;
  const read = () => {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(n)) offset = n;
    } catch {
      // No file yet: no offset.
    }
  };
  read();
  setInterval(read, 100).unref();
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }

    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate;
}
