// Seed and size of a fuzz run, printed so that any run can be replayed:
//   FUZZ_SEED=<seed> [FUZZ_PATH=<path from a failure>] npx mocha test/fuzz/<file>
// FUZZ_RUNS sets the number of cases (make fuzz runs 10 000 per suite).
export interface FuzzSettings {
  seed: number;
  runs: number;
  path?: string;
}

export function fuzzSettings(suite: string, defaultRuns: number): FuzzSettings {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
  const runs = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : defaultRuns;
  const path = process.env.FUZZ_PATH || undefined;
  console.log(`    fuzz ${suite}: seed ${seed}, ${runs} cases (replay: FUZZ_SEED=${seed}${path ? ` FUZZ_PATH=${path}` : ''})`);
  return { seed, runs, path };
}
