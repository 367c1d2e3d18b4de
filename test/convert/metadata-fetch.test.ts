// What `keyferry convert` says about metadataPolicy Fetch must be what the operator does: the
// converter's view of which provider blocks read metadata agrees with the clients the providers
// connect (ProviderClient.fetchMetadata, which the operator checks before any call).
import assert from 'node:assert/strict';
import { registryFetchesMetadata } from '../../src/cli/convert-command.js';
import { providerRegistry } from '../../src/cli/provider-registry.js';
import { AzureKeyVaultClient } from '../../providers/azurekv/index.js';
import { GcpSecretManagerClient } from '../../providers/gcpsm/index.js';
import type { ProviderName } from '../../providers/contract/index.js';
import { makeTestDeps } from '../support/aws/provider-deps.js';

const credentials = { 'team-a/creds': { id: 'AKIAKEYFERRYCONVERT1', secret: 'not-a-real-secret-key', token: 'not-a-real-token' } };

/** Provider blocks that connect without calling anything (clients log in lazily). */
const blocks: Array<{ provider: ProviderName; config: Record<string, unknown> }> = [
  { provider: 'aws', config: { region: 'us-east-1', auth: { secretRef: { accessKeyIDSecretRef: { name: 'creds', key: 'id' }, secretAccessKeySecretRef: { name: 'creds', key: 'secret' } } } } },
  { provider: 'aws', config: { service: 'ParameterStore', region: 'us-east-1', auth: { secretRef: { accessKeyIDSecretRef: { name: 'creds', key: 'id' }, secretAccessKeySecretRef: { name: 'creds', key: 'secret' } } } } },
  { provider: 'vault', config: { server: 'https://vault.invalid:8200', path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'creds', key: 'token' } } } },
  { provider: 'vault', config: { server: 'https://vault.invalid:8200', path: 'secret', auth: { tokenSecretRef: { name: 'creds', key: 'token' } } } },
  { provider: 'vault', config: { server: 'https://vault.invalid:8200', path: 'kv', version: 'v1', auth: { tokenSecretRef: { name: 'creds', key: 'token' } } } },
  { provider: 'onepassword', config: { connectHost: 'https://connect.invalid', vaults: { prod: 1 }, auth: { secretRef: { connectTokenSecretRef: { name: 'creds', key: 'token' } } } } },
  { provider: 'fake', config: { data: [{ key: 'k', value: 'v' }] } },
];

describe('keyferry convert: which stores read metadata', () => {
  for (const { provider, config } of blocks) {
    it(`${provider} ${JSON.stringify(config.service ?? config.version ?? '')}: the converter agrees with the connected client`, async () => {
      const client = await providerRegistry[provider]!.connect(config, makeTestDeps({ secrets: credentials }));
      try {
        assert.equal(registryFetchesMetadata(provider, config), typeof client.fetchMetadata === 'function');
      } finally {
        await client.close();
      }
    });
  }

  it('gcpsm and azurekv clients read metadata whatever their config; a provider keyferry lacks is unknown', () => {
    assert.equal(typeof GcpSecretManagerClient.prototype.fetchMetadata, 'function');
    assert.equal(typeof AzureKeyVaultClient.prototype.fetchMetadata, 'function');
    assert.equal(registryFetchesMetadata('gcpsm', {}), true);
    assert.equal(registryFetchesMetadata('azurekv', {}), true);
    assert.equal(registryFetchesMetadata('doppler', {}), undefined);
  });
});
