// Google's token endpoints for tests, on 127.0.0.1 over HTTP:
// - POST /token: the OAuth 2.0 JWT bearer grant (RFC 7523) a service-account key uses; the
//   assertion must be RS256-signed by a registered key, `iss` its client_email, `aud` this
//   endpoint, with a scope and a lifetime of at most an hour.
// - POST /v1/token: the STS token exchange (RFC 8693) of workload identity federation; the
//   subject token is a JWT verified against the pool provider's issuer JWKS and allowed
//   audiences, as Google's STS does for an OIDC provider.
// Issued access tokens are random and remembered, so the gRPC server can check them.
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export interface ServiceAccountKeyJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
  universe_domain: string;
}

export interface WorkloadIdentityPool {
  /** `//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/Q`. */
  audience: string;
  issuer: string;
  /** Keys of the issuer: a JWKS document or its URL. */
  jwks: JSONWebKeySet | string;
  /** Audiences the subject token may carry; the provider's https: URL by default. */
  allowedAudiences?: string[];
}

export interface IssuedToken {
  principal: string;
  expiresAtMs: number;
}

export class FakeGoogleTokenServer {
  readonly issued = new Map<string, IssuedToken>();
  readonly requests: Array<{ path: string; grantType?: string; status: number }> = [];
  /** Answer every request with this HTTP status (e.g. 503) when set. */
  failWith?: number;
  private readonly keys = new Map<string, { publicKeyPem: string; keyId: string }>();
  private pools: Array<{ pool: WorkloadIdentityPool; keys: JWTVerifyGetKey }> = [];
  private server?: http.Server;
  url = '';

  /** Creates a service account with a fresh RSA key and returns its key JSON. */
  createServiceAccountKey(email: string, projectId: string): ServiceAccountKeyJson {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyId = randomBytes(20).toString('hex');
    this.keys.set(email, { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId });
    return {
      type: 'service_account',
      project_id: projectId,
      private_key_id: keyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: String(100000000000000000000n + BigInt(this.keys.size)),
      token_uri: `${this.url}/token`,
      universe_domain: 'googleapis.com',
    };
  }

  /** Deletes a service account key: its assertions are refused from now on. */
  revokeKey(email: string): void {
    this.keys.delete(email);
  }

  addWorkloadIdentityPool(pool: WorkloadIdentityPool): void {
    const keys = typeof pool.jwks === 'string' ? createRemoteJWKSet(new URL(pool.jwks)) : createLocalJWKSet(pool.jwks);
    this.pools.push({ pool, keys });
  }

  acceptToken(token: string, nowMs = Date.now()): boolean {
    const issued = this.issued.get(token);
    return issued !== undefined && issued.expiresAtMs > nowMs;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        this.handle(req.method ?? '', new URL(req.url ?? '/', 'http://localhost').pathname, form)
          .catch(() => ({ status: 500, body: { error: 'internal_failure' } }))
          .then(({ status, body }) => {
            this.requests.push({ path: req.url ?? '', grantType: form.get('grant_type') ?? undefined, status });
            res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
            res.end(JSON.stringify(body));
          });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private issue(principal: string): { access_token: string; expires_in: number } {
    const token = `ya29.${randomBytes(32).toString('base64url')}`;
    this.issued.set(token, { principal, expiresAtMs: Date.now() + 3600_000 });
    return { access_token: token, expires_in: 3599 };
  }

  private async handle(method: string, pathname: string, form: URLSearchParams): Promise<{ status: number; body: unknown }> {
    if (this.failWith) return { status: this.failWith, body: { error: 'temporarily_unavailable' } };
    if (method !== 'POST') return { status: 405, body: { error: 'invalid_request' } };
    if (pathname === '/token') return this.jwtBearer(form);
    if (pathname === '/v1/token') return this.tokenExchange(form);
    return { status: 404, body: { error: 'not_found' } };
  }

  private async jwtBearer(form: URLSearchParams): Promise<{ status: number; body: unknown }> {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } };
    }
    const assertion = form.get('assertion') ?? '';
    const [encodedClaims] = assertion.split('.').slice(1, 2);
    let iss: string;
    try {
      iss = String((JSON.parse(Buffer.from(encodedClaims ?? '', 'base64url').toString('utf8')) as { iss?: unknown }).iss ?? '');
    } catch {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT.' } };
    }
    const key = this.keys.get(iss);
    if (!key) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' } };
    try {
      const { payload, protectedHeader } = await jwtVerify(assertion, createPublicKey(key.publicKeyPem), {
        algorithms: ['RS256'],
        issuer: iss,
        audience: `${this.url}/token`,
        maxTokenAge: '1h',
      });
      if (protectedHeader.kid !== undefined && protectedHeader.kid !== key.keyId) throw new Error('kid');
      if (typeof payload.scope !== 'string' || payload.scope === '') throw new Error('scope');
      if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || payload.exp - payload.iat > 3600) throw new Error('lifetime');
    } catch {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
    }
    return { status: 200, body: { ...this.issue(`serviceAccount:${iss}`), token_type: 'Bearer' } };
  }

  private async tokenExchange(form: URLSearchParams): Promise<{ status: number; body: unknown }> {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange') {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Invalid value for "grant_type".' } };
    }
    if (form.get('requested_token_type') !== 'urn:ietf:params:oauth:token-type:access_token') {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Invalid value for "requested_token_type".' } };
    }
    const subjectTokenType = form.get('subject_token_type');
    if (subjectTokenType !== 'urn:ietf:params:oauth:token-type:jwt' && subjectTokenType !== 'urn:ietf:params:oauth:token-type:id_token') {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Invalid value for "subject_token_type".' } };
    }
    const entry = this.pools.find((p) => p.pool.audience === form.get('audience'));
    if (!entry) return { status: 400, body: { error: 'invalid_target', error_description: 'The target service indicated by the "audience" parameters is invalid.' } };
    const allowed = entry.pool.allowedAudiences ?? [`https:${entry.pool.audience}`];
    try {
      const { payload } = await jwtVerify(form.get('subject_token') ?? '', entry.keys, { issuer: entry.pool.issuer, audience: allowed });
      return {
        status: 200,
        body: { ...this.issue(`principal://${entry.pool.audience}/subject/${String(payload.sub)}`), issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer' },
      };
    } catch {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'The access token provided is invalid or has expired.' } };
    }
  }
}
