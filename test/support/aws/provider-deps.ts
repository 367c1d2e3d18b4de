// ProviderDeps for wire tests: credential Secrets from an in-memory map, ServiceAccount
// tokens minted by a dev cluster's TokenRequest API, and an observer that records calls.
import type { ProviderCallObservation, ProviderDeps, SecretKeySelector, StoreIdentity } from '../../../providers/contract/index.js';
import { NotFoundError } from '../../../providers/contract/index.js';
import { requestServiceAccountToken } from './service-account-tokens.js';

export interface TestDeps extends ProviderDeps {
  observed: ProviderCallObservation[];
  /** Tokens minted so far (to check none leaks into messages). */
  minted: string[];
  /** Credential Secrets, as `namespace/name` → key → value; change them to rotate. */
  secrets: Map<string, Record<string, string>>;
}

export function makeTestDeps(options: {
  store?: StoreIdentity;
  secrets?: Record<string, Record<string, string>>;
  cluster?: { url: string; bearer: string };
  /** ConfigMaps, as `namespace/name` → key → value. */
  configMaps?: Record<string, Record<string, string>>;
  now?: () => number;
}): TestDeps {
  const store = options.store ?? { kind: 'SecretStore', name: 'store', namespace: 'team-a' };
  const secrets = new Map(Object.entries(options.secrets ?? {}));
  const observed: ProviderCallObservation[] = [];
  const minted: string[] = [];
  const namespaceOf = (ref: { namespace?: string }) => (store.kind === 'SecretStore' ? store.namespace! : ref.namespace!);
  return {
    store,
    // As the operator's default: only a ClusterSecretStore may use ambient credentials.
    allowAmbientCredentials: store.kind === 'ClusterSecretStore',
    observed,
    minted,
    secrets,
    clock: { now: options.now ?? (() => Date.now()) },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    observer: { observe: (c) => observed.push(c) },
    async readSecret(ref: SecretKeySelector) {
      const value = secrets.get(`${namespaceOf(ref)}/${ref.name}`)?.[ref.key];
      if (value === undefined) throw new NotFoundError(`secret ${ref.name} key ${ref.key} not found`, { reason: 'CredentialNotFound' });
      return Buffer.from(value, 'utf8');
    },
    async readConfigMap(ref: SecretKeySelector) {
      const value = options.configMaps?.[`${namespaceOf(ref)}/${ref.name}`]?.[ref.key];
      if (value === undefined) throw new NotFoundError(`ConfigMap ${ref.name} key ${ref.key} not found`, { reason: 'ConfigMapNotFound' });
      return value;
    },
    async mintServiceAccountToken(ref, opts) {
      if (!options.cluster) throw new Error('no cluster to mint tokens');
      const out = await requestServiceAccountToken(options.cluster.url, options.cluster.bearer, { namespace: namespaceOf(ref), name: ref.name }, opts);
      minted.push(out.token);
      return out;
    },
  };
}
