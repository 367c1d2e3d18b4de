// A local Entra ID (Azure AD) v2.0 endpoint for one tenant, over TLS: the OpenID
// configuration MSAL reads when instance discovery is off, and the token endpoint for the
// client credentials grant with a client secret, a certificate assertion (checked against
// the registered certificate's thumbprint and public key), or a federated assertion (a
// Kubernetes ServiceAccount token, checked against its issuer's published JWKS).
// Error bodies follow Entra's OAuth2 shape with AADSTS codes in error_description.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, createPublicKey, randomUUID, X509Certificate } from 'node:crypto';
import {
  SignJWT,
  compactVerify,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import type { TestPki } from './test-pki.js';

export interface EntraApplication {
  clientId: string;
  clientSecret?: string;
  /** PEM of a certificate registered on the app (public part only). */
  certificatePem?: string;
  /** A federated identity credential: trust tokens from this issuer for this subject. */
  federated?: { issuer: string; subject: string; audience?: string };
  /** Object id reported in access tokens. */
  objectId?: string;
}

export interface TokenRequestRecord {
  tenant: string;
  clientId?: string;
  grantType?: string;
  scope?: string;
  method: 'secret' | 'certificate' | 'federated' | 'none';
  status: number;
}

export interface EntraIdServerOptions {
  pki: TestPki;
  tenantId: string;
  /** Access token lifetime; defaults to an hour, as Entra issues. */
  tokenLifetimeSeconds?: number;
}

const federatedAudience = 'api://AzureADTokenExchange';
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function thumbprints(pem: string): { sha1: string; sha256: string } {
  const der = new X509Certificate(pem).raw;
  return {
    sha1: createHash('sha1').update(der).digest('base64url'),
    sha256: createHash('sha256').update(der).digest('base64url'),
  };
}

class OAuthError extends Error {
  constructor(readonly status: number, readonly error: string, readonly aadsts: string, readonly description: string) {
    super(description);
  }
}

export class EntraIdServer {
  readonly applications = new Map<string, EntraApplication>();
  readonly tokenRequests: TokenRequestRecord[] = [];
  metadataRequests = 0;
  /** Make the next N token requests answer with this status (429/503 …). */
  private faults: Array<{ status: number; retryAfter?: number }> = [];
  private readonly remoteJwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  private url = '';

  private constructor(
    private readonly server: Server,
    readonly tenantId: string,
    private readonly signingKey: CryptoKey,
    readonly verificationKey: CryptoKey,
    private readonly keyId: string,
    private readonly lifetime: number,
  ) {}

  static async start(options: EntraIdServerOptions): Promise<EntraIdServer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = createHash('sha256').update(JSON.stringify(await exportJWK(publicKey))).digest('base64url').slice(0, 27);
    const server = createServer({ cert: options.pki.serverCert, key: options.pki.serverKey });
    const entra = new EntraIdServer(server, options.tenantId, privateKey, publicKey, kid, options.tokenLifetimeSeconds ?? 3599);
    server.on('request', (req, res) => void entra.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    entra.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return entra;
  }

  /** The authority host to configure (`authorityHost`). */
  get authorityHost(): string {
    return this.url;
  }

  /** The issuer written into access tokens (v1 tokens, as Key Vault receives them). */
  get accessTokenIssuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  register(app: EntraApplication): void {
    this.applications.set(app.clientId, app);
  }

  failNextTokenRequests(count: number, status: number, retryAfter?: number): void {
    for (let i = 0; i < count; i++) this.faults.push({ status, retryAfter });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache', ...headers });
    res.end(JSON.stringify(body));
  }

  private openidConfiguration(tenant: string): Record<string, unknown> {
    const base = `${this.url}/${tenant}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${this.url}/${tenant}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/openid/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const parts = url.pathname.split('/').filter(Boolean);
    const tenant = parts[0] ?? '';
    const rest = parts.slice(1).join('/');
    if (req.method === 'GET' && rest === 'v2.0/.well-known/openid-configuration') {
      this.metadataRequests++;
      if (tenant !== this.tenantId) {
        this.json(res, 400, { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenant}' not found.` });
        return;
      }
      this.json(res, 200, this.openidConfiguration(tenant));
      return;
    }
    if (req.method === 'GET' && rest === 'discovery/v2.0/keys') {
      this.json(res, 200, { keys: [{ ...(await exportJWK(this.verificationKey)), kid: this.keyId, use: 'sig' }] });
      return;
    }
    if (req.method === 'POST' && rest === 'oauth2/v2.0/token') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      await this.token(tenant, form, res);
      return;
    }
    this.json(res, 404, { error: 'not_found', error_description: 'AADSTS900561: The endpoint only accepts POST requests.' });
  }

  private async token(tenant: string, form: URLSearchParams, res: ServerResponse): Promise<void> {
    const record: TokenRequestRecord = {
      tenant,
      clientId: form.get('client_id') ?? undefined,
      grantType: form.get('grant_type') ?? undefined,
      scope: form.get('scope') ?? undefined,
      method: form.has('client_secret') ? 'secret' : form.has('client_assertion') ? 'certificate' : 'none',
      status: 200,
    };
    this.tokenRequests.push(record);
    const traceFields = { timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() };
    const fault = this.faults.shift();
    if (fault) {
      record.status = fault.status;
      const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
      const [error, aadsts, text] = fault.status === 429
        ? ['temporarily_unavailable', 50196, 'The server terminated an operation because it encountered a client request loop. Please contact your app vendor.']
        : ['server_error', 90033, 'A transient error has occurred. Please try again.'];
      this.json(res, fault.status, {
        error,
        error_description: `AADSTS${aadsts}: ${text} Trace ID: ${traceFields.trace_id} Correlation ID: ${traceFields.correlation_id} Timestamp: ${traceFields.timestamp}`,
        error_codes: [aadsts],
        ...traceFields,
      }, headers);
      return;
    }
    try {
      const result = await this.issue(tenant, form, record);
      this.json(res, 200, { token_type: 'Bearer', expires_in: this.lifetime, ext_expires_in: this.lifetime, access_token: result });
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      record.status = error.status;
      const code = Number(error.aadsts.replace('AADSTS', ''));
      this.json(res, error.status, {
        error: error.error,
        error_description: `${error.aadsts}: ${error.description} Trace ID: ${traceFields.trace_id} Correlation ID: ${traceFields.correlation_id} Timestamp: ${traceFields.timestamp}`,
        error_codes: [code],
        ...traceFields,
        error_uri: `${this.url}/error?code=${code}`,
      });
    }
  }

  private async issue(tenant: string, form: URLSearchParams, record: TokenRequestRecord): Promise<string> {
    if (tenant !== this.tenantId) throw new OAuthError(400, 'invalid_request', 'AADSTS90002', `Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') {
      throw new OAuthError(400, 'unsupported_grant_type', 'AADSTS70003', 'The app requested an unsupported grant type.');
    }
    const scope = form.get('scope') ?? '';
    const resource = scope.split(' ').find((s) => s.endsWith('/.default'))?.slice(0, -'/.default'.length);
    if (!resource) throw new OAuthError(400, 'invalid_scope', 'AADSTS1002012', `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
    const clientId = form.get('client_id') ?? '';
    const app = this.applications.get(clientId);
    if (!app) {
      throw new OAuthError(400, 'unauthorized_client', 'AADSTS700016', `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (!app.clientSecret || secret !== app.clientSecret) {
        throw new OAuthError(401, 'invalid_client', 'AADSTS7000215', 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
      }
    } else if (assertion !== null) {
      if (form.get('client_assertion_type') !== assertionType) {
        throw new OAuthError(400, 'invalid_request', 'AADSTS700023', 'client_assertion_type is not supported.');
      }
      record.method = await this.verifyAssertion(app, assertion, tenant);
    } else {
      throw new OAuthError(401, 'invalid_client', 'AADSTS7000218', "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ tid: this.tenantId, appid: clientId, oid: app.objectId ?? clientId, idtyp: 'app', ver: '1.0' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.keyId })
      .setIssuer(this.accessTokenIssuer)
      .setAudience(resource)
      .setSubject(app.objectId ?? clientId)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + this.lifetime)
      .sign(this.signingKey);
  }

  private async verifyAssertion(app: EntraApplication, assertion: string, tenant: string): Promise<'certificate' | 'federated'> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      throw new OAuthError(400, 'invalid_request', 'AADSTS50027', 'JWT token is invalid or malformed.');
    }
    const x5t = (header['x5t#S256'] as string | undefined) ?? header.x5t;
    if (x5t !== undefined) {
      // A certificate assertion: signed by the app's registered certificate, issued by the app itself.
      if (!app.certificatePem) throw new OAuthError(401, 'invalid_client', 'AADSTS700027', 'Client assertion failed signature validation. (Reason - The key was not found.)');
      const registered = thumbprints(app.certificatePem);
      const expected = header['x5t#S256'] !== undefined ? registered.sha256 : registered.sha1;
      if (x5t !== expected) throw new OAuthError(401, 'invalid_client', 'AADSTS700027', 'Client assertion failed signature validation. (Reason - The key was not found.)');
      try {
        await compactVerify(assertion, createPublicKey(app.certificatePem), { algorithms: ['RS256', 'PS256'] });
      } catch {
        throw new OAuthError(401, 'invalid_client', 'AADSTS700027', 'Client assertion failed signature validation.');
      }
      const tokenEndpoint = `${this.url}/${tenant}/oauth2/v2.0/token`;
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!audiences.includes(tokenEndpoint)) throw new OAuthError(401, 'invalid_client', 'AADSTS700212', 'No matching federated identity record found for presented assertion audience.');
      if (claims.iss !== app.clientId || claims.sub !== app.clientId) {
        throw new OAuthError(401, 'invalid_client', 'AADSTS700021', 'Client assertion application identifier doesn\'t match \'client_id\' parameter.');
      }
      const now = Math.floor(Date.now() / 1000);
      if (typeof claims.exp !== 'number' || claims.exp < now || (typeof claims.nbf === 'number' && claims.nbf > now + 300)) {
        throw new OAuthError(401, 'invalid_client', 'AADSTS700024', 'Client assertion is not within its valid time range.');
      }
      return 'certificate';
    }
    // A federated assertion: a token from a trusted external issuer (the cluster's ServiceAccount issuer).
    const fed = app.federated;
    if (!fed || claims.iss !== fed.issuer || claims.sub !== fed.subject) {
      throw new OAuthError(400, 'invalid_client', 'AADSTS70021', 'No matching federated identity record found for presented assertion.');
    }
    try {
      await jwtVerify(assertion, await this.issuerKeys(fed.issuer), { issuer: fed.issuer, audience: fed.audience ?? federatedAudience, subject: fed.subject });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new OAuthError(400, 'invalid_client', 'AADSTS700211', `The assertion could not be validated against the issuer's keys: ${reason}`);
    }
    return 'federated';
  }

  /** The issuer's JWKS, found through its OpenID configuration as Entra does. */
  private async issuerKeys(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const cached = this.remoteJwks.get(issuer);
    if (cached) return cached;
    const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    if (!response.ok) throw new OAuthError(400, 'invalid_client', 'AADSTS700211', `Could not read the OpenID configuration of issuer ${issuer}.`);
    const { jwks_uri: jwksUri } = (await response.json()) as { jwks_uri: string };
    const jwks = createRemoteJWKSet(new URL(jwksUri));
    this.remoteJwks.set(issuer, jwks);
    return jwks;
  }
}
