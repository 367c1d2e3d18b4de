// The Vault provider over HTTPS: the server's certificate is verified against caBundle or
// caProvider, and refused without them (TLS is never skipped).
import assert from 'node:assert/strict';
import { createVaultProvider, type VaultConfig } from '../../../providers/vault/index.js';
import { isConfigError, selectProperty, type ProviderClient } from '../../../providers/contract/index.js';
import { VaultTestServer } from '../../support/vault/vault-server.js';
import { createLoopbackCertificate, type LoopbackCertificate } from '../../support/vault/loopback-certificate.js';
import { makeTestDeps } from '../../support/aws/provider-deps.js';

describe('vault provider over TLS (wire)', () => {
  const provider = createVaultProvider({ requestTimeoutMs: 3000 });
  let tls: LoopbackCertificate;
  let server: VaultTestServer;
  let token: string;
  const clients: ProviderClient[] = [];

  before(async () => {
    tls = await createLoopbackCertificate();
    server = new VaultTestServer({ tls });
    await server.start();
    token = server.createToken();
    server.enableKv('secret', 2).write('app', { value: 'over-tls' });
  });

  after(async () => {
    for (const c of clients) await c.close();
    await server.close();
  });

  const deps = () => makeTestDeps({ secrets: { 'team-a/t': { token } }, configMaps: { 'team-a/ca': { 'ca.crt': tls.cert } } });
  const config = (extra: Partial<VaultConfig>): VaultConfig => ({ server: server.url, path: 'secret', auth: { tokenSecretRef: { name: 't', key: 'token' } }, ...extra });
  const connect = async (c: VaultConfig) => {
    const client = await provider.connect(c, deps());
    clients.push(client);
    return client;
  };

  it('verifies the server against caBundle and reports no plaintext warning', async () => {
    assert.match(server.url, /^https:/);
    const client = await connect(config({ caBundle: tls.caBundle }));
    assert.deepEqual(await client.validate(), { warnings: [] });
    assert.equal(selectProperty(await client.fetch({ key: 'app' }), 'app', 'value').toString(), 'over-tls');
  });

  it('takes the CA from a ConfigMap through caProvider', async () => {
    const client = await connect(config({ caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' } }));
    assert.equal((await client.fetch({ key: 'app' })).versionId, '1');
  });

  it('refuses the server without a CA, as a config error naming the TLS failure', async () => {
    const client = await connect(config({}));
    await assert.rejects(client.fetch({ key: 'app' }), (e) => isConfigError(e) && (e as { reason: string }).reason === 'TLSVerificationFailed');
  });
});
