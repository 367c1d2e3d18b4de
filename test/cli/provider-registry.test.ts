import assert from 'node:assert/strict';
import type { Provider, ProviderClient } from '../../providers/contract/index.js';
import { deferredProvider, providerRegistry, type DeferredProvider } from '../../src/cli/provider-registry.js';

const store = { kind: 'SecretStore' as const, name: 's', namespace: 'n' };

function fakeModule(): Provider {
  return {
    name: 'fake',
    defaultRateLimit: { requestsPerSecond: 7, burst: 8, maxConcurrent: 9 },
    validateConfig: () => [],
    endpointIdentity: () => 'fake:endpoint',
    ambientCredentials: () => undefined,
    connect: async () => ({ validate: async () => ({ warnings: [] }), fetch: async () => { throw new Error('unused'); }, close: async () => undefined }) as ProviderClient,
  };
}

describe('provider registry', () => {
  it('imports a provider module once, on the first connect, however many stores connect at once', async () => {
    let imports = 0;
    const provider = deferredProvider('fake', () => [], async () => {
      imports++;
      return fakeModule();
    });
    assert.equal(imports, 0);
    assert.deepEqual(provider.validateConfig({}, store), []);
    assert.equal(imports, 0, 'validating a config loads nothing');
    await Promise.all([provider.connect({}, {} as never), provider.connect({}, {} as never)]);
    assert.equal(imports, 1);
    assert.equal(provider.endpointIdentity({}, store), 'fake:endpoint');
    assert.deepEqual(provider.defaultRateLimit, { requestsPerSecond: 7, burst: 8, maxConcurrent: 9 });
  });

  it('retries a failed import at the next connect', async () => {
    let attempt = 0;
    const provider = deferredProvider('fake', () => [], async () => {
      if (++attempt === 1) throw new Error('import failed');
      return fakeModule();
    });
    await assert.rejects(provider.connect({}, {} as never), /import failed/);
    await provider.connect({}, {} as never);
    assert.equal(attempt, 2);
  });

  it('says so when read before the module is loaded, rather than guessing', () => {
    const provider = deferredProvider('fake', () => [], async () => fakeModule());
    assert.throws(() => provider.defaultRateLimit, /not loaded yet/);
    assert.throws(() => provider.endpointIdentity({}, store), /not loaded yet/);
  });

  it('each registered provider loads the module of its name, with the same validation', async () => {
    for (const [name, entry] of Object.entries(providerRegistry)) {
      const loaded = await (entry as DeferredProvider).load();
      assert.equal(loaded.name, name);
      assert.deepEqual(entry.validateConfig({}, store), loaded.validateConfig({}, store), name);
      assert.deepEqual(entry.defaultRateLimit, loaded.defaultRateLimit, name);
    }
  });

  it('every provider says which configs use the operator\'s ambient credentials, and refuses them at connect where they are not allowed', async () => {
    // Per provider, a config naming no credentials of its own (none exists for Vault and 1Password).
    const withoutCredentials: Record<string, unknown> = {
      aws: { region: 'us-east-1' },
      gcpsm: { projectID: 'p' },
      azurekv: { vaultUrl: 'https://example.vault.azure.net', authType: 'ManagedIdentity' },
      vault: { server: 'http://127.0.0.1:1', auth: { tokenSecretRef: { name: 't', key: 'k' } } },
      onepassword: { connectHost: 'http://127.0.0.1:1', vaults: { v: 1 }, auth: { secretRef: { connectTokenSecretRef: { name: 't', key: 'k' } } } },
      fake: { data: [] },
    };
    const ambient: string[] = [];
    for (const [name, entry] of Object.entries(providerRegistry)) {
      assert.ok(name in withoutCredentials, `add a config without credentials for provider "${name}" to this test`);
      const config = withoutCredentials[name];
      const loaded = await (entry as DeferredProvider).load();
      assert.equal(entry.ambientCredentials(config), loaded.ambientCredentials(config), name);
      if (!loaded.ambientCredentials(config)) continue;
      ambient.push(name);
      const deps = { store, allowAmbientCredentials: false } as never;
      await assert.rejects(loaded.connect(config, deps), (e: unknown) => (e as { reason?: string }).reason === 'AmbientCredentialsNotAllowed' && /the operator's own/.test((e as Error).message), name);
    }
    assert.deepEqual(ambient.sort(), ['aws', 'azurekv', 'gcpsm']);
  });
});
