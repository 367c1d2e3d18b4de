// Which providers this build of keyferry knows: ProviderName → Provider. Each provider
// adds itself here with one line; nothing else in the operator names a concrete provider.
import type { Provider, ProviderName } from '../../providers/contract/index.js';
import { fakeProvider } from '../../providers/fake/index.js';
import { azureKeyVaultProvider } from '../../providers/azurekv/index.js';
import { onePasswordProvider } from '../../providers/onepassword/index.js';
import { awsProvider } from '../../providers/aws/index.js';
import { vaultProvider } from '../../providers/vault/index.js';
import { gcpSecretManagerProvider } from '../../providers/gcpsm/index.js';

export const providerRegistry: Partial<Record<ProviderName, Provider>> = {
  fake: fakeProvider as Provider,
  azurekv: azureKeyVaultProvider as Provider,
  onepassword: onePasswordProvider as Provider,
  aws: awsProvider as Provider,
  vault: vaultProvider as Provider,
  gcpsm: gcpSecretManagerProvider as Provider,
};
