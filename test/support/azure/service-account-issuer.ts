// A stand-in ServiceAccount token issuer for wire tests that run without the dev cluster:
// signs tokens shaped like the TokenRequest API's and publishes the same OIDC discovery
// documents (`/.well-known/openid-configuration`, `/openid/v1/jwks`) on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type CryptoKey } from 'jose';

export class ServiceAccountIssuer {
  readonly minted: Array<{ subject: string; audiences: string[] }> = [];

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    private readonly key: CryptoKey,
    private readonly jwk: JWK,
  ) {}

  static async start(): Promise<ServiceAccountIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const raw = await exportJWK(publicKey);
    const jwk: JWK = { use: 'sig', kty: 'RSA', alg: 'RS256', kid: await calculateJwkThumbprint(raw), n: raw.n, e: raw.e };
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const made = new ServiceAccountIssuer(server, issuer, privateKey, jwk);
    server.on('request', (req, res) => {
      const body = req.url === '/.well-known/openid-configuration'
        ? { issuer, jwks_uri: `${issuer}/openid/v1/jwks`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] }
        : req.url === '/openid/v1/jwks' ? { keys: [jwk] } : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { kind: 'Status', code: 404 }));
    });
    return made;
  }

  async mint(namespace: string, name: string, audiences: string[], expirationSeconds = 3600): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(Date.now() / 1000);
    const subject = `system:serviceaccount:${namespace}:${name}`;
    this.minted.push({ subject, audiences });
    const token = await new SignJWT({ 'kubernetes.io': { namespace, serviceaccount: { name, uid: randomUUID() } } })
      .setProtectedHeader({ alg: 'RS256', kid: this.jwk.kid })
      .setIssuer(this.issuer)
      .setSubject(subject)
      .setAudience(audiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + expirationSeconds)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, expiresAt: new Date((iat + expirationSeconds) * 1000) };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
