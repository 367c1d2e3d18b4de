// OIDC discovery for a test control plane's ServiceAccount issuer, on plain HTTP, so the
// wire servers in test/support verify kube-apiserver's tokens the way AWS, Azure, GCP and
// Vault do: discovery document, then JWKS. The API server serves discovery only over its own
// TLS (a CA the wire servers' plain fetch does not trust), so this serves the same public key
// under the key id kube-apiserver puts in the token header (base64url SHA-256 of the PKIX DER).
import { createHash, createPublicKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';

export interface IssuerDiscovery {
  issuer: string;
  discoveryUrl: string;
  jwksUri: string;
  close(): Promise<void>;
}

/** Listens on a free loopback port; the issuer URL is known only once listening, so the caller starts this before the API server. */
export async function startIssuerDiscovery(serviceAccountPubPath: string): Promise<IssuerDiscovery> {
  const key = createPublicKey(await readFile(serviceAccountPubPath));
  const kid = createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('base64url');
  const jwk = { ...key.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const body = path === '/.well-known/openid-configuration'
      ? { issuer, jwks_uri: `${issuer}/openid/v1/jwks`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] }
      : path === '/openid/v1/jwks' ? { keys: [jwk] } : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: `${issuer}/openid/v1/jwks`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
