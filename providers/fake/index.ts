// The `fake` provider: a stateless factory over static data held in the store spec.
import type { Provider, ProviderDeps, ProviderClient, StoreIdentity, ConfigIssue } from '../contract/index.js';
import { ConfigError } from '../contract/index.js';
import { toFakeConfig, validateFakeConfig, type FakeConfig } from './config.js';
import { FakeClient } from './client.js';

export type { FakeConfig, FakeDataEntry } from './config.js';
export { FakeClient } from './client.js';

export const fakeProvider: Provider<FakeConfig> = {
  name: 'fake',
  // Local data: the budget only bounds how hard a demo can spin.
  defaultRateLimit: { requestsPerSecond: 1000, burst: 1000, maxConcurrent: 100 },
  validateConfig(config: unknown, _store: StoreIdentity): ConfigIssue[] {
    return validateFakeConfig(config);
  },
  ambientCredentials: () => undefined,
  endpointIdentity(_config: FakeConfig, store: StoreIdentity): string {
    // Each fake store is its own "endpoint": there is no shared remote behind them.
    return `fake:${store.kind}/${store.namespace ?? ''}/${store.name}`;
  },
  async connect(config: FakeConfig, deps: ProviderDeps): Promise<ProviderClient> {
    const issues = validateFakeConfig(config);
    if (issues.length > 0) throw new ConfigError(`${issues[0]!.field}: ${issues[0]!.message}`, { reason: 'InvalidProviderConfig' });
    return new FakeClient(toFakeConfig(config), deps.clock, deps.observer);
  },
};
