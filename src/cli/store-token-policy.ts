// Builds the policy for tokens minted for stores (controller/token-mint-policy.ts) from the
// cluster: the API server's audiences are its issuer, read from service-account issuer
// discovery at start, plus `--api-audiences`; every minted token is checked with a TokenReview.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { httpStatusOf } from '../kube/api-error.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { LabelSelector } from '../controller/types.js';
import { TokenMintPolicy } from '../controller/token-mint-policy.js';

export interface StoreTokenPolicyOptions {
  /** `--api-audiences`. */
  apiAudiences: readonly string[];
  /** `--store-service-account-selector`. */
  serviceAccountSelector?: LabelSelector;
}

export async function storeTokenPolicy(client: KubeClient, options: StoreTokenPolicyOptions, logger: Logger): Promise<TokenMintPolicy> {
  const apiAudiences = [...options.apiAudiences];
  try {
    const text = await client.call(() => client.config.makeApiClient(k8s.WellKnownApi).getServiceAccountIssuerOpenIDConfiguration());
    const issuer = (typeof text === 'string' ? JSON.parse(text) : text) as { issuer?: unknown };
    if (typeof issuer.issuer === 'string' && issuer.issuer !== '') apiAudiences.push(issuer.issuer);
  } catch (error) {
    // Not fatal: every minted token is still checked with a TokenReview.
    logger.warn({ error: error instanceof Error ? error.message.split('\n')[0] : String(error) }, 'could not read the service-account issuer; only --api-audiences are refused before minting');
  }
  logger.info({ apiAudiences }, 'audiences refused for store tokens');
  const authn = client.config.makeApiClient(k8s.AuthenticationV1Api);
  const core = client.config.makeApiClient(k8s.CoreV1Api);
  return new TokenMintPolicy({
    apiAudiences,
    // No audiences in the review: the API server checks the token against its own.
    review: async (token) => {
      const review = await client.call(() => authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } }));
      return review.status?.authenticated === true;
    },
    serviceAccountSelector: options.serviceAccountSelector,
    serviceAccountLabels: async (namespace, name) => {
      try {
        const sa = await client.call(() => core.readNamespacedServiceAccount({ namespace, name }));
        return sa.metadata?.labels ?? {};
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    },
  });
}
