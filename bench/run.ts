// `make bench`: runs each benchmark as its own process, one after the other, so one
// benchmark's memory and timers cannot skew the next. Each prints its table and writes its
// JSON to bench/results/. By default the operator benchmark (every scenario, both fetch
// modes, ~9 min) and the dev cluster's (~1 min), which fit `make bench`'s 15 minutes; the
// others run by name, among them the same two on the real control plane (`real` runs both).
//
//   node --import tsx bench/run.ts [benchmark ...]
//   make bench BENCH="fetch-path fake-scale"
//   make bench BENCH=real
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// Script and arguments of each benchmark.
const scenarios: Record<string, [string, ...string[]]> = {
  devcluster: ['devcluster.ts'],
  'devcluster-real': ['devcluster.ts', '--cluster', 'real'],
  'fake-scale': ['fake-scale.ts'],
  'fetch-path': ['fetch-path.ts'],
  'aws-operator': ['aws-operator.ts'],
  'aws-operator-real': ['aws-operator.ts', '--cluster', 'real'],
  'reference-cache': ['reference-cache.ts'],
  'cache-bytes': ['cache-bytes.ts'],
  'watch-list-sync': ['watch-list-sync.ts'],
  'user-patterns': ['user-patterns.ts'],
  'tenant-stall': ['tenant-stall.ts'],
  faults: ['faults.ts'],
};
const groups: Record<string, string[]> = { real: ['devcluster-real', 'aws-operator-real'] };

const byDefault = ['aws-operator', 'devcluster'];
const wanted = (process.argv.slice(2).length ? process.argv.slice(2) : byDefault).flatMap((n) => groups[n] ?? [n]);
let failed = 0;
for (const name of wanted) {
  const [file, ...args] = scenarios[name] ?? [];
  if (file && !existsSync(join(import.meta.dirname, file))) {
    console.error(`scenario "${name}" (${file}) is not in this checkout; skipping it`);
    continue;
  }
  if (!file) {
    console.error(`unknown scenario "${name}"; known: ${[...Object.keys(scenarios), ...Object.keys(groups)].join(', ')}`);
    failed++;
    continue;
  }
  console.log(`\n== ${name} ==`);
  const code = await new Promise<number | null>((resolve) => {
    spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, file), ...args], { stdio: 'inherit' }).once('exit', resolve);
  });
  if (code !== 0) {
    console.error(`${name} failed (exit ${code})`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
