// One local Azure for a test: a test CA, Entra ID for one tenant and a Key Vault trusting it.
import { EntraIdServer } from './entra-id-server.js';
import { KeyVaultServer } from './key-vault-server.js';
import { createTestPki, type TestPki } from './test-pki.js';

export interface AzureEnvironment {
  pki: TestPki;
  entra: EntraIdServer;
  vault: KeyVaultServer;
  tenantId: string;
  /** The test CA as `caBundle` takes it (base64 PEM). */
  caBundle: string;
  close(): Promise<void>;
}

export async function startAzureEnvironment(options: { pageSize?: number; tenantId?: string } = {}): Promise<AzureEnvironment> {
  const pki = await createTestPki();
  const tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const entra = await EntraIdServer.start({ pki, tenantId });
  const vault = await KeyVaultServer.start({ pki, entra, pageSize: options.pageSize });
  return {
    pki,
    entra,
    vault,
    tenantId,
    caBundle: Buffer.from(pki.caCert, 'utf8').toString('base64'),
    async close() {
      await Promise.all([vault.close(), entra.close()]);
    },
  };
}
