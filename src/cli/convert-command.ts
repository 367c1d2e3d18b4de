// `keyferry convert PATH...`: External Secrets Operator manifests to keyferry's (src/convert/),
// with a report of every field that did not carry over or changed meaning, and exit codes for CI.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError, type CommanderError } from 'commander';
import { loadKindSchemas } from '../convert/crd-schemas.js';
import { convertPaths, type OutputMode } from '../convert/convert-files.js';
import { EXIT_REFUSED, exitCodeOf } from '../convert/findings.js';
import type { StoreChecks } from '../convert/meaning-changes.js';
import type { FetchesMetadata } from '../convert/metadata-fetch.js';
import { formatReport, type ReportFormat } from '../convert/report.js';
import { displayPath } from '../convert/inputs.js';
import { providerRegistry } from './provider-registry.js';
import type { ProviderName } from '../../providers/contract/index.js';

export interface ConvertCommandOptions {
  stdout?: boolean;
  inPlace?: boolean;
  outDir?: string;
  alias?: boolean;
  reportFormat: ReportFormat;
}

function reportFormat(value: string): ReportFormat {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError(`expected "text" or "json", got "${value}"`);
  return value;
}

/** The operator's own checks of a provider block, so the report says what the operator would refuse. */
export const registryStoreChecks: StoreChecks = {
  ambientCredentials: (provider, config) => providerRegistry[provider as ProviderName]?.ambientCredentials(config),
  validateConfig: (provider, config, store) => providerRegistry[provider as ProviderName]?.validateConfig(config, store) ?? [],
};

/**
 * Whether keyferry's client for a provider block reads remote metadata (has `fetchMetadata`):
 * AWS (both services), GCP and Azure do; Vault only KV v2 (ESO's default version); 1Password and
 * fake do not. test/convert checks this against the clients the providers connect.
 */
export const registryFetchesMetadata: FetchesMetadata = (provider, config) => {
  if (!(provider in providerRegistry)) return undefined;
  if (provider === 'vault') return (config as { version?: unknown } | null)?.version !== 'v1';
  return provider === 'aws' || provider === 'gcpsm' || provider === 'azurekv';
};

/** A usage error exits 2, as a refusal does, so that CI never reads it as "warnings only" (1). */
export function convertUsageExitCode(err: CommanderError): number {
  return err.exitCode === 0 ? 0 : EXIT_REFUSED;
}

export function addConvertCommand(program: Command, onExit: (code: Promise<number>) => void, readStdin: () => string = () => readFileSync(0, 'utf8')): void {
  program
    .command('convert')
    .description('convert External Secrets Operator manifests to keyferry\'s and report what did not carry over; exits 0 clean, 1 warnings, 2 refused')
    .argument('<path...>', 'files, directories (every *.yaml and *.yml under them) or - for stdin (always written to stdout)')
    .option('--stdout', 'write every document read, converted or not, to stdout (the report goes to stderr)')
    .option('--in-place', 'overwrite each file in which an ESO object was converted')
    .option('--out-dir <dir>', 'write every YAML file read under <dir>, at its path relative to the argument it was found under')
    .option('--report-format <format>', 'text or json', reportFormat, 'text')
    .option('--alias', 'set target.versioning.alias: true on each ExternalSecret, so consumers keep the Secret\'s plain name')
    .exitOverride((err) => process.exit(convertUsageExitCode(err)))
    .action((paths: string[], opts: ConvertCommandOptions, command: Command) => {
      const out = command.configureOutput();
      const writeOut = out.writeOut ?? ((s: string) => process.stdout.write(s));
      const writeErr = out.writeErr ?? ((s: string) => process.stderr.write(s));
      const chosen = [opts.stdout && '--stdout', opts.inPlace && '--in-place', opts.outDir !== undefined && '--out-dir'].filter(Boolean);
      if (chosen.length > 1) {
        writeErr(`error: ${chosen.join(', ')} cannot be used together\n`);
        onExit(Promise.resolve(EXIT_REFUSED));
        return;
      }
      let schemas;
      try {
        schemas = loadKindSchemas();
      } catch (e) {
        writeErr(`error: ${(e as Error).message}\n`);
        onExit(Promise.resolve(EXIT_REFUSED));
        return;
      }
      const cwd = process.cwd();
      const mode: OutputMode = opts.stdout ? { kind: 'stdout' } : opts.inPlace ? { kind: 'in-place' } : opts.outDir !== undefined ? { kind: 'out-dir', dir: resolve(cwd, opts.outDir) } : { kind: 'sibling' };
      const run = convertPaths(paths, { schemas, mode, cwd, readStdin, alias: opts.alias === true, storeChecks: registryStoreChecks, fetchesMetadata: registryFetchesMetadata });
      for (const output of run.outputs) {
        if (output.path === undefined) {
          writeOut(output.text);
          continue;
        }
        try {
          mkdirSync(dirname(output.path), { recursive: true });
          writeFileSync(output.path, output.text);
        } catch (e) {
          run.findings.push({ severity: 'refused', file: displayPath(cwd, output.path), line: 1, message: `cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
        }
      }
      const report = formatReport(run.findings, run, opts.reportFormat);
      // Manifests on stdout keep it a clean YAML stream: the report goes to stderr.
      (mode.kind === 'stdout' || paths.includes('-') ? writeErr : writeOut)(report);
      onExit(Promise.resolve(exitCodeOf(run.findings)));
    });
}
