// Builds the credential provider a store's Secrets Manager client signs with: static keys
// from a Secret, a web identity (a freshly minted ServiceAccount token exchanged through
// STS), or the SDK's default chain; then, where `role` is set, an STS AssumeRole on top.
import { fromNodeProviderChain, fromTemporaryCredentials, fromWebToken } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { ProviderDeps } from '../contract/index.js';
import type { AwsConfig } from './config.js';

/** Default audience of EKS-style web identity tokens (what an IAM OIDC provider expects). */
export const defaultWebIdentityAudience = 'sts.amazonaws.com';
const sessionName = 'keyferry';

export interface StsClientSettings {
  region: string;
  endpoint?: string;
  maxAttempts: number;
  /** Node HTTP handler options (timeouts, CA bundle), shared with the Secrets Manager client. */
  requestHandler?: { requestTimeout?: number; connectionTimeout?: number; httpsAgent?: { ca: string; keepAlive: boolean } };
}

export interface BuiltCredentials {
  provider: AwsCredentialIdentityProvider;
  /** Credentials read from Secrets (keys, tokens), to be redacted from any error text. */
  secrets: string[];
}

async function readUtf8(deps: ProviderDeps, ref: Parameters<ProviderDeps['readSecret']>[0]): Promise<string> {
  return (await deps.readSecret(ref)).toString('utf8').trim();
}

export async function buildCredentials(config: AwsConfig, deps: ProviderDeps, sts: StsClientSettings): Promise<BuiltCredentials> {
  const secrets: string[] = [];
  const clientConfig = { region: sts.region, endpoint: sts.endpoint, maxAttempts: sts.maxAttempts, requestHandler: sts.requestHandler };
  const keys = config.auth?.secretRef;
  const jwt = config.auth?.jwt;

  if (jwt) {
    const ref = jwt.serviceAccountRef;
    const audiences = ref.audiences && ref.audiences.length > 0 ? ref.audiences : [defaultWebIdentityAudience];
    // Each refresh mints a new token: a ServiceAccount token is short-lived, so one minted at
    // connect time could not be exchanged again when the STS credentials expire.
    const provider: AwsCredentialIdentityProvider = async () => {
      const minted = await deps.mintServiceAccountToken(ref, { audiences, expirationSeconds: 3600 });
      secrets.push(minted.token);
      if (secrets.length > 4) secrets.shift();
      const credentials = await fromWebToken({ roleArn: config.role!, webIdentityToken: minted.token, roleSessionName: sessionName, clientConfig })();
      // The role and lifetime only: never a key or token.
      deps.logger.debug({ role: config.role, expiresAt: credentials.expiration?.toISOString() }, 'aws web identity credentials obtained');
      return credentials;
    };
    return { provider, secrets };
  }

  let master: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  if (keys) {
    const accessKeyId = await readUtf8(deps, keys.accessKeyIDSecretRef);
    const secretAccessKey = await readUtf8(deps, keys.secretAccessKeySecretRef);
    const sessionToken = keys.sessionTokenSecretRef ? await readUtf8(deps, keys.sessionTokenSecretRef) : undefined;
    secrets.push(accessKeyId, secretAccessKey, ...(sessionToken ? [sessionToken] : []));
    master = { accessKeyId, secretAccessKey, sessionToken };
  } else {
    master = fromNodeProviderChain();
  }
  if (!config.role) {
    const fixed = master;
    return { provider: typeof fixed === 'function' ? fixed : async () => fixed, secrets };
  }
  return {
    provider: fromTemporaryCredentials({ params: { RoleArn: config.role, RoleSessionName: sessionName }, masterCredentials: master, clientConfig }),
    secrets,
  };
}
