// Credential Secrets, read by name on demand (DESIGN §3): only the Secrets that stores
// reference are ever held, and of each only the keys referenced. Each referenced Secret has
// a watch of its own (a field selector on its name, in its namespace), so a change is seen
// within a watch event's latency; when no store references it any more, its watch stops and
// its entry goes. Nothing else of the cluster's Secrets is listed or watched.
import type { InformerLogger } from './informer.js';
import { ResilientInformer } from './informer.js';
import type { KubeObject, SecretObject } from './kube-object.js';
import type { KubeClient } from './kube-client.js';

/** One Secret key a store references, its namespace resolved. */
export interface CredentialReference {
  namespace: string;
  name: string;
  key: string;
}

/** What the controller needs of credential Secrets. */
export interface CredentialSecretSource {
  /**
   * Replaces what `owner` (a store key) references. A Secret that some owner references is
   * watched; one that no owner references any more is no longer watched nor held.
   */
  track(owner: string, refs: CredentialReference[]): void;
  /**
   * The Secret (undefined when it does not exist), with `key` among its data when it has it:
   * from the cache once that Secret's watch has synced, otherwise read from the API server.
   */
  read(namespace: string, name: string, key: string): Promise<SecretObject | undefined>;
  /** Called when a referenced Secret appears, changes or goes. */
  onChange(listener: (namespace: string, name: string) => void): void;
}

/** What a read from the API server needs (KubeClient in the operator). */
export interface CredentialSecretReader {
  getSecret(namespace: string, name: string): Promise<SecretObject | undefined>;
}

/** Starts a watch of one Secret; `transform` reduces what it caches. */
export type SecretWatchFactory = (namespace: string, name: string, transform: (obj: KubeObject) => SecretObject) => ResilientInformer<SecretObject>;

export interface CredentialSecretCacheOptions {
  reader: CredentialSecretReader;
  watch: SecretWatchFactory;
  logger: InformerLogger;
  /** `--namespace`: Secrets of other namespaces are read on demand each time, never watched. */
  namespace?: string;
}

/** A Secret name as the API server accepts one (DNS subdomain): only such names go into a field selector. */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * What is held of a credential Secret: the metadata a watch needs and the keys referenced; not
 * the Secret's other keys, nor its annotations (kubectl's last-applied-configuration repeats
 * the data), labels or managedFields.
 */
export function credentialView(obj: KubeObject, keys: ReadonlySet<string>): SecretObject {
  const s = obj as SecretObject;
  const data: Record<string, string> = {};
  for (const k of keys) if (s.data?.[k] !== undefined) data[k] = s.data[k];
  const m = s.metadata ?? {};
  return { metadata: { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion }, type: s.type, data };
}

interface Entry {
  namespace: string;
  name: string;
  /** Keys referenced, per owner. */
  owners: Map<string, Set<string>>;
  /** The keys the running watch keeps. */
  kept: Set<string>;
  informer: ResilientInformer<SecretObject>;
  /**
   * The last state seen or served (resourceVersion; null: absent; undefined: not known), so a
   * watch that starts after a read reports no change for the Secret that read returned.
   */
  known?: string | null;
}

export class CredentialSecretCache implements CredentialSecretSource {
  private readonly entries = new Map<string, Entry>();
  private readonly owners = new Map<string, CredentialReference[]>();
  private readonly listeners: Array<(namespace: string, name: string) => void> = [];
  private stopped = false;

  constructor(private readonly options: CredentialSecretCacheOptions) {}

  /** Number of Secrets watched and held (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** `namespace/name` of every Secret watched. */
  watched(): string[] {
    return [...this.entries.keys()];
  }

  onChange(listener: (namespace: string, name: string) => void): void {
    this.listeners.push(listener);
  }

