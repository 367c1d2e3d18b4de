// The SSM client (~1.7 MiB of heap and ~7 MiB of RSS once loaded) is imported by the first
// Parameter Store store's connect, not with the AWS provider: an install that only uses
// Secrets Manager never loads it. parameter-store.test.ts connects through that import.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

describe('aws provider module graph', function () {
  this.timeout(60_000);
  it('imports the Secrets Manager client with the provider, and not the SSM client', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(here, 'support', 'aws-module-graph.ts')], { maxBuffer: 64 * 1024 * 1024 });
    const urls = JSON.parse(stdout) as string[];
    assert.ok(urls.some((u) => u.endsWith('/providers/aws/index.ts')), `${urls.length} modules recorded`);
    assert.ok(urls.some((u) => u.includes('/node_modules/@aws-sdk/client-secrets-manager/')));
    assert.deepEqual(urls.filter((u) => u.includes('/node_modules/@aws-sdk/client-ssm/') || u.endsWith('/providers/aws/parameter-store.ts')), []);
  });
});
