// The `onepassword` provider: items from a 1Password Connect server through
// @1password/connect, authenticated with a Connect token read from a Secret.
import { OnePasswordConnect } from '@1password/connect';
import {
  ConfigError,
  readCaBundle,
  type ConfigIssue,
  type Provider,
  type ProviderClient,
  type ProviderDeps,
  type StoreIdentity,
} from '../contract/index.js';
import { validateOnePasswordConfig, vaultSearchOrder, type OnePasswordConfig } from './config.js';
import { ConnectTransport } from './http-transport.js';
import { OnePasswordClient } from './client.js';
import { toProviderError } from './errors.js';

export type { OnePasswordConfig, OnePasswordCaProvider } from './config.js';
export { OnePasswordClient } from './client.js';

export const onePasswordProvider: Provider<OnePasswordConfig> = {
  name: 'onepassword',
  // Connect serves from its own cache; the upstream budget for service accounts is 10 000
  // reads an hour, so the default stays well below what a Connect server can take.
  defaultRateLimit: { requestsPerSecond: 20, burst: 40, maxConcurrent: 8 },

  validateConfig(config: unknown, store: StoreIdentity): ConfigIssue[] {
    return validateOnePasswordConfig(config, store.kind === 'ClusterSecretStore');
  },

  // A Connect token is always named.
  ambientCredentials: () => undefined,

  endpointIdentity(config: OnePasswordConfig): string {
    const url = new URL(config.connectHost);
    return `onepassword:${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}`;
  },

  async connect(config: OnePasswordConfig, deps: ProviderDeps): Promise<ProviderClient> {
    const issues = validateOnePasswordConfig(config, deps.store.kind === 'ClusterSecretStore');
    if (issues.length > 0) throw new ConfigError(`${issues[0]!.field}: ${issues[0]!.message}`, { reason: 'InvalidProviderConfig' });
    const warnings: string[] = [];
    if (config.connectHost.startsWith('http:')) {
      warnings.push(`connectHost ${config.connectHost} is plaintext http://: the Connect token and item values cross the network unencrypted`);
    }
    let token: string;
    let ca: string | undefined;
    try {
      token = (await deps.readSecret(config.auth.secretRef.connectTokenSecretRef)).toString('utf8').trim();
      ca = await readCaBundle(config, deps);
    } catch (error) {
      throw toProviderError(error, { action: 'reading the Connect token', redact: [] });
    }
    if (token === '') throw new ConfigError('spec.provider.onepassword.auth.secretRef.connectTokenSecretRef points at an empty token', { reason: 'EmptyToken' });
    const transport = new ConnectTransport({ ca, now: () => deps.clock.now() });
    const connect = OnePasswordConnect({ serverURL: config.connectHost, token, httpClient: transport });
    return new OnePasswordClient({
      connect,
      transport,
      vaults: vaultSearchOrder(config.vaults),
      clock: deps.clock,
      observer: deps.observer,
      redact: [token],
      warnings,
    });
  },
};
