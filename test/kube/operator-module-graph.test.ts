// The operator talks to the API server through its own REST client: starting it must not load
// @kubernetes/client-node, whose entry point loads every generated API group and model
// (~26 MiB of heap). Only a kubeconfig with an exec plugin, auth provider or proxy loads it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

describe('operator module graph', function () {
  this.timeout(60_000);
  it('starts, syncs and stops without loading @kubernetes/client-node', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(here, 'support', 'operator-module-graph.ts')], { maxBuffer: 64 * 1024 * 1024 });
    const urls = JSON.parse(stdout) as string[];
    // The recording works: the operator's own client was loaded through it.
    assert.ok(urls.some((u) => u.endsWith('/src/kube/kube-http.ts')), `${urls.length} modules recorded`);
    assert.ok(urls.some((u) => u.endsWith('/src/cli/operator.ts')));
    assert.deepEqual(urls.filter((u) => u.includes('/node_modules/@kubernetes/client-node/')), []);
  });
});
