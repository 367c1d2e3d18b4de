// ServiceAccount tokens for wire servers: verification the way an external service does it
// (OIDC discovery from the token's issuer, then its JWKS), and minting through a cluster's
// TokenRequest API, as the operator's `mintServiceAccountToken` does.
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';

export interface VerifiedServiceAccountToken {
  subject: string;
  namespace: string;
  serviceAccountName: string;
  audiences: string[];
  expiresAt: Date;
}

export class TokenVerificationError extends Error {
  constructor(message: string, readonly reason: 'invalid' | 'expired' | 'audience' | 'issuer') {
    super(message);
  }
}

/**
 * Verifies JWTs against trusted OIDC issuers: the issuer is fetched once for its discovery
 * document and JWKS (jose caches and refreshes the key set), as AWS IAM OIDC providers and
 * Vault's JWKS-based kubernetes auth do.
 */
export class OidcTokenVerifier {
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly trustedIssuers: () => string[], private readonly now: () => Date = () => new Date()) {}

  private async keySet(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    let set = this.keySets.get(issuer);
    if (!set) {
      const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
      if (!res.ok) throw new TokenVerificationError(`cannot fetch OIDC discovery document of ${issuer}: ${res.status}`, 'issuer');
      const doc = (await res.json()) as { issuer?: string; jwks_uri?: string };
      if (doc.issuer !== issuer || !doc.jwks_uri) throw new TokenVerificationError(`OIDC discovery document of ${issuer} is inconsistent`, 'issuer');
      set = createRemoteJWKSet(new URL(doc.jwks_uri));
      this.keySets.set(issuer, set);
    }
    return set;
  }

  /** Verifies signature, issuer, expiry and, when `audiences` is given, that one of them is in `aud`. */
  async verify(token: string, audiences?: string[]): Promise<VerifiedServiceAccountToken> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new TokenVerificationError('token is not a JWT', 'invalid');
    }
    const issuer = String(unverified.iss ?? '');
    if (!this.trustedIssuers().includes(issuer)) throw new TokenVerificationError(`no trusted OIDC provider for issuer "${issuer}"`, 'issuer');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keySet(issuer), { issuer, algorithms: ['RS256'], currentDate: this.now() }));
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw new TokenVerificationError('token is expired', 'expired');
      throw new TokenVerificationError(`token signature or claims are invalid (${code ?? 'error'})`, 'invalid');
    }
    const aud = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
    if (audiences && !aud.some((a) => audiences.includes(a))) throw new TokenVerificationError(`token audience ${JSON.stringify(aud)} is not accepted`, 'audience');
    const subject = String(payload.sub ?? '');
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(subject);
    if (!m) throw new TokenVerificationError('token subject is not a ServiceAccount', 'invalid');
    return { subject, namespace: m[1]!, serviceAccountName: m[2]!, audiences: aud, expiresAt: new Date(Number(payload.exp) * 1000) };
  }
}

/** Mints a token with the TokenRequest API of the cluster at `apiUrl`, authenticating with `bearer`. */
export async function requestServiceAccountToken(
  apiUrl: string,
  bearer: string,
  ref: { namespace: string; name: string },
  options: { audiences?: string[]; expirationSeconds?: number } = {},
): Promise<{ token: string; expiresAt: Date }> {
  const res = await fetch(`${apiUrl}/api/v1/namespaces/${ref.namespace}/serviceaccounts/${ref.name}/token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: options.audiences ?? [], expirationSeconds: options.expirationSeconds ?? 3600 },
    }),
  });
  if (!res.ok) throw new Error(`TokenRequest for ${ref.namespace}/${ref.name} failed: ${res.status}`);
  const body = (await res.json()) as { status: { token: string; expirationTimestamp: string } };
  return { token: body.status.token, expiresAt: new Date(body.status.expirationTimestamp) };
}
