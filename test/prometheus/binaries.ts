// Finds Prometheus's binaries (Debian's `prometheus` package puts them in /usr/bin; .ci/run
// installs it) on PATH, failing with what to install when they are missing.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findOnPath(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat('/usr/bin')) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} not found on PATH: install Debian's prometheus package (apt-get install prometheus; .ci/run does)`);
}
