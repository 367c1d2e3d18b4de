// Drives a `keyferry` subcommand through the program's own command line, in process: returns
// what it printed and the exit code it resolved to.
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runCli(subcommand: string, args: string[]): Promise<CliResult> {
  let result: Promise<number> = Promise.resolve(0);
  const program = buildProgram((code) => { result = code; });
  let out = '';
  let err = '';
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeOut: (text) => { out += text; }, writeErr: (text) => { err += text; } });
  }
  try {
    await program.parseAsync([subcommand, ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { code: e.exitCode, out, err };
  }
  return { code: await result, out, err };
}
