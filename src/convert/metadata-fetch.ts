// `data[].remoteRef.metadataPolicy: Fetch` across documents: an ExternalSecret names its store,
// which may sit in another document or file of the same run. Where that store's provider reads
// no metadata in keyferry, the operator refuses the ExternalSecret (InvalidSpec), so the report
// warns at the field. A store not among the inputs is not guessed at.
import { ESO_GROUP } from './eso-kinds.js';
import type { MeaningChange } from './meaning-changes.js';
import type { Path } from './schema-walk.js';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A store of the inputs: its provider block's name and config. */
export interface IndexedStore {
  provider: string;
  config: unknown;
}

interface Entry extends IndexedStore {
  /** A SecretStore's namespace as written ('' when it is not); '' for a ClusterSecretStore. */
  namespace: string;
}

/** The SecretStores and ClusterSecretStores of all inputs, by kind, namespace and name. */
export class StoreIndex {
  private readonly stores = new Map<string, Entry[]>();

  /** Takes the stores among parsed documents (ESO's or keyferry's); anything else is ignored. */
  add(obj: unknown): void {
    if (!isObject(obj) || typeof obj.apiVersion !== 'string' || (obj.kind !== 'SecretStore' && obj.kind !== 'ClusterSecretStore')) return;
    if (!obj.apiVersion.startsWith(`${ESO_GROUP}/`) && !obj.apiVersion.startsWith('keyferry.io/')) return;
    const metadata = isObject(obj.metadata) ? obj.metadata : {};
    const provider = isObject(obj.spec) && isObject(obj.spec.provider) ? obj.spec.provider : undefined;
    const entries = provider ? Object.entries(provider) : [];
    // Zero or several provider blocks are refused on their own; which one Fetch would use is moot.
    if (typeof metadata.name !== 'string' || entries.length !== 1) return;
    const namespace = obj.kind === 'SecretStore' && typeof metadata.namespace === 'string' ? metadata.namespace : '';
    const key = `${obj.kind}/${metadata.name}`;
    this.stores.set(key, [...(this.stores.get(key) ?? []), { provider: entries[0]![0], config: entries[0]![1], namespace }]);
  }

  /**
   * The store a `secretStoreRef` names: a SecretStore of the ExternalSecret's namespace (or the
   * only one of that name when either namespace is not written down), or a ClusterSecretStore.
   */
  lookup(kind: string, name: string, namespace: string | undefined): IndexedStore | undefined {
    const candidates = this.stores.get(`${kind}/${name}`) ?? [];
    if (kind === 'ClusterSecretStore') return candidates.length === 1 ? candidates[0] : undefined;
    const exact = candidates.filter((c) => c.namespace === (namespace ?? ''));
    if (exact.length === 1) return exact[0];
    const loose = candidates.filter((c) => c.namespace === '' || namespace === undefined);
    return loose.length === 1 ? loose[0] : undefined;
  }
}

/** Whether keyferry's client for a provider block reads remote metadata (`ProviderClient.fetchMetadata`). */
export type FetchesMetadata = (provider: string, config: unknown) => boolean | undefined;

/**
 * Warnings for each `data[i].remoteRef.metadataPolicy: Fetch` of an ExternalSecret (or a
 * ClusterExternalSecret's template) whose store, found in the inputs, cannot read metadata.
 */
export function metadataFetchChanges(kind: string, obj: Obj, stores: StoreIndex, fetchesMetadata: FetchesMetadata): MeaningChange[] {
  const specPath: Path = kind === 'ExternalSecret' ? ['spec'] : kind === 'ClusterExternalSecret' ? ['spec', 'externalSecretSpec'] : [];
  if (specPath.length === 0) return [];
  const spec = specPath.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), obj);
  if (!isObject(spec) || !Array.isArray(spec.data)) return [];
  const ref = isObject(spec.secretStoreRef) ? spec.secretStoreRef : {};
  if (typeof ref.name !== 'string') return [];
  const storeKind = ref.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
  const metadata = isObject(obj.metadata) ? obj.metadata : {};
  // A ClusterExternalSecret's ExternalSecrets live in many namespaces: only a lone store of the name matches.
  const namespace = kind === 'ExternalSecret' && typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
  const store = stores.lookup(storeKind, ref.name, namespace);
  if (!store || fetchesMetadata(store.provider, store.config) !== false) return [];
  const out: MeaningChange[] = [];
  spec.data.forEach((entry, i) => {
    if (!isObject(entry) || !isObject(entry.remoteRef) || entry.remoteRef.metadataPolicy !== 'Fetch') return;
    out.push({
      severity: 'warning',
      path: [...specPath, 'data', i, 'remoteRef', 'metadataPolicy'],
      message: `keyferry reads no metadata from ${storeKind} ${ref.name} (provider ${store.provider}), so it refuses this ExternalSecret (Ready=False, InvalidSpec): Fetch reads AWS Secrets Manager and Parameter Store tags, GCP Secret Manager labels and annotations, Vault KV v2 custom_metadata and Azure Key Vault tags`,
    });
  });
  return out;
}
