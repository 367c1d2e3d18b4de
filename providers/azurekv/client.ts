// A connected Azure Key Vault store: reads whole secrets (value + attributes) with the real
// SecretClient, lists them for `find`, and turns every failure into a typed error.
import type { Agent } from 'node:https';
import type { SecretClient, KeyVaultSecret, SecretProperties } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import {
  ConfigError,
  NotFoundError,
  type CallContext,
  type Clock,
  type FindQuery,
  type ProviderClient,
  type ProviderError,
  type ProviderObserver,
  type RemoteRef,
  type RemoteSecret,
  type StoreValidation,
} from '../contract/index.js';
import { toProviderError } from './errors.js';

export interface AzureKeyVaultClientParts {
  secrets: SecretClient;
  credential: TokenCredential;
  /** Scope used to check the credential in `validate`, e.g. `https://vault.azure.net/.default`. */
  scope: string;
  clock: Clock;
  observer: ProviderObserver;
  redact: readonly string[];
  warnings: string[];
  agent?: Agent;
}

/**
 * ESO lets a key name the object kind (`secret/name`); only secrets are read here, so that
 * prefix is accepted and dropped, and `cert/`/`key/` are refused plainly.
 */
function secretName(key: string): string {
  const slash = key.indexOf('/');
  if (slash < 0) return key;
  const kind = key.slice(0, slash);
  if (kind === 'secret') return key.slice(slash + 1);
  if (kind === 'cert' || kind === 'key') {
    throw new ConfigError(`Azure Key Vault: "${key}": reading ${kind === 'cert' ? 'certificates' : 'keys'} is not supported, only secrets`, { reason: 'UnsupportedObjectType' });
  }
  throw new ConfigError(`Azure Key Vault: "${key}" is not a valid secret name`, { reason: 'InvalidSecretName' });
}

function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

export class AzureKeyVaultClient implements ProviderClient {
  constructor(private readonly parts: AzureKeyVaultClientParts) {}

  private fail(error: unknown, action: string): ProviderError {
    return toProviderError(error, { action, redact: this.parts.redact, nowMs: this.parts.clock.now() });
  }

  private async observed<T>(operation: string, action: string, call: () => Promise<T>): Promise<T> {
    const started = this.parts.clock.now();
    try {
      const result = await call();
      this.parts.observer.observe({ operation, outcome: 'success', durationMs: this.parts.clock.now() - started, status: '200' });
      return result;
    } catch (error) {
      const mapped = this.fail(error, action);
      this.parts.observer.observe({ operation, outcome: mapped.kind, durationMs: this.parts.clock.now() - started, status: mapped.code ?? mapped.reason });
      throw mapped;
    }
  }

  /** The tags of the version read come with its value, as ESO reads them. */
  fetchMetadata(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret> {
    return this.fetch(ref, ctx);
  }

  async fetch(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret> {
    const name = secretName(ref.key);
    const what = ref.version ? `reading secret "${name}" version "${ref.version}"` : `reading secret "${name}"`;
    const secret: KeyVaultSecret = await this.observed('GetSecret', what, () =>
      this.parts.secrets.getSecret(name, { version: ref.version, abortSignal: ctx?.signal }));
    const props = secret.properties;
    if (props.enabled === false) {
      throw new NotFoundError(`Azure Key Vault: ${what}: the secret is disabled`, { reason: 'SecretDisabled' });
    }
    // Key Vault serves a secret before its notBefore time (it leaves enforcement to the
    // caller), so the window is enforced here.
    if (props.notBefore && props.notBefore.getTime() > this.parts.clock.now()) {
      throw new NotFoundError(`Azure Key Vault: ${what}: the secret is not valid before ${props.notBefore.toISOString()}`, { reason: 'SecretNotYetValid' });
    }
    if (secret.value === undefined) {
      throw new NotFoundError(`Azure Key Vault: ${what}: the vault returned no value`, { reason: 'NoValue' });
    }
    return {
      value: Buffer.from(secret.value, 'utf8'),
      versionId: props.version,
      createdAt: props.createdOn,
      updatedAt: props.updatedOn,
      expiresAt: props.expiresOn,
      metadata: metadataOf(props),
      // The secret's tags are what ESO's metadataPolicy Fetch reads for Azure Key Vault.
      userMetadata: { ...(props.tags ?? {}) },
    };
  }

  async find(query: FindQuery, ctx?: CallContext): Promise<string[]> {
    const tags = Object.entries(query.tags ?? {});
    return this.observed('ListSecrets', 'listing secrets', async () => {
      const names: string[] = [];
      for await (const props of this.parts.secrets.listPropertiesOfSecrets({ abortSignal: ctx?.signal })) {
        // A disabled secret cannot be read, so listing it would only produce a failed sync.
        if (props.enabled === false) continue;
        // Certificates surface in the secrets list as managed secrets; they are not plain secrets.
        if (props.managed) continue;
        if (query.path !== undefined && !props.name.startsWith(query.path)) continue;
        if (query.name && !query.name.test(props.name)) continue;
        if (tags.some(([k, v]) => props.tags?.[k] !== v)) continue;
        names.push(props.name);
      }
      return names.sort();
    });
  }

  async validate(ctx?: CallContext): Promise<StoreValidation> {
    // A token for the vault's audience proves the credential; reading is proven by the first
    // fetch, since a least-privilege identity may hold `get` but not `list`.
    let token;
    try {
      token = await this.parts.credential.getToken(this.parts.scope, { abortSignal: ctx?.signal });
    } catch (error) {
      throw this.fail(error, 'acquiring a token');
    }
    if (!token) throw this.fail(new Error('the credential returned no token'), 'acquiring a token');
    return { warnings: [...this.parts.warnings] };
  }

  async close(): Promise<void> {
    this.parts.agent?.destroy();
  }
}

function metadataOf(props: SecretProperties): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: string | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  put('version', props.version);
  put('created', iso(props.createdOn));
  put('updated', iso(props.updatedOn));
  put('expires', iso(props.expiresOn));
  put('notBefore', iso(props.notBefore));
  put('contentType', props.contentType);
  for (const [k, v] of Object.entries(props.tags ?? {})) out[`tag.${k}`] = v;
  return out;
}
