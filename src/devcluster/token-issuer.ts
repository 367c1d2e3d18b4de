// Service-account tokens: the TokenRequest API (RS256 JWTs signed with `jose`), TokenReview
// verification, and the OIDC issuer discovery documents that external verifiers (AWS STS,
// Vault, Azure, GCP test servers) fetch, exactly as a real cluster publishes them.
import { randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, createLocalJWKSet, type JWK, type CryptoKey } from 'jose';

export interface TokenClaims {
  namespace: string;
  serviceAccountName: string;
  serviceAccountUid: string;
  audiences: string[];
  expirationSeconds: number;
  /** A Pod or Secret the token is bound to (TokenRequest `spec.boundObjectRef`). */
  boundObject?: { kind: string; name: string; uid: string };
}

export interface VerifiedToken {
  namespace: string;
  serviceAccountName: string;
  serviceAccountUid: string;
  audiences: string[];
  jti: string;
  expiresAt: Date;
}

export class TokenIssuer {
  private constructor(
    readonly issuer: string,
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    private readonly now: () => Date,
  ) {}

  static async create(issuer: string, now: () => Date = () => new Date()): Promise<TokenIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new TokenIssuer(issuer, privateKey, { use: 'sig', kty: 'RSA', kid, alg: 'RS256', n: jwk.n, e: jwk.e }, now);
  }

  get jwksUri(): string {
    return `${this.issuer}/openid/v1/jwks`;
  }

  /** `/.well-known/openid-configuration`, as kube-apiserver serves it. */
  openidConfiguration(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    };
  }

  /** `/openid/v1/jwks`. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async sign(c: TokenClaims): Promise<{ token: string; expirationTimestamp: Date }> {
    const iat = Math.floor(this.now().getTime() / 1000);
    const exp = iat + c.expirationSeconds;
    const k8s: Record<string, unknown> = {
      namespace: c.namespace,
      serviceaccount: { name: c.serviceAccountName, uid: c.serviceAccountUid },
    };
    if (c.boundObject) k8s[c.boundObject.kind === 'Pod' ? 'pod' : 'secret'] = { name: c.boundObject.name, uid: c.boundObject.uid };
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: 'RS256', kid: this.publicJwk.kid })
      .setIssuer(this.issuer)
      .setSubject(`system:serviceaccount:${c.namespace}:${c.serviceAccountName}`)
      .setAudience(c.audiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expirationTimestamp: new Date(exp * 1000) };
  }

  /**
   * Verifies signature, issuer, expiry and (when given) that the token is for one of
   * `audiences`. Throws with a message in the API server's words on failure.
   */
  async verify(token: string, audiences?: string[]): Promise<VerifiedToken> {
    const { payload } = await jwtVerify(token, createLocalJWKSet(this.jwks()), {
      issuer: this.issuer,
      algorithms: ['RS256'],
      currentDate: this.now(),
    });
    const aud = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
    if (audiences && audiences.length > 0 && !aud.some((a) => audiences.includes(a))) {
      throw new Error('token audiences ' + JSON.stringify(aud) + ' is invalid for the target audiences ' + JSON.stringify(audiences));
    }
    const k8s = payload['kubernetes.io'] as { namespace?: string; serviceaccount?: { name?: string; uid?: string } } | undefined;
    if (!k8s?.namespace || !k8s.serviceaccount?.name || !k8s.serviceaccount.uid) throw new Error('token lacks the kubernetes.io claims');
    return {
      namespace: k8s.namespace,
      serviceAccountName: k8s.serviceaccount.name,
      serviceAccountUid: k8s.serviceaccount.uid,
      audiences: aud,
      jti: String(payload.jti ?? ''),
      expiresAt: new Date(Number(payload.exp) * 1000),
    };
  }
}
