// ProviderDeps for gcpsm tests: credential Secrets and ConfigMaps from maps, a
// TokenRequest stand-in signing ServiceAccount tokens with a local key (published as a
// JWKS, as the API server's OIDC discovery does), and a logger/observer that record.
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';
import type { MintedToken, ProviderCallObservation, ProviderDeps, SecretKeySelector, ServiceAccountSelector } from '../../../providers/contract/index.js';
import { NotFoundError } from '../../../providers/contract/index.js';

export interface GcpTestDeps extends ProviderDeps {
  secrets: Map<string, Buffer>;
  configMaps: Map<string, string>;
  logLines: string[];
  observations: ProviderCallObservation[];
  mintedTokens: string[];
  mintRequests: Array<{ ref: ServiceAccountSelector; audiences?: string[] }>;
}

export interface ServiceAccountIssuer {
  issuer: string;
  jwks: JSONWebKeySet;
  deps(namespace?: string): GcpTestDeps;
}

function refKey(ref: SecretKeySelector, namespace: string): string {
  return `${ref.namespace ?? namespace}/${ref.name}/${ref.key}`;
}

export async function createServiceAccountIssuer(issuer = 'https://kubernetes.default.svc.cluster.local'): Promise<ServiceAccountIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-sa-key', alg: 'RS256', use: 'sig' };
  return {
    issuer,
    jwks: { keys: [jwk] },
    deps(namespace = 'team-a'): GcpTestDeps {
      const logLines: string[] = [];
      const record = (level: string) => (obj: object, msg?: string) => logLines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
      const deps: GcpTestDeps = {
        store: { kind: 'SecretStore', name: 'gcp', namespace },
        // As the operator's default for a SecretStore.
        allowAmbientCredentials: false,
        clock: { now: () => Date.now() },
        logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
        observer: { observe: (call) => deps.observations.push(call) },
        secrets: new Map(),
        configMaps: new Map(),
        logLines,
        observations: [],
        mintedTokens: [],
        mintRequests: [],
        async readSecret(ref) {
          const value = deps.secrets.get(refKey(ref, namespace));
          if (!value) throw new NotFoundError(`secret ${ref.name} key ${ref.key} not found`, { reason: 'CredentialSecretNotFound' });
          return value;
        },
        async readConfigMap(ref) {
          const value = deps.configMaps.get(refKey(ref, namespace));
          if (value === undefined) throw new NotFoundError(`configmap ${ref.name} key ${ref.key} not found`, { reason: 'ConfigMapNotFound' });
          return value;
        },
        async mintServiceAccountToken(ref, options): Promise<MintedToken> {
          deps.mintRequests.push({ ref, audiences: options?.audiences });
          const expiresAt = new Date(Date.now() + (options?.expirationSeconds ?? 3600) * 1000);
          const token = await new SignJWT({ kubernetes: { namespace, serviceaccount: { name: ref.name } } })
            .setProtectedHeader({ alg: 'RS256', kid: 'test-sa-key' })
            .setIssuer(issuer)
            .setSubject(`system:serviceaccount:${namespace}:${ref.name}`)
            .setAudience(options?.audiences ?? ['https://kubernetes.default.svc'])
            .setIssuedAt()
            .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
            .sign(privateKey);
          deps.mintedTokens.push(token);
          return { token, expiresAt };
        },
      };
      return deps;
    },
  };
}
