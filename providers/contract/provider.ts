// The contract between keyferry's core and a secret store provider. A provider is a
// stateless factory (validate config, name its endpoint, connect); `connect` returns a
// per-store client. Everything a provider needs from the outside arrives in
// `ProviderDeps`, so a provider imports nothing but this contract and its SDK.
import type { RemoteRef, RemoteSecret } from './remote-secret.js';
import { ConfigError, type ProviderError } from './errors.js';

export type ProviderName = 'aws' | 'gcpsm' | 'azurekv' | 'vault' | 'onepassword' | 'fake';

/** A reference to a key of a Kubernetes Secret (or ConfigMap) holding a credential. */
export interface SecretKeySelector {
  name: string;
  key: string;
  /** Required in a ClusterSecretStore; ignored (the store's own) in a SecretStore. */
  namespace?: string;
}

export interface ServiceAccountSelector {
  name: string;
  namespace?: string;
  audiences?: string[];
}

export interface StoreIdentity {
  kind: 'SecretStore' | 'ClusterSecretStore';
  name: string;
  /** Set for a SecretStore; for a ClusterSecretStore, the namespace of the ExternalSecret using it, if any. */
  namespace?: string;
}

export interface RateLimit {
  requestsPerSecond: number;
  burst: number;
  maxConcurrent: number;
}

/** A field-level problem in a store's provider block. */
export interface ConfigIssue {
  /** Path from the store's spec, e.g. `spec.provider.aws.region`. */
  field: string;
  message: string;
}

export interface ProviderLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** One call a provider made, for latency/outcome metrics (auth exchanges, logins, ...). */
export interface ProviderCallObservation {
  operation: string;
  outcome: 'success' | ProviderError['kind'];
  durationMs: number;
  /** Provider status code or error code; never a value. */
  status?: string;
}

export interface ProviderObserver {
  observe(call: ProviderCallObservation): void;
}

/** The error a provider throws where its config would use ambient credentials it may not. */
export function ambientCredentialsRefused(field: string, source: string): ConfigError {
  return new ConfigError(
    `${field}: no credentials are named, so this store would use the operator's own (${source}); a namespaced SecretStore may not. ` +
      'Name credentials in the store, or ask a cluster admin for a ClusterSecretStore',
    { reason: 'AmbientCredentialsNotAllowed' },
  );
}

export interface MintedToken {
  token: string;
  expiresAt: Date;
}

export interface ProviderDeps {
  store: StoreIdentity;
  /**
   * Whether this store may use the operator's own ambient credentials (see
   * `Provider.ambientCredentials`). False for a namespaced SecretStore unless the operator
   * allows it: a provider then refuses to fall back to its SDK's default chain.
   */
  allowAmbientCredentials: boolean;
  clock: Clock;
  logger: ProviderLogger;
  observer: ProviderObserver;
  /**
   * Reads one key of a credential Secret. Namespace rules (a SecretStore reads only its
   * own namespace; a ClusterSecretStore's references must name one) are enforced here.
   */
  readSecret(ref: SecretKeySelector): Promise<Buffer>;
  /** Reads one key of a ConfigMap (for `caProvider`), under the same namespace rules. */
  readConfigMap(ref: SecretKeySelector): Promise<string>;
  /** Mints a ServiceAccount token with the TokenRequest API. */
  mintServiceAccountToken(ref: ServiceAccountSelector, options?: { audiences?: string[]; expirationSeconds?: number }): Promise<MintedToken>;
}

export interface CallContext {
  signal?: AbortSignal;
}

/**
 * A user's name pattern, compiled by the core in a linear-time engine (RE2 semantics), so a
 * provider never compiles or runs a user-supplied regular expression itself.
 */
export interface NameMatcher {
  /** The pattern as the user wrote it. */
  readonly source: string;
  /** Whether the pattern matches anywhere in `name` (unanchored, like Go's MatchString). */
  test(name: string): boolean;
}

export interface FindQuery {
  /** What the remote name must match (`find.name.regexp`). */
  name?: NameMatcher;
  /** Tags/labels that must all be present with these values. */
  tags?: Record<string, string>;
  /** Path prefix (Vault) or name prefix to list under. */
  path?: string;
}

export interface StoreValidation {
  /** Non-fatal findings shown on the store's status, e.g. a plaintext endpoint. */
  warnings: string[];
}

/** A connected client for one store. Methods reject with `ProviderError`s. */
export interface ProviderClient {
  /** Reads one remote secret (whole, at the given version or latest). */
  fetch(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret>;
  /**
   * Reads many at once where the provider has a batch call. Results line up with `refs`;
   * a per-secret failure is returned in its slot, not thrown.
   */
  fetchMany?(refs: RemoteRef[], ctx?: CallContext): Promise<Array<RemoteSecret | ProviderError>>;
  /**
   * Reads one remote secret's user metadata, what External Secrets Operator's
   * `metadataPolicy: Fetch` reads for this provider: a RemoteSecret with `userMetadata` set
   * (its value may be empty). Absent where the provider, or this store's service or engine
   * version, has none; an ExternalSecret asking for it is then refused before any call.
   */
  fetchMetadata?(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret>;
  /** Largest batch `fetchMany` accepts. */
  readonly maxBatchSize?: number;
  /** Lists remote secret keys matching a query, for `dataFrom.find`. */
  find?(query: FindQuery, ctx?: CallContext): Promise<string[]>;
  /** Checks that the store is usable (reachable, authenticated). */
  validate(ctx?: CallContext): Promise<StoreValidation>;
  close(): Promise<void>;
}

export interface Provider<Config = unknown> {
  readonly name: ProviderName;
  /** Conservative default budget, from the provider's published limits. */
  readonly defaultRateLimit: RateLimit;
  /** Checks the provider block's shape; an empty list means the config can be used. */
  validateConfig(config: unknown, store: StoreIdentity): ConfigIssue[];
  /**
   * Names the remote endpoint a store talks to (AWS account+region+role, Vault
   * address+namespace, ...). Stores with the same identity share one rate budget.
   */
  endpointIdentity(config: Config, store: StoreIdentity): string;
  /**
   * The operator's own credentials this config would fall back to (the SDK's default chain:
   * environment, IRSA, instance profile, managed identity, application default credentials),
   * described for a condition; undefined when the config names credentials of its own. A
   * namespaced SecretStore may not use them unless the operator allows it.
   */
  ambientCredentials(config: unknown): string | undefined;
  connect(config: Config, deps: ProviderDeps): Promise<ProviderClient>;
}
