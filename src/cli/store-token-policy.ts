// Builds the policy for tokens minted for stores (controller/token-mint-policy.ts) from the
// cluster. The API server's audiences are read at start from what is at hand: the audiences of
// the operator's own ServiceAccount token (issued for the API server, so it carries exactly
// them), the issuer from service-account issuer discovery (not served by every API server),
// and `--api-audiences`. Every minted token is also checked with a TokenReview.
import type { Logger } from 'pino';
import { httpStatusOf } from '../kube/api-error.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { KubeConnection } from '../kube/kube-connection.js';
import type { LabelSelector } from '../controller/types.js';
import { TokenMintPolicy } from '../controller/token-mint-policy.js';

export interface StoreTokenPolicyOptions {
  /** `--api-audiences`. */
  apiAudiences: readonly string[];
  /** `--store-service-account-selector`. */
  serviceAccountSelector?: LabelSelector;
}

/** The `aud` claim of the JWT the operator authenticates with, if it uses one (unverified: it is our own). */
function ownTokenAudiences(connection: KubeConnection): string[] {
  let token: string | undefined;
  try {
    token = connection.bearerToken();
  } catch {
    return [];
  }
  const payload = token?.split('.')[1];
  if (!payload) return [];
  try {
    const aud = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud?: unknown }).aud;
    return (Array.isArray(aud) ? aud : [aud]).filter((a): a is string => typeof a === 'string' && a !== '');
  } catch {
    return [];
  }
}

export async function storeTokenPolicy(client: KubeClient, options: StoreTokenPolicyOptions, logger: Logger): Promise<TokenMintPolicy> {
  const apiAudiences = [...new Set([...options.apiAudiences, ...ownTokenAudiences(client.connection)])];
  try {
    const text = await client.call(() => client.http.get<unknown>('/.well-known/openid-configuration'));
    const issuer = (typeof text === 'string' ? JSON.parse(text) : text) as { issuer?: unknown };
    if (typeof issuer.issuer === 'string' && issuer.issuer !== '' && !apiAudiences.includes(issuer.issuer)) apiAudiences.push(issuer.issuer);
  } catch (error) {
    // Not fatal: every minted token is still checked with a TokenReview.
    logger.info({ error: error instanceof Error ? error.message.split('\n')[0] : String(error) }, 'service-account issuer discovery not served');
  }
  logger.info({ apiAudiences }, 'audiences refused for store tokens');
  return new TokenMintPolicy({
    apiAudiences,
    // No audiences in the review: the API server checks the token against its own.
    review: async (token) => {
      const review = await client.call(() => client.http.request<{ status?: { authenticated?: boolean } }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } }));
      return review.status?.authenticated === true;
    },
    serviceAccountSelector: options.serviceAccountSelector,
    serviceAccountLabels: async (namespace, name) => {
      try {
        const sa = await client.call(() => client.http.get<{ metadata?: { labels?: Record<string, string> } }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}`));
        return sa.metadata?.labels ?? {};
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    },
  });
}
