import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { shardIndexFromPodName } from '../../src/cli/run-command.js';

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

  it('takes the shard from a StatefulSet pod name only when asked, and only one way', async () => {
    assert.equal(shardIndexFromPodName('keyferry-2'), 2);
    assert.equal(shardIndexFromPodName('keyferry-shard-10'), 10);
    assert.match(String(shardIndexFromPodName('keyferry-7d9f8b-x2x4z')), /does not end in a StatefulSet ordinal/);
    assert.match(String(shardIndexFromPodName(undefined)), /POD_NAME is not set/);
    const saved = process.env.POD_NAME;
    try {
      process.env.POD_NAME = 'keyferry-3';
      const outOfRange = await parseRun(['--shard-index-from-pod-name', '--shard-count', '3']);
      assert.equal(outOfRange.started, false);
      assert.match(outOfRange.error!, /--shard-index 3 is out of range for --shard-count 3/);
      assert.match((await parseRun(['--shard-index-from-pod-name', '--shard-index', '1', '--shard-count', '3'])).error!, /either --shard-index or --shard-index-from-pod-name/);
      process.env.POD_NAME = 'keyferry-7d9f8b-x2x4z';
      assert.match((await parseRun(['--shard-index-from-pod-name', '--shard-count', '3'])).error!, /does not end in a StatefulSet ordinal/);
    } finally {
      if (saved === undefined) delete process.env.POD_NAME;
      else process.env.POD_NAME = saved;
    }
  });

  it('takes a metrics certificate directory only for secure metrics', async () => {
    const result = await parseRun(['--metrics-cert-dir', '/certs']);
    assert.equal(result.started, false);
    assert.match(result.error!, /--metrics-cert-dir needs --metrics-secure/);
  });

  it('accepts only the known fetch modes', async () => {
    const result = await parseRun(['--fetch-mode', 'fast']);
    assert.equal(result.started, false);
    assert.match(result.error!, /expected "shared" or "direct", got "fast"/);
  });

  it('takes the rollout debounce in seconds and refuses a longest delay shorter than the quiet time', async () => {
    assert.equal((await parseRun(['--rollout-debounce', '0.5', '--rollout-max-delay', '2', '--kubeconfig', '/nonexistent'])).error, undefined);
    const bad = await parseRun(['--rollout-debounce', '10', '--rollout-max-delay', '5']);
    assert.equal(bad.started, false);
    assert.match(bad.error!, /--rollout-max-delay \(5\) must be at least --rollout-debounce \(10\)/);
    assert.match((await parseRun(['--rollout-debounce', '0'])).error!, /--rollout-debounce/);
  });

  it('takes the tenant-isolation flags and refuses a selector it cannot read', async () => {
    assert.equal((await parseRun(['--allow-ambient-credentials-in-secretstores', '--api-audiences', 'a,b', '--store-service-account-selector', 'keyferry.io/store-identity=true', '--reconcile-timeout', '10', '--shutdown-grace', '5', '--kubeconfig', '/nonexistent'])).error, undefined);
    const bad = await parseRun(['--store-service-account-selector', 'a=1,=2']);
    assert.equal(bad.started, false);
    assert.match(bad.error!, /--store-service-account-selector: "=2" is not a label selector term/);
  });
});
