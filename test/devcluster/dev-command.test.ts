import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyCrdDirectory, runDevCluster } from '../../src/cli/dev-command.js';
import { startTestCluster, until, type TestCluster } from './helpers.js';

const crdDir = join(import.meta.dirname, '..', '..', 'manifests', 'crds');

describe('keyferry dev', () => {
  let t: TestCluster;
  before(async () => { t = await startTestCluster(); });
  after(() => t.cluster.stop());

  it('creates every CRD in manifests/crds through the apiextensions endpoint and serves them', async function () {
    t.cluster.stats.reset();
    const names = await applyCrdDirectory(t.cluster, crdDir);
    if (names.length === 0) this.skip();
    assert.ok(names.includes('externalsecrets.keyferry.io'));
    assert.equal(t.cluster.stats.count('create', 'customresourcedefinitions'), names.length);
    const res = await fetch(`${t.cluster.url}/apis/keyferry.io/v1alpha1/namespaces/default/externalsecrets`);
    assert.equal(res.status, 200);
    // keyferry's CEL rules are enforced.
    const twoProviders = await fetch(`${t.cluster.url}/apis/keyferry.io/v1alpha1/namespaces/default/secretstores`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'keyferry.io/v1alpha1', kind: 'SecretStore', metadata: { name: 'two' }, spec: { provider: { fake: { data: [] }, vault: { server: 'http://v', path: 'secret', auth: { tokenSecretRef: { name: 't', key: 'k' } } } } } }),
    });
    assert.equal(twoProviders.status, 422);
    assert.match(((await twoProviders.json()) as { message: string }).message, /spec\.provider/);
    // Applying again replaces them; unchanged CRDs are not rewritten.
    const rv = t.cluster.resourceVersion;
    assert.deepEqual(await applyCrdDirectory(t.cluster, crdDir), names);
    assert.equal(t.cluster.resourceVersion, rv);
  });

  it('runs in the foreground, writes .keyferry/kubeconfig and stops cleanly when told to', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => { lines.push(args.join(' ')); };
    let code: number | undefined;
    try {
      const stop = new AbortController();
      const running = runDevCluster({ port: 0, operator: false, demo: false }, { signal: stop.signal }).then((c) => { code = c; });
      await until(() => lines.some((l) => l.includes('Ctrl-C')), 10_000, 'startup');
      const url = lines.find((l) => l.includes('listening on'))!.split(' ').pop()!;
      assert.equal((await fetch(`${url}/version`)).status, 200);
      assert.ok(lines.some((l) => l.includes('kubectl --kubeconfig .keyferry/kubeconfig get ns') || l.includes('.keyferry/kubeconfig get ns')));
      const kubeconfig = await readFile(join(import.meta.dirname, '..', '..', '.keyferry', 'kubeconfig'), 'utf8');
      assert.ok(kubeconfig.includes(url));
      stop.abort();
      await running;
    } finally {
      console.log = log;
    }
    assert.equal(code, 0);
  });
});
