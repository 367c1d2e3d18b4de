// Builds the @azure/identity credential for a store's authType. Credentials are read once
// at connect through the injected deps; the values read are handed back so every error
// message from this store can be scrubbed of them.
import type { Agent } from 'node:https';
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { ConfigError, type ProviderDeps } from '../contract/index.js';
import { authorityHostFor, type AzureKeyVaultConfig } from './config.js';

/** Prefix of the error thrown when the TokenRequest for a workload identity assertion fails. */
export const serviceAccountTokenFailure = 'ServiceAccount token request failed';

/** The audience Entra ID expects on a federated (workload identity) assertion. */
export const workloadIdentityAudience = 'api://AzureADTokenExchange';

export interface BuiltCredential {
  credential: TokenCredential;
  /** Credential material read for this store, for error scrubbing. */
  redact: string[];
}

async function readString(deps: ProviderDeps, ref: { name: string; key: string; namespace?: string }): Promise<string> {
  return (await deps.readSecret(ref)).toString('utf8').trim();
}

export async function buildCredential(config: AzureKeyVaultConfig, deps: ProviderDeps, agent: Agent | undefined): Promise<BuiltCredential> {
  const authority = authorityHostFor(config);
  const options = {
    authorityHost: authority.host,
    // A custom authority is a private or local cloud: instance discovery would ask the
    // public cloud about it, so it is turned off and the authority is trusted as given.
    disableInstanceDiscovery: authority.custom,
    agent,
    // keyferry's fetch path retries with backoff and honours Retry-After; SDK retries
    // underneath it would multiply the calls.
    retryOptions: { maxRetries: 0 },
  };
  const authType = config.authType ?? 'ServicePrincipal';
  const auth = config.authSecretRef ?? {};

  if (authType === 'ManagedIdentity') {
    // Talks to the node's identity endpoint (IMDS or the App Service/Arc equivalents); it
    // only works on Azure compute.
    const credential = config.identityId
      ? new ManagedIdentityCredential({ clientId: config.identityId, retryOptions: options.retryOptions })
      : new ManagedIdentityCredential({ retryOptions: options.retryOptions });
    return { credential, redact: [] };
  }

  if (authType === 'WorkloadIdentity') {
    if (!config.tenantId) throw new ConfigError('spec.provider.azurekv.tenantId is required for WorkloadIdentity', { reason: 'InvalidProviderConfig' });
    const clientId = auth.clientId ? await readString(deps, auth.clientId) : config.identityId;
    if (!clientId) throw new ConfigError('spec.provider.azurekv.identityId is required for WorkloadIdentity', { reason: 'InvalidProviderConfig' });
    const sa = config.serviceAccountRef;
    if (!sa) throw new ConfigError('spec.provider.azurekv.serviceAccountRef is required for WorkloadIdentity', { reason: 'InvalidProviderConfig' });
    const audiences = sa.audiences && sa.audiences.length > 0 ? sa.audiences : [workloadIdentityAudience];
    // A fresh ServiceAccount token per exchange: MSAL caches the resulting access token, so
    // this runs about once an hour, and no long-lived token sits in memory.
    const getAssertion = async (): Promise<string> => {
      try {
        return (await deps.mintServiceAccountToken(sa, { audiences, expirationSeconds: 600 })).token;
      } catch (error) {
        // MSAL keeps only the message of what this callback throws; the marker lets the
        // error mapping tell a failed TokenRequest from a refusal by Entra ID.
        throw new Error(`${serviceAccountTokenFailure}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    };
    return { credential: new ClientAssertionCredential(config.tenantId, clientId, getAssertion, options), redact: [] };
  }

  if (!config.tenantId || !auth.clientId) {
    throw new ConfigError(`spec.provider.azurekv: ${authType} needs tenantId and authSecretRef.clientId`, { reason: 'InvalidProviderConfig' });
  }
  const clientId = await readString(deps, auth.clientId);

  if (auth.clientSecret) {
    const secret = await readString(deps, auth.clientSecret);
    return { credential: new ClientSecretCredential(config.tenantId, clientId, secret, options), redact: [secret] };
  }
  if (auth.clientCertificate) {
    const pem = (await deps.readSecret(auth.clientCertificate)).toString('utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----') || !/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
      throw new ConfigError('spec.provider.azurekv.authSecretRef.clientCertificate must hold a PEM certificate and its private key', {
        reason: 'InvalidClientCertificate',
        redact: [pem],
      });
    }
    const keyBlock = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)?.[0];
    return { credential: new ClientCertificateCredential(config.tenantId, clientId, { certificate: pem }, options), redact: keyBlock ? [keyBlock] : [] };
  }
  throw new ConfigError('spec.provider.azurekv.authSecretRef needs clientSecret or clientCertificate', { reason: 'InvalidProviderConfig' });
}

/**
 * Wraps a credential so each token exchange (the SDK asks only when its cache runs out) is
 * reported to the observer, like any other provider call.
 */
export function observedCredential(
  inner: TokenCredential,
  observe: (outcome: { ok: boolean; error?: unknown; durationMs: number }) => void,
  now: () => number,
): TokenCredential {
  return {
    async getToken(scopes, options) {
      const started = now();
      try {
        const token = await inner.getToken(scopes, options);
        observe({ ok: true, durationMs: now() - started });
        return token;
      } catch (error) {
        observe({ ok: false, error, durationMs: now() - started });
        throw error;
      }
    },
  };
}
