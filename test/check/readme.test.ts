import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../../src/cli/main.js';
import { checkUsageExitCode } from '../../src/cli/check-command.js';
import { checkTree } from '../../src/check/check.js';
import { formatReport } from '../../src/check/report.js';
import { EXIT_CLEAN, EXIT_ERRORS, EXIT_WARNINGS, RULE_IDS } from '../../src/check/findings.js';
import { runCli } from '../support/run-cli.js';

const runCheckCli = (args: string[]) => runCli('check', args);

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const clean = join(root, 'test', 'fixtures', 'check', 'clean');
const planted = join(root, 'test', 'fixtures', 'check', 'planted');

function section(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Bootstrap checks\n');
  assert.ok(start >= 0, 'README has a "Bootstrap checks" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

function codeBlocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

const STOP = new Set(['||', '|', '>', '&&', '#', ';']);

/** The arguments after `check` in a shell line, up to a redirection or another command. */
function checkArgs(line: string): string[] | undefined {
  const m = /(?:^|\s)check((?:\s+\S+)*)\s*$/.exec(line);
  if (!m) return undefined;
  const out: string[] = [];
  for (const token of m[1]!.trim().split(/\s+/)) {
    if (STOP.has(token)) break;
    if (token !== '') out.push(token);
  }
  return out;
}

/** Every `keyferry check` invocation in the section's examples: shell lines, workflow steps and the pre-commit hook. */
function invocations(): { where: string; args: string[] }[] {
  const text = section();
  const found: { where: string; args: string[] }[] = [];
  for (const block of codeBlocks(text, 'sh')) {
    for (const line of block.split('\n')) {
      const args = checkArgs(line.replace(/#.*$/, ''));
      if (args) found.push({ where: line, args });
    }
  }
  for (const block of codeBlocks(text, 'yaml')) {
    const doc = parseYaml(block) as Record<string, unknown>;
    const jobs = (doc.jobs ?? {}) as Record<string, { steps: { run?: string }[] }>;
    for (const job of Object.values(jobs)) {
      for (const step of job.steps) {
        for (const line of (step.run ?? '').split('\n')) {
          const args = checkArgs(line);
          if (args) found.push({ where: line, args });
        }
      }
    }
    const repos = (doc.repos ?? []) as { hooks: { entry: string; args?: string[] }[] }[];
    for (const hook of repos.flatMap((r) => r.hooks)) {
      if (/\scheck$/.test(hook.entry)) found.push({ where: hook.entry, args: hook.args ?? [] });
    }
  }
  return found;
}

describe('README: Bootstrap checks is true to the CLI', () => {
  it('uses only flags that `keyferry check` has, and each example runs', async () => {
    const check = buildProgram(() => undefined).commands.find((c) => c.name() === 'check');
    assert.ok(check, 'the program has a check command');
    const flags = new Set(check.options.map((o) => o.long));
    const found = invocations();
    assert.equal(found.length, 5, 'two shell lines, two workflow steps and the pre-commit hook');
    for (const { where, args } of found) {
      for (const a of args.filter((x) => x.startsWith('--'))) assert.ok(flags.has(a), `${a} in "${where}" is an option of keyferry check`);
      const run = await runCheckCli(args.map((a) => (a === '.' ? clean : a)));
      assert.equal(run.code, EXIT_CLEAN, `"${where}" on the clean tree: ${run.err}`);
    }
  });

  it('documents the exit codes the command returns', () => {
    const rows = new Map([...section().matchAll(/^\| `(\d)` \| ([^|]+) \|$/gm)].map((m) => [Number(m[1]), m[2]!.trim()]));
    assert.deepEqual([...rows.keys()].sort(), [EXIT_CLEAN, EXIT_WARNINGS, EXIT_ERRORS]);
    assert.equal(rows.get(EXIT_CLEAN), 'nothing found');
    assert.equal(rows.get(EXIT_WARNINGS), 'warnings only');
    assert.match(rows.get(EXIT_ERRORS)!, /^at least one error, or the command line was wrong$/);
    assert.equal(checkUsageExitCode(new CommanderError(1, 'commander.unknownOption', 'unknown option')), EXIT_ERRORS);
    assert.equal(checkUsageExitCode(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')), EXIT_CLEAN);
    assert.match(section(), new RegExp(`test "\\$status" -le ${EXIT_WARNINGS}\\n`), 'the workflow passes on warnings and fails on errors');
  });

  it('lists every rule with the severity it reports', () => {
    const rows = new Map([...section().matchAll(/^\| `([a-z-]+)` \| (error|warning) \|/gm)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual([...rows.keys()].sort(), [...RULE_IDS].sort());
    for (const f of checkTree(['.'], { sources: ['flux-system'], cwd: planted })) assert.equal(rows.get(f.rule), f.severity, f.rule);
  });

  it('shows output that the planted tree really gives', () => {
    const sample = codeBlocks(section(), 'text');
    assert.equal(sample.length, 1);
    const actual = formatReport(checkTree(['.'], { sources: ['flux-system'], cwd: planted }), 'text').split('\n');
    for (const line of sample[0]!.trimEnd().split('\n')) assert.ok(actual.includes(line), `not in the output: ${line}`);
  });
});
