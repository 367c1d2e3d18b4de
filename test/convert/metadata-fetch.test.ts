// What `keyferry convert` says about metadataPolicy Fetch must be what the operator does: the
// converter's view of which provider blocks read metadata agrees with the clients the providers
// connect (ProviderClient.fetchMetadata, which the operator checks before any call).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadKindSchemas } from '../../src/convert/crd-schemas.js';
import { convertPaths } from '../../src/convert/convert-files.js';
import { formatFinding } from '../../src/convert/report.js';
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

describe('keyferry convert: metadataPolicy Fetch and the store named', () => {
  const root = join(import.meta.dirname, '..', '..');
  const schemas = loadKindSchemas(join(root, 'manifests', 'crds'));
  const run = (text: string) => convertPaths(['-'], { schemas, mode: { kind: 'stdout' }, cwd: root, alias: true, readStdin: () => text, fetchesMetadata: registryFetchesMetadata })
    .findings.filter((f) => f.field?.endsWith('metadataPolicy')).map(formatFinding);
  const store = (kind: string, name: string, ns: string | undefined, provider: string) => `apiVersion: external-secrets.io/v1
kind: ${kind}
metadata: { name: ${name}${ns ? `, namespace: ${ns}` : ''} }
spec: { provider: { ${provider} } }
---
`;
  const fetch = '{ secretKey: tags, remoteRef: { key: k, metadataPolicy: Fetch } }';
  const why = (what: string) => `keyferry reads no metadata from ${what}, so it refuses this ExternalSecret (Ready=False, InvalidSpec): Fetch reads AWS Secrets Manager and Parameter Store tags, GCP Secret Manager labels and annotations, Vault KV v2 custom_metadata and Azure Key Vault tags`;

  it('a ClusterExternalSecret\'s template asking Fetch from a fake ClusterSecretStore is warned at its field', () => {
    assert.deepEqual(run(`${store('ClusterSecretStore', 'demo', undefined, 'fake: { data: [] }')}apiVersion: external-secrets.io/v1
kind: ClusterExternalSecret
metadata: { name: everywhere }
spec:
  namespaceSelectors: [{ matchLabels: { team: a } }]
  externalSecretSpec:
    secretStoreRef: { kind: ClusterSecretStore, name: demo }
    data: [${fetch}]
`), [`<stdin>:13: warning: ClusterExternalSecret everywhere: spec.externalSecretSpec.data[0].remoteRef.metadataPolicy: ${why('ClusterSecretStore demo (provider fake)')}`]);
  });

  it('a SecretStore is the one of the ExternalSecret\'s namespace; one of another namespace, or a store that reads metadata, says nothing', () => {
    const es = (ns: string) => `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: { name: app, namespace: ${ns} }
spec:
  secretStoreRef: { name: s }
  data: [${fetch}]
`;
    const stores = store('SecretStore', 's', 'a', 'vault: { server: "https://v:8200", path: kv, version: v1, auth: { tokenSecretRef: { name: t, key: t } } }')
      + store('SecretStore', 's', 'b', 'aws: { region: us-east-1, auth: { secretRef: { accessKeyIDSecretRef: { name: c, key: id }, secretAccessKeySecretRef: { name: c, key: s } } } }');
    assert.deepEqual(run(stores + es('a')), [`<stdin>:16: warning: ExternalSecret app: spec.data[0].remoteRef.metadataPolicy: ${why('SecretStore s (provider vault)')}`]);
    assert.deepEqual(run(stores + es('b')), []);
    assert.deepEqual(run(stores + es('c')), [], 'no store of that namespace among the inputs: not guessed at');
  });
});
