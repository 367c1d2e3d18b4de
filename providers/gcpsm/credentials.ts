// Google credentials for a store: a service-account key JSON from a Secret, workload
// identity federation with a minted ServiceAccount token as the subject token, or
// application default credentials. Each yields an AuthClient the gRPC channel asks for
// request headers, plus the strings that must never appear in an error message.
import { createSign } from 'node:crypto';
import { AuthClient, GoogleAuth, IdentityPoolClient } from 'google-auth-library';
import {
  AuthError,
  ConfigError,
  UnavailableError,
  type Clock,
  type ProviderDeps,
} from '../contract/index.js';
import type { GcpSecretManagerConfig } from './config.js';

type GaxiosOptions = Parameters<AuthClient['request']>[0];

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
// Refresh this long before a token expires, so a call never carries a dying token.
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

export interface ServiceAccountKey {
  type: 'service_account';
  project_id?: string;
  private_key_id?: string;
  private_key: string;
  client_email: string;
  token_uri?: string;
  universe_domain?: string;
}

export function parseServiceAccountKey(raw: Buffer): ServiceAccountKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ConfigError('the service account key is not JSON', { reason: 'InvalidServiceAccountKey', redact: [raw.toString('utf8')] });
  }
  const key = parsed as Partial<ServiceAccountKey>;
  if (key.type !== 'service_account' || typeof key.private_key !== 'string' || typeof key.client_email !== 'string') {
    throw new ConfigError('the service account key needs type "service_account", private_key and client_email', { reason: 'InvalidServiceAccountKey' });
  }
  return key as ServiceAccountKey;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * The OAuth 2.0 JWT bearer grant (RFC 7523) against the key's `token_uri`. Hand-written
 * because google-auth-library's JWT client posts to a fixed oauth2.googleapis.com URL and
 * ignores `token_uri`, which private endpoints and test servers need honoured.
 */
export class ServiceAccountKeyAuth extends AuthClient {
  private cached?: { token: string; expiresAtMs: number };
  private pending?: Promise<string>;
  readonly tokenUri: string;

  constructor(private readonly key: ServiceAccountKey, private readonly clock: Clock, universeDomain: string, private readonly onExchange: (ok: boolean, durationMs: number, status?: string) => void) {
    super({ universeDomain });
    this.tokenUri = key.token_uri ?? `https://oauth2.${universeDomain}/token`;
  }

  override async getAccessToken(): Promise<{ token: string; res: null }> {
    const now = this.clock.now();
    if (this.cached && this.cached.expiresAtMs - REFRESH_MARGIN_MS > now) return { token: this.cached.token, res: null };
    this.pending ??= this.exchange().finally(() => (this.pending = undefined));
    return { token: await this.pending, res: null };
  }

  override async getRequestHeaders(): Promise<Headers> {
    const { token } = await this.getAccessToken();
    return new Headers({ authorization: `Bearer ${token}` });
  }

  override request<T>(options: GaxiosOptions) {
    return this.transporter.request<T>(options);
  }

  private assertion(nowMs: number): string {
    const iat = Math.floor(nowMs / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(this.key.private_key_id ? { kid: this.key.private_key_id } : {}) };
    const claims = { iss: this.key.client_email, scope: CLOUD_PLATFORM_SCOPE, aud: this.tokenUri, iat, exp: iat + 3600 };
    const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    let signature: string;
    try {
      signature = createSign('RSA-SHA256').update(unsigned).sign(this.key.private_key, 'base64url');
    } catch {
      throw new ConfigError('the service account key\'s private_key cannot sign', { reason: 'InvalidServiceAccountKey', redact: [this.key.private_key] });
    }
    return `${unsigned}.${signature}`;
  }

