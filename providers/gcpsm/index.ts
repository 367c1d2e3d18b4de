// The `gcpsm` provider: Google Cloud Secret Manager over gRPC with
// @google-cloud/secret-manager, authenticated by a service-account key, workload identity
// federation, or application default credentials.
import * as grpc from '@grpc/grpc-js';
import { v1 } from '@google-cloud/secret-manager';
import {
  AuthError,
  ConfigError,
  ambientCredentialsRefused,
  type ConfigIssue,
  type Provider,
  readCaBundle,
  type ProviderClient,
  type ProviderDeps,
  type StoreIdentity,
} from '../contract/index.js';
import { defaultEndpoint, gcpAmbientCredentials, parseEndpoint, validateGcpConfig, type GcpSecretManagerConfig } from './config.js';
import { buildCredentials } from './credentials.js';
import { GcpSecretManagerClient } from './client.js';
import { toProviderError } from './errors.js';

export type { GcpSecretManagerConfig, GcpCaProvider } from './config.js';
export { GcpSecretManagerClient } from './client.js';
export { crc32c } from './crc32c.js';

export const DEFAULT_UNIVERSE_DOMAIN = 'googleapis.com';

export const gcpSecretManagerProvider: Provider<GcpSecretManagerConfig> = {
  name: 'gcpsm',
  // 90 000 access requests per minute per project (1 500/s); stay well under, as other
  // workloads share the project's quota.
  defaultRateLimit: { requestsPerSecond: 500, burst: 1000, maxConcurrent: 64 },

  validateConfig(config: unknown, store: StoreIdentity): ConfigIssue[] {
    return validateGcpConfig(config, store.kind === 'ClusterSecretStore');
  },

  endpointIdentity(config: GcpSecretManagerConfig): string {
    // Quota is per project (and region for regional secrets).
    return `gcpsm:${config.endpoint ?? 'default'}:${config.projectID ?? 'credentials'}:${config.location ?? 'global'}`;
  },

  ambientCredentials: gcpAmbientCredentials,

  async connect(config: GcpSecretManagerConfig, deps: ProviderDeps): Promise<ProviderClient> {
    const issues = validateGcpConfig(config, deps.store.kind === 'ClusterSecretStore');
    if (issues.length > 0) throw new ConfigError(`${issues[0]!.field}: ${issues[0]!.message}`, { reason: 'InvalidProviderConfig' });
    const ambient = gcpAmbientCredentials(config);
    if (ambient && !deps.allowAmbientCredentials) throw ambientCredentialsRefused('spec.provider.gcpsm.auth', ambient);
    const universeDomain = DEFAULT_UNIVERSE_DOMAIN;
    const endpoint = config.endpoint ? parseEndpoint(config.endpoint) : defaultEndpoint(config.location || undefined, universeDomain);
    const warnings: string[] = [];
    if (endpoint.insecure) {
      warnings.push(`endpoint ${config.endpoint} is plaintext http://: an insecure gRPC channel carries no credentials and secret values cross the network unencrypted`);
    }

    let built;
    let ca: string | undefined;
    try {
      ca = await readCaBundle(config, deps);
      built = await buildCredentials(config, deps, universeDomain);
    } catch (error) {
      throw toProviderError(error, { action: 'reading credentials', redact: [] });
    }
    const { auth, redact } = built;
    const projectID = config.projectID || built.projectId;
    if (!projectID) throw new ConfigError('spec.provider.gcpsm.projectID is required (the credentials name no project)', { reason: 'MissingProject' });
    const parent = config.location ? `projects/${projectID}/locations/${config.location}` : `projects/${projectID}`;

    // The channel credentials are built here (not by the SDK) so a private CA and the
    // call credentials travel together; gRPC never sends call credentials in plaintext.
    const sslCreds = endpoint.insecure
      ? grpc.credentials.createInsecure()
      : grpc.credentials.combineChannelCredentials(
        grpc.credentials.createSsl(ca ? Buffer.from(ca) : undefined),
        // grpc-js's createFromGoogleCredential reads a plain header object; the auth
        // library returns a fetch Headers, so the headers are copied here.
        grpc.credentials.createFromMetadataGenerator((options, callback) => {
          auth.getRequestHeaders(options.service_url).then((headers) => {
            const metadata = new grpc.Metadata();
            new Headers(headers as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => metadata.add(name, value));
            callback(null, metadata);
          }, (error: Error) => callback(error));
        }),
      );
    const client = new v1.SecretManagerServiceClient({
      apiEndpoint: endpoint.host,
      port: endpoint.port,
      sslCreds,
      authClient: auth as ConstructorParameters<typeof v1.SecretManagerServiceClient>[0] extends infer O ? O extends { authClient?: infer A } ? A : never : never,
      universeDomain,
      projectId: projectID,
      fallback: false,
    });
    deps.logger.debug({ endpoint: `${endpoint.host}:${endpoint.port}`, auth: built.kind, parent }, 'gcpsm: connected');

    const ensureToken = async (): Promise<void> => {
      if (endpoint.insecure) return;
      const started = deps.clock.now();
      try {
        await auth.getAccessToken();
      } catch (error) {
        const mapped = toProviderError(error, { action: 'obtaining an access token', redact });
        // google-auth-library rejects with HTTP errors from the STS endpoint; 4xx means the
        // subject token or pool configuration was refused.
        const status = (error as { response?: { status?: number }; status?: number }).response?.status ?? (error as { status?: number }).status;
        const typed = mapped.kind === 'Unavailable' && status !== undefined && status >= 400 && status < 500
          ? new AuthError(mapped.message, { reason: 'TokenExchangeFailed', code: String(status), redact })
          : mapped;
        deps.observer.observe({ operation: 'GetAccessToken', outcome: typed.kind, durationMs: deps.clock.now() - started, status: typed.code ?? typed.reason });
        throw typed;
      }
    };

    return new GcpSecretManagerClient({ client, parent, clock: deps.clock, logger: deps.logger, observer: deps.observer, redact, warnings, ensureToken });
  },
};
