// The `aws` provider (AWS Secrets Manager, or SSM Parameter Store with `service:
// ParameterStore`): a stateless factory. `connect` resolves the store's credentials and
// returns a client over the real SDK of that service.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { ConfigError, ambientCredentialsRefused, type ConfigIssue, type Provider, type ProviderClient, type ProviderDeps, type StoreIdentity } from '../contract/index.js';
import { awsAmbientCredentials, toAwsConfig, validateAwsConfig, type AwsConfig } from './config.js';
import { buildCredentials } from './credentials.js';
import { AwsSecretsManagerClient } from './client.js';
import { mapAwsError } from './errors.js';

export type { AwsConfig, AwsAuth, AwsStaticKeysAuth } from './config.js';
export { AwsSecretsManagerClient, awsMaxBatchSize, versionSelector } from './client.js';
export { defaultWebIdentityAudience } from './credentials.js';

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface AwsProviderOptions {
  /**
   * SDK attempts per call. Default 1: keyferry's fetch path retries with backoff under its
   * rate limiter, and SDK retries underneath would spend that budget unseen.
   */
  maxAttempts?: number;
  /** Per-request timeout in milliseconds (default 10 000). */
  requestTimeoutMs?: number;
}

export function createAwsProvider(options: AwsProviderOptions = {}): Provider<AwsConfig> {
  const maxAttempts = options.maxAttempts ?? 1;
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  return {
    name: 'aws',
    // BatchGetSecretValue's published limit is 100/s per account and region; this stays under it.
    defaultRateLimit: { requestsPerSecond: 50, burst: 100, maxConcurrent: 20 },
    validateConfig(config: unknown, store: StoreIdentity): ConfigIssue[] {
      return validateAwsConfig(config, store);
    },
    endpointIdentity(config: AwsConfig, store: StoreIdentity): string {
      // Limits are per account and region. The account is only known after a call, so the
      // credential source stands in for it: stores using the same keys or role share a budget.
      const keys = config.auth?.secretRef?.accessKeyIDSecretRef;
      const sa = config.auth?.jwt?.serviceAccountRef;
      const source = keys
        ? `keys:${keys.namespace ?? store.namespace ?? ''}/${keys.name}/${keys.key}`
        : sa ? `sa:${sa.namespace ?? store.namespace ?? ''}/${sa.name}` : 'default-chain';
      // Each service has its own quotas, so Parameter Store stores get a budget of their own.
      const service = config.service === 'ParameterStore' ? 'aws-ssm' : 'aws';
      return `${service}:${config.region}:${config.endpoint ?? ''}:${config.role ?? ''}:${source}`;
    },
    ambientCredentials: awsAmbientCredentials,
    async connect(raw: AwsConfig, deps: ProviderDeps): Promise<ProviderClient> {
      const issues = validateAwsConfig(raw, deps.store);
      if (issues.length > 0) throw new ConfigError(`${issues[0]!.field}: ${issues[0]!.message}`, { reason: 'InvalidProviderConfig' });
      const ambient = awsAmbientCredentials(raw);
      if (ambient && !deps.allowAmbientCredentials) throw ambientCredentialsRefused('spec.provider.aws.auth', ambient);
      const config = toAwsConfig(raw);
      const region = config.region;
      const ca = config.caBundle ? Buffer.from(config.caBundle, 'base64').toString('utf8') : undefined;
      const requestHandler = { requestTimeout, connectionTimeout: requestTimeout, ...(ca ? { httpsAgent: { ca, keepAlive: true } } : {}) };
      let built;
      try {
        built = await buildCredentials(config, deps, { region, endpoint: config.stsEndpoint, maxAttempts, requestHandler });
      } catch (error) {
        throw mapAwsError(error, { subject: 'reading credentials', nowMs: deps.clock.now(), redact: [] });
      }
      const sdkConfig = { region, endpoint: config.endpoint, credentials: built.provider, maxAttempts, requestHandler };
      const plaintext = [config.endpoint, config.stsEndpoint].some((u) => u?.startsWith('http://'));
      const common = { clock: deps.clock, observer: deps.observer, redact: built.secrets, plaintext };
      if (config.service === 'ParameterStore') {
        // Imported with the first Parameter Store store: loading the SSM client costs ~1.7 MiB of
        // heap and ~7 MiB of RSS, which a Secrets Manager-only install need not carry.
        const [{ SSMClient }, { AwsParameterStoreClient }] = await Promise.all([import('@aws-sdk/client-ssm'), import('./parameter-store.js')]);
        const sdk = new SSMClient(sdkConfig);
        return new AwsParameterStoreClient({ sdk, credentials: sdk.config.credentials as AwsCredentialIdentityProvider, ...common });
      }
      const sdk = new SecretsManagerClient(sdkConfig);
      return new AwsSecretsManagerClient({ sdk, credentials: sdk.config.credentials as AwsCredentialIdentityProvider, ...common });
    },
  };
}

export const awsProvider: Provider<AwsConfig> = createAwsProvider();
