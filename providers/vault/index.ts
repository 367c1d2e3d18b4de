// The `vault` provider (HashiCorp Vault KV v1/v2): a stateless factory. `connect` builds a
// node-vault client for the store's server, namespace and CA, and a session that logs in.
import vaultFactory from 'node-vault';
import { ConfigError, readCaBundle, type ConfigIssue, type Provider, type ProviderClient, type ProviderDeps, type StoreIdentity } from '../contract/index.js';
import { toVaultConfig, validateVaultConfig, type VaultConfig } from './config.js';
import { VaultKvClient } from './client.js';
import { VaultSession } from './session.js';
import { createVaultTransport } from './transport.js';

export type { VaultConfig, VaultAuth, VaultAppRoleAuth, VaultKubernetesAuth, VaultCaProvider } from './config.js';
export { VaultKvClient } from './client.js';

export interface VaultProviderOptions {
  /** Per-request timeout in milliseconds (default 10 000). */
  requestTimeoutMs?: number;
}

export function createVaultProvider(options: VaultProviderOptions = {}): Provider<VaultConfig> {
  const timeout = options.requestTimeoutMs ?? 10_000;
  return {
    name: 'vault',
    // Vault has no request limit unless quotas are configured; this keeps one store polite.
    defaultRateLimit: { requestsPerSecond: 100, burst: 200, maxConcurrent: 20 },
    validateConfig(config: unknown, store: StoreIdentity): ConfigIssue[] {
      return validateVaultConfig(config, store);
    },
    // Vault always names its auth method; there is no default chain to fall back to.
    ambientCredentials: () => undefined,
    endpointIdentity(config: VaultConfig, _store: StoreIdentity): string {
      // Quotas apply per server and namespace (and mount); stores sharing them share a budget.
      return `vault:${config.server.replace(/\/+$/, '')}:${config.namespace ?? ''}:${config.path ?? ''}`;
    },
    async connect(raw: VaultConfig, deps: ProviderDeps): Promise<ProviderClient> {
      const issues = validateVaultConfig(raw, deps.store);
      if (issues.length > 0) throw new ConfigError(`${issues[0]!.field}: ${issues[0]!.message}`, { reason: 'InvalidProviderConfig' });
      const config = toVaultConfig(raw);
      const ca = await readCaBundle(config, deps);
      const transport = createVaultTransport({ timeoutMs: timeout, ca });
      const vault = vaultFactory({
        endpoint: config.server,
        apiVersion: 'v1',
        // node-vault adds X-Vault-Namespace to every request, logins included.
        namespace: config.namespace,
        // Also keeps TLS independent of node-vault's VAULT_SKIP_VERIFY environment switch.
        'request-promise': transport.requestPromise,
        // LIST as `GET ?list=true`: the same Vault API, and proxies that refuse custom verbs pass it.
        noCustomHTTPVerbs: true,
      });
      // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE from the environment; a store
      // uses only what its spec says.
      vault.token = '';
      (vault as unknown as { namespace?: string }).namespace = config.namespace;
      const session = new VaultSession(vault, config, deps, deps.clock, deps.observer);
      return new VaultKvClient({
        vault,
        session,
        mount: config.path,
        kvVersion: config.version,
        clock: deps.clock,
        observer: deps.observer,
        plaintext: config.server.startsWith('http://'),
        onClose: () => transport.close(),
      });
    },
  };
}

export const vaultProvider: Provider<VaultConfig> = createVaultProvider();
