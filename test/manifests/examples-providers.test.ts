import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { providerRegistry } from '../../src/cli/provider-registry.js';
import type { ProviderName, StoreIdentity } from '../../providers/contract/index.js';
import type { SecretStore, ClusterSecretStore } from '../../src/api/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : f.endsWith('.yaml') ? [p] : [];
  });
}

// The CRDs and the providers describe the same provider blocks; every example store the
// CRDs accept (test/api/crds.test.ts) must also pass its provider's own validation.
describe('example stores pass their provider\'s validation', () => {
  const stores = yamlFiles(join(root, 'manifests', 'examples')).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as SecretStore | ClusterSecretStore)
      .filter((o) => o?.kind === 'SecretStore' || o?.kind === 'ClusterSecretStore')
      .map((store) => ({ file: relative(root, file), store })));

  it('finds example stores', () => assert.ok(stores.length >= 8));

  for (const { file, store } of stores) {
    const [name, config] = Object.entries(store.spec.provider)[0] as [ProviderName, unknown];
    it(`${file}: ${store.kind}/${store.metadata.name} (${name})`, function () {
      const provider = providerRegistry[name];
      if (!provider) this.skip(); // not registered in this build yet
      const identity: StoreIdentity = { kind: store.kind, name: store.metadata.name!, namespace: store.metadata.namespace };
      assert.deepEqual(provider.validateConfig(config, identity), []);
    });
  }
});
