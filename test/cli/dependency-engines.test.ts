// The SDKs are pinned to releases that run on every Node version package.json promises:
// exact versions for the AWS SDK (whose releases from 2027 need Node 22), and every installed
// @aws-sdk/@smithy package declaring an engines range that the oldest promised Node meets.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string }; dependencies: Record<string, string> };
const minimum = (range: string) => Number(/>=\s*(\d+)/.exec(range)?.[1]);

describe('dependencies and the Node versions keyferry promises', () => {
  it('pins the AWS SDK packages to exact versions', () => {
    const aws = Object.entries(pkg.dependencies).filter(([name]) => name.startsWith('@aws-sdk/'));
    assert.ok(aws.length > 0);
    for (const [name, range] of aws) assert.match(range, /^\d+\.\d+\.\d+$/, name);
  });

  it('installs only AWS SDK and Smithy packages whose engines accept the oldest promised Node', () => {
    const oldest = minimum(pkg.engines.node);
    assert.ok(oldest >= 20);
    let checked = 0;
    for (const scope of ['@aws-sdk', '@smithy']) {
      for (const name of readdirSync(join(root, 'node_modules', scope))) {
        const engines = (JSON.parse(readFileSync(join(root, 'node_modules', scope, name, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node;
        if (engines === undefined) continue;
        checked++;
        assert.ok(minimum(engines) <= oldest, `${scope}/${name} needs node ${engines}`);
      }
    }
    assert.ok(checked > 10);
  });
});
