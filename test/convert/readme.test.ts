// README "Migrating from ESO" says what `keyferry convert` does: its report example is the
// converter's real output on the corpus, and every flag it names is one the command takes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { loadKindSchemas } from '../../src/convert/crd-schemas.js';
import { convertPaths } from '../../src/convert/convert-files.js';
import { formatReport } from '../../src/convert/report.js';
import { registryStoreChecks } from '../../src/cli/convert-command.js';

const root = join(import.meta.dirname, '..', '..');

function section(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Migrating from ESO\n');
  assert.ok(start >= 0, 'README has a "Migrating from ESO" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README: Migrating from ESO', () => {
  it('the report example is what the converter prints for those corpus files', () => {
    const block = /```text\n([\s\S]*?)```/.exec(section())?.[1];
    assert.ok(block, 'a text block with the report');
    const files = [...new Set([...block.matchAll(/^([\w./-]+\.yaml):\d+:/gm)].map((m) => m[1]!))];
    const run = convertPaths(files, {
      schemas: loadKindSchemas(join(root, 'manifests', 'crds')), mode: { kind: 'stdout' }, cwd: join(root, 'test', 'convert', 'corpus'),
      alias: false, storeChecks: registryStoreChecks, readStdin: () => '',
    });
    assert.equal(formatReport(run.findings, run), block);
  });

  it('every flag it names is an option of keyferry convert', () => {
    const convert = buildProgram(() => undefined).commands.find((c) => c.name() === 'convert')!;
    const known = new Set(convert.options.map((o) => o.long));
    const named = new Set([...section().matchAll(/keyferry convert((?: --?[\w-]+(?: [\w./-]+)?)*)/g)].flatMap((m) => m[1]!.match(/--[\w-]+/g) ?? []));
    assert.ok(named.size >= 4, `flags found: ${[...named].join(' ')}`);
    for (const flag of named) assert.ok(known.has(flag), `${flag} is not an option of keyferry convert`);
  });
});