  track(owner: string, refs: CredentialReference[]): void {
    const inScope = refs.filter((r) => SECRET_NAME.test(r.name) && (!this.options.namespace || r.namespace === this.options.namespace));
    const before = this.owners.get(owner) ?? [];
    if (inScope.length) this.owners.set(owner, inScope);
    else this.owners.delete(owner);
    const touched = new Set([...before, ...inScope].map((r) => `${r.namespace}/${r.name}`));
    for (const id of touched) this.reconcileEntry(id, owner, inScope.filter((r) => `${r.namespace}/${r.name}` === id).map((r) => r.key));
  }

  async read(namespace: string, name: string, key: string): Promise<SecretObject | undefined> {
    const entry = this.entries.get(`${namespace}/${name}`);
    if (entry?.informer.synced && entry.kept.has(key)) return entry.informer.get(name, namespace);
    const secret = await this.options.reader.getSecret(namespace, name);
    const now = this.entries.get(`${namespace}/${name}`);
    if (now && !now.informer.synced) now.known = secret?.metadata?.resourceVersion ?? null;
    return secret;
  }

  /** Stops every watch; tracking afterwards starts none. */
  async stop(): Promise<void> {
    this.stopped = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => e.informer.stop().catch(() => undefined)));
  }

  private reconcileEntry(id: string, owner: string, keys: string[]): void {
    let entry = this.entries.get(id);
    if (entry) {
      if (keys.length) entry.owners.set(owner, new Set(keys));
      else entry.owners.delete(owner);
      if (entry.owners.size === 0) {
        this.entries.delete(id);
        void entry.informer.stop().catch(() => undefined);
        this.options.logger.debug({ secret: id }, 'no store references this credential Secret any more; watch stopped');
        return;
      }
      // A key newly referenced: watch again, keeping it too (rare: a store's spec changed).
      const wanted = this.wantedKeys(entry);
      if ([...wanted].some((k) => !entry!.kept.has(k))) {
        void entry.informer.stop().catch(() => undefined);
        this.startWatch(entry, wanted);
      }
      return;
    }
    if (!keys.length || this.stopped) return;
    const slash = id.indexOf('/');
    entry = { namespace: id.slice(0, slash), name: id.slice(slash + 1), owners: new Map([[owner, new Set(keys)]]), kept: new Set(), informer: undefined as unknown as ResilientInformer<SecretObject> };
    this.entries.set(id, entry);
    this.startWatch(entry, this.wantedKeys(entry));
  }

  private wantedKeys(entry: Entry): Set<string> {
    const keys = new Set<string>();
    for (const set of entry.owners.values()) for (const k of set) keys.add(k);
    return keys;
  }

  private startWatch(entry: Entry, keys: Set<string>): void {
    const kept = new Set(keys);
    const informer = this.options.watch(entry.namespace, entry.name, (obj) => credentialView(obj, kept));
    this.options.logger.debug({ secret: `${entry.namespace}/${entry.name}`, keys: kept.size }, 'watching credential Secret');
    entry.kept = kept;
    entry.informer = informer;
    const current = () => this.entries.get(`${entry.namespace}/${entry.name}`)?.informer === informer;
    const seen = (state: string | null) => {
      if (!current() || entry.known === state) return;
      entry.known = state;
      for (const l of this.listeners) l(entry.namespace, entry.name);
    };
    informer.on({
      add: (s) => seen(s.metadata?.resourceVersion ?? ''),
      update: (s) => seen(s.metadata?.resourceVersion ?? ''),
      delete: () => seen(null),
    });
    void informer.start();
  }
}

/** Watches of single Secrets over the operator's client: list and watch with `metadata.name=<name>` in its namespace. */
export function secretWatchFactory(client: KubeClient, logger: InformerLogger, options: { watchList?: boolean } = {}): SecretWatchFactory {
  return (namespace, name, transform) => {
    const fieldSelector = `metadata.name=${name}`;
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
    return new ResilientInformer<SecretObject>({
      name: `credential-secret ${namespace}/${name}`,
      http: client.http,
      logger,
      path,
      fieldSelector,
      transform,
      watchList: options.watchList,
      list: (page) => client.call(() => client.http.list(path, { fieldSelector, ...page })),
    });
  };
}
