import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/main.js';

/** Parses `keyferry run ...` without starting anything; returns the error text or the options. */
async function parseRun(args: string[]): Promise<{ error?: string; started: boolean }> {
  let started = false;
  const program = buildProgram(() => { started = true; });
  let errorText = '';
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeErr: (text) => { errorText += text; }, writeOut: () => undefined });
  }
  try {
    await program.parseAsync(['run', ...args], { from: 'user' });
    return { started };
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { error: errorText || e.message, started };
  }
}

describe('keyferry run options', () => {
  it('rejects a shard index outside the shard count, naming the valid range', async () => {
    const result = await parseRun(['--shard-index', '2', '--shard-count', '2']);
    assert.equal(result.started, false);
    assert.match(result.error!, /--shard-index 2 is out of range for --shard-count 2 \(0 to 1\)/);
    assert.match((await parseRun(['--shard-count', '0'])).error!, /--shard-count must be at least 1/);
  });

  it('accepts only the known fetch modes', async () => {
    const result = await parseRun(['--fetch-mode', 'fast']);
    assert.equal(result.started, false);
    assert.match(result.error!, /expected "shared" or "direct", got "fast"/);
  });
});
