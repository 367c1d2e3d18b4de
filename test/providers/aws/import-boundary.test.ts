// The lint rule that keeps the aws provider on its side of the boundary: it may import the
// provider contract, its own SDK and node: builtins, nothing else.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('aws provider import boundary (lint)', function () {
  this.timeout(60_000);
  const eslint = new ESLint({ cwd: repoRoot });

  async function restricted(code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(repoRoot, 'providers', 'aws', 'probe.ts') });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  it('passes every file of providers/aws', async () => {
    const results = await eslint.lintFiles([join(repoRoot, 'providers', 'aws')]);
    assert.ok(results.length >= 4);
    assert.deepEqual(results.flatMap((r) => r.messages.map((m) => `${r.filePath}: ${m.ruleId}: ${m.message}`)), []);
  });

  it('accepts the contract, its own SDK and node builtins', async () => {
    assert.deepEqual(await restricted("import { NotFoundError } from '../contract/index.js';\nimport '@aws-sdk/client-secrets-manager';\nimport { createHash } from 'node:crypto';\nexport { NotFoundError, createHash };\n"), []);
  });

  it('refuses core modules, another provider, another SDK and injected libraries', async () => {
    for (const bad of ['../../src/fetch/remote-fetcher.js', '../fake/index.js', '../contract/errors.js', 'node-vault', '@kubernetes/client-node', 'prom-client', 'bottleneck']) {
      assert.equal((await restricted(`import '${bad}';\n`)).length, 1, `${bad} should be refused`);
    }
  });
});
