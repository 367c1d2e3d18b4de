// `keyferry check PATH...`: the bootstrap analysis of a Flux/kustomize tree (src/check/),
// printed as text or JSON, with exit codes for CI.
import { Command, InvalidArgumentError, Option, type CommanderError } from 'commander';
import { checkTree } from '../check/check.js';
import { formatReport, type OutputFormat } from '../check/report.js';
import { exitCodeOf, EXIT_ERRORS } from '../check/findings.js';

export interface CheckCommandOptions {
  output: OutputFormat;
  source: string[];
}

function outputFormat(value: string): OutputFormat {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError(`expected "text" or "json", got "${value}"`);
  return value;
}

function sourceList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/** A usage error exits 2, as errors found do, so that CI never reads it as "warnings only" (1). */
export function checkUsageExitCode(err: CommanderError): number {
  return err.exitCode === 0 ? 0 : EXIT_ERRORS;
}

export function addCheckCommand(program: Command, onExit: (code: Promise<number>) => void): void {
  program
    .command('check')
    .description('find bootstrap-order problems and plain-text Secrets in a Flux/kustomize tree; exits 0 clean, 1 warnings only, 2 errors')
    .argument('<path...>', 'files or directories; Flux Kustomization paths are read relative to the directory given')
    .option('--output <format>', 'text or json', outputFormat, 'text')
    .addOption(new Option('--source <names>', 'comma-separated Flux sources (GitRepository, OCIRepository, Bucket) that are this tree; Kustomizations of other sources are not read').argParser(sourceList).default(['flux-system'], 'flux-system'))
    .exitOverride((err) => process.exit(checkUsageExitCode(err)))
    .action((paths: string[], opts: CheckCommandOptions, command: Command) => {
      const findings = checkTree(paths, { sources: opts.source, cwd: process.cwd() });
      const out = command.configureOutput();
      (out.writeOut ?? ((s: string) => process.stdout.write(s)))(formatReport(findings, opts.output));
      onExit(Promise.resolve(exitCodeOf(findings)));
    });
}
