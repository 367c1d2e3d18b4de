// The `azurekv` provider: Azure Key Vault secrets through @azure/keyvault-secrets, with
// service principal (secret or certificate), workload identity and managed identity auth.
import { Agent } from 'node:https';
import { SecretClient } from '@azure/keyvault-secrets';
import {
  ConfigError,
  ambientCredentialsRefused,
  readCaBundle,
  type ConfigIssue,
  type Provider,
  type ProviderClient,
  type ProviderDeps,
  type StoreIdentity,
} from '../contract/index.js';
import { azureAmbientCredentials, isPublicVaultHost, validateAzureKeyVaultConfig, vaultResourceFor, type AzureKeyVaultConfig } from './config.js';
import { buildCredential, observedCredential } from './credential.js';
import { AzureKeyVaultClient } from './client.js';
import { toProviderError } from './errors.js';

export type { AzureKeyVaultConfig, AzureAuthType, AzureEnvironmentType, AzureCaProvider } from './config.js';
export { AzureKeyVaultClient } from './client.js';
export { workloadIdentityAudience } from './credential.js';

export const azureKeyVaultProvider: Provider<AzureKeyVaultConfig> = {
  name: 'azurekv',
  // Key Vault allows 4 000 secret transactions per 10 s per vault; stay at half of that.
  defaultRateLimit: { requestsPerSecond: 200, burst: 400, maxConcurrent: 32 },

  validateConfig(config: unknown, store: StoreIdentity): ConfigIssue[] {
    return validateAzureKeyVaultConfig(config, store.kind === 'ClusterSecretStore');
  },

  endpointIdentity(config: AzureKeyVaultConfig): string {
    // Throttling is per vault, whoever the caller is.
    const url = new URL(config.vaultUrl);
    return `azurekv:${url.protocol}//${url.host.toLowerCase()}`;
  },

  ambientCredentials: azureAmbientCredentials,

  async connect(config: AzureKeyVaultConfig, deps: ProviderDeps): Promise<ProviderClient> {
    const issues = validateAzureKeyVaultConfig(config, deps.store.kind === 'ClusterSecretStore');
    if (issues.length > 0) throw new ConfigError(`${issues[0]!.field}: ${issues[0]!.message}`, { reason: 'InvalidProviderConfig' });
    const ambient = azureAmbientCredentials(config);
    if (ambient && !deps.allowAmbientCredentials) throw ambientCredentialsRefused('spec.provider.azurekv.authType', ambient);
    const warnings: string[] = [];
    const vaultUrl = config.vaultUrl;
    const plaintext = vaultUrl.startsWith('http:');
    if (plaintext) warnings.push(`vaultUrl ${vaultUrl} is plaintext http://: secret values cross the network unencrypted`);

    let ca: string | undefined;
    try {
      ca = await readCaBundle(config, deps);
    } catch (error) {
      throw toProviderError(error, { action: 'reading the CA bundle', redact: [], nowMs: deps.clock.now() });
    }
    // One agent carries the private CA for both the vault and the authority.
    const agent = ca ? new Agent({ ca, keepAlive: true }) : undefined;

    let built;
    try {
      built = await buildCredential(config, deps, agent);
    } catch (error) {
      agent?.destroy();
      throw toProviderError(error, { action: 'reading credentials', redact: [], nowMs: deps.clock.now() });
    }
    const { redact } = built;
    const credential = observedCredential(built.credential, ({ ok, error, durationMs }) => {
      if (ok) {
        deps.observer.observe({ operation: 'GetToken', outcome: 'success', durationMs, status: '200' });
        return;
      }
      const mapped = toProviderError(error, { action: 'acquiring a token', redact, nowMs: deps.clock.now() });
      deps.observer.observe({ operation: 'GetToken', outcome: mapped.kind, durationMs, status: mapped.code ?? mapped.reason });
    }, () => deps.clock.now());

    const secrets = new SecretClient(vaultUrl, credential, {
      // The challenge's resource is checked against the vault's DNS suffix; a private
      // endpoint or a custom host has no such suffix, so the check would refuse it.
      disableChallengeResourceVerification: !isPublicVaultHost(vaultUrl),
      // keyferry's fetch path retries with backoff and honours Retry-After.
      retryOptions: { maxRetries: 0 },
      ...(plaintext ? { allowInsecureConnection: true } : { agent }),
    });
    return new AzureKeyVaultClient({
      secrets,
      credential,
      scope: `${vaultResourceFor(config)}/.default`,
      clock: deps.clock,
      observer: deps.observer,
      redact,
      warnings,
      agent,
    });
  },
};
