// ProviderDeps for wire tests: credentials from an in-memory map of Secrets, a token minter
// supplied by the test, and a logger/observer that record everything so tests can assert
// on calls and grep for leaked values.
import type {
  MintedToken,
  ProviderCallObservation,
  ProviderDeps,
  SecretKeySelector,
  ServiceAccountSelector,
  StoreIdentity,
} from '../../../providers/contract/index.js';
import { NotFoundError } from '../../../providers/contract/index.js';

export interface RecordingDeps extends ProviderDeps {
  observations: ProviderCallObservation[];
  logLines: string[];
  secretReads: SecretKeySelector[];
  mintRequests: Array<{ ref: ServiceAccountSelector; audiences?: string[] }>;
}

export interface RecordingDepsOptions {
  store?: StoreIdentity;
  /** `namespace/name` → key → value. */
  secrets?: Record<string, Record<string, string>>;
  configMaps?: Record<string, Record<string, string>>;
  mint?: (ref: ServiceAccountSelector, audiences: string[], expirationSeconds?: number) => Promise<MintedToken>;
  now?: () => number;
}

export function recordingDeps(options: RecordingDepsOptions = {}): RecordingDeps {
  const store = options.store ?? { kind: 'SecretStore', name: 'store', namespace: 'default' };
  const observations: ProviderCallObservation[] = [];
  const logLines: string[] = [];
  const secretReads: SecretKeySelector[] = [];
  const mintRequests: Array<{ ref: ServiceAccountSelector; audiences?: string[] }> = [];
  const log = (level: string) => (obj: object, msg?: string): void => {
    logLines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  };
  const lookup = (table: Record<string, Record<string, string>> | undefined, ref: SecretKeySelector, kind: string): string => {
    const namespace = store.kind === 'SecretStore' ? store.namespace : ref.namespace;
    const value = table?.[`${namespace}/${ref.name}`]?.[ref.key];
    if (value === undefined) throw new NotFoundError(`${kind} ${namespace}/${ref.name} has no key ${ref.key}`, { reason: `${kind}NotFound` });
    return value;
  };
  return {
    store,
    // As the operator's default: only a ClusterSecretStore may use ambient credentials.
    allowAmbientCredentials: store.kind === 'ClusterSecretStore',
    clock: { now: options.now ?? (() => Date.now()) },
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    observer: { observe: (o) => void observations.push(o) },
    async readSecret(ref) {
      secretReads.push(ref);
      return Buffer.from(lookup(options.secrets, ref, 'Secret'), 'utf8');
    },
    async readConfigMap(ref) {
      return lookup(options.configMaps, ref, 'ConfigMap');
    },
    async mintServiceAccountToken(ref, mintOptions) {
      mintRequests.push({ ref, audiences: mintOptions?.audiences });
      if (!options.mint) throw new Error('no ServiceAccount token minter configured');
      return options.mint(ref, mintOptions?.audiences ?? ref.audiences ?? [], mintOptions?.expirationSeconds);
    },
    observations,
    logLines,
    secretReads,
    mintRequests,
  };
}
