// Which providers this build of keyferry knows: ProviderName → Provider. Each provider
// adds itself here with one line; nothing else in the operator names a concrete provider.
//
// A provider's module, and with it its SDK, is loaded on the first `connect`, not at startup:
// an operator holds in memory only the SDKs its stores use. Loading all five costs ~60 MiB of
// RSS on an idle operator (code and heap of the AWS, Google, Azure, Vault and 1Password
// clients), which is most of the difference between one provider's footprint and five.
// `validateConfig` comes from the provider's config module, which imports no SDK, so a store
// with a bad provider block is reported without loading anything.
import type { ConfigIssue, Provider, ProviderName, RateLimit, StoreIdentity } from '../../providers/contract/index.js';
import { validateFakeConfig } from '../../providers/fake/config.js';
import { azureAmbientCredentials, validateAzureKeyVaultConfig } from '../../providers/azurekv/config.js';
import { validateOnePasswordConfig } from '../../providers/onepassword/config.js';
import { awsAmbientCredentials, validateAwsConfig } from '../../providers/aws/config.js';
import { validateVaultConfig } from '../../providers/vault/config.js';
import { gcpAmbientCredentials, validateGcpConfig } from '../../providers/gcpsm/config.js';

/** A provider whose module is imported on first use; `load` resolves to the real one. */
export interface DeferredProvider extends Provider {
  load(): Promise<Provider>;
}

/**
 * Wraps a provider module behind a `Provider` that imports it on the first `connect` (one
 * import however many stores connect at once; a failed import is retried on the next call).
 * `defaultRateLimit` and `endpointIdentity` are only read for a connected store, so they read
 * the loaded provider; before that they fail loudly rather than guess.
 */
export function deferredProvider(
  name: ProviderName,
  validateConfig: (config: unknown, store: StoreIdentity) => ConfigIssue[],
  importProvider: () => Promise<Provider>,
  ambientCredentials: (config: unknown) => string | undefined = () => undefined,
): DeferredProvider {
  let loaded: Provider | undefined;
  let loading: Promise<Provider> | undefined;
  const load = (): Promise<Provider> => {
    if (loaded) return Promise.resolve(loaded);
    loading ??= importProvider().then(
      (provider) => (loaded = provider),
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
  const required = (): Provider => {
    if (!loaded) throw new Error(`provider "${name}" is not loaded yet: connect a store (or call load()) first`);
    return loaded;
  };
  return {
    name,
    get defaultRateLimit(): RateLimit {
      return required().defaultRateLimit;
    },
    validateConfig,
    ambientCredentials,
    endpointIdentity: (config, store) => required().endpointIdentity(config, store),
    connect: async (config, deps) => (await load()).connect(config, deps),
    load,
  };
}

export const providerRegistry: Partial<Record<ProviderName, Provider>> = {
  fake: deferredProvider('fake', (c) => validateFakeConfig(c), async () => (await import('../../providers/fake/index.js')).fakeProvider as Provider),
  azurekv: deferredProvider('azurekv', (c, s) => validateAzureKeyVaultConfig(c, s.kind === 'ClusterSecretStore'), async () => (await import('../../providers/azurekv/index.js')).azureKeyVaultProvider as Provider, azureAmbientCredentials),
  onepassword: deferredProvider('onepassword', (c, s) => validateOnePasswordConfig(c, s.kind === 'ClusterSecretStore'), async () => (await import('../../providers/onepassword/index.js')).onePasswordProvider as Provider),
  aws: deferredProvider('aws', validateAwsConfig, async () => (await import('../../providers/aws/index.js')).awsProvider as Provider, awsAmbientCredentials),
  vault: deferredProvider('vault', validateVaultConfig, async () => (await import('../../providers/vault/index.js')).vaultProvider as Provider),
  gcpsm: deferredProvider('gcpsm', (c, s) => validateGcpConfig(c, s.kind === 'ClusterSecretStore'), async () => (await import('../../providers/gcpsm/index.js')).gcpSecretManagerProvider as Provider, gcpAmbientCredentials),
};