  private async exchange(): Promise<string> {
    const started = this.clock.now();
    const assertion = this.assertion(started);
    const redact = [assertion, this.key.private_key];
    let response: Response;
    try {
      response = await fetch(this.tokenUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
      });
    } catch (error) {
      this.onExchange(false, this.clock.now() - started, 'network');
      throw new UnavailableError(`token endpoint ${this.tokenUri} unreachable: ${(error as Error).message}`, { reason: 'TokenEndpointUnreachable', redact });
    }
    const text = await response.text();
    let body: { access_token?: string; expires_in?: number; error?: string; error_description?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // a non-JSON body: only the status is reported
    }
    if (!response.ok || typeof body.access_token !== 'string') {
      this.onExchange(false, this.clock.now() - started, String(response.status));
      const detail = [body.error, body.error_description].filter(Boolean).join(': ') || `HTTP ${response.status}`;
      const options = { reason: 'TokenRequestFailed', code: String(response.status), redact };
      if (response.status >= 500 || response.status === 429) throw new UnavailableError(`token endpoint refused the service account key: ${detail}`, options);
      throw new AuthError(`token endpoint refused the service account key: ${detail}`, options);
    }
    this.onExchange(true, this.clock.now() - started, String(response.status));
    this.cached = { token: body.access_token, expiresAtMs: this.clock.now() + (body.expires_in ?? 3600) * 1000 };
    return body.access_token;
  }
}

export interface BuiltCredentials {
  auth: AuthClient | GoogleAuth;
  /** Project of the key, when the store does not name one. */
  projectId?: string;
  redact: string[];
  kind: 'ServiceAccountKey' | 'WorkloadIdentityFederation' | 'ApplicationDefault';
}

interface ExternalAccountConfig {
  type?: string;
  audience?: string;
  token_url?: string;
  subject_token_type?: string;
  service_account_impersonation_url?: string;
  universe_domain?: string;
}

export async function buildCredentials(config: GcpSecretManagerConfig, deps: ProviderDeps, universeDomain: string): Promise<BuiltCredentials> {
  const observe = (operation: string) => (ok: boolean, durationMs: number, status?: string) =>
    deps.observer.observe({ operation, outcome: ok ? 'success' : 'Auth', durationMs, status });
  const secretRef = config.auth?.secretRef;
  if (secretRef) {
    const raw = await deps.readSecret(secretRef.secretAccessKeySecretRef);
    const key = parseServiceAccountKey(raw);
    const auth = new ServiceAccountKeyAuth(key, deps.clock, key.universe_domain ?? universeDomain, observe('OAuthToken'));
    deps.logger.debug({ clientEmail: key.client_email, tokenUri: auth.tokenUri }, 'gcpsm: using a service account key');
    return { auth, projectId: key.project_id, redact: [raw.toString('utf8'), key.private_key], kind: 'ServiceAccountKey' };
  }
  const wif = config.auth?.workloadIdentityFederation;
  if (wif) {
    let external: ExternalAccountConfig = {};
    if (wif.credConfig) {
      const raw = await deps.readConfigMap(wif.credConfig);
      try {
        external = JSON.parse(raw) as ExternalAccountConfig;
      } catch {
        throw new ConfigError('workloadIdentityFederation.credConfig is not JSON', { reason: 'InvalidCredentialConfig' });
      }
      if (external.type !== undefined && external.type !== 'external_account') {
        throw new ConfigError(`workloadIdentityFederation.credConfig has type "${external.type}", expected "external_account"`, { reason: 'InvalidCredentialConfig' });
      }
    }
    const audience = wif.audience ?? external.audience;
    if (!audience) throw new ConfigError('workloadIdentityFederation needs an audience', { reason: 'InvalidCredentialConfig' });
    // The pool provider accepts by default a token whose audience is its resource URL.
    const tokenAudiences = wif.serviceAccountRef.audiences?.length ? wif.serviceAccountRef.audiences : [audience.startsWith('//') ? `https:${audience}` : audience];
    const minted: string[] = [];
    const auth = new IdentityPoolClient({
      type: 'external_account',
      audience,
      subject_token_type: external.subject_token_type ?? 'urn:ietf:params:oauth:token-type:jwt',
      token_url: external.token_url ?? `https://sts.${universeDomain}/v1/token`,
      ...(external.service_account_impersonation_url ? { service_account_impersonation_url: external.service_account_impersonation_url } : {}),
      universe_domain: external.universe_domain ?? universeDomain,
      scopes: [CLOUD_PLATFORM_SCOPE],
      subject_token_supplier: {
        getSubjectToken: async () => {
          const { token } = await deps.mintServiceAccountToken(wif.serviceAccountRef, { audiences: tokenAudiences, expirationSeconds: 3600 });
          minted.push(token);
          if (minted.length > 4) minted.shift();
          return token;
        },
      },
    });
    // `minted` is live: tokens minted later are redacted too.
    return { auth, redact: minted, kind: 'WorkloadIdentityFederation' };
  }
  return { auth: new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], universeDomain }), redact: [], kind: 'ApplicationDefault' };
}
