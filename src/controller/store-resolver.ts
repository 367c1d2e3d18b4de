// Finds the store an ExternalSecret uses and enforces who may use it: a SecretStore serves
// only its own namespace; a ClusterSecretStore serves the namespaces its `conditions` allow.
import type { ObjectStore } from '../kube/informer.js';
import type { KubeObject } from '../kube/kube-object.js';
import { Reasons } from './conditions.js';
import { matchesLabelSelector } from './label-selector.js';
import { PatternError, compileUserPattern } from './user-pattern.js';
import type { ExternalSecretResource, StoreCondition, StoreResource } from './types.js';

export type StoreKind = 'SecretStore' | 'ClusterSecretStore';

export interface StoreCaches {
  secretStores: ObjectStore<KubeObject>;
  clusterSecretStores: ObjectStore<KubeObject>;
  namespaces: ObjectStore<KubeObject>;
}

export type StoreResolution =
  | { ok: true; kind: StoreKind; key: string; store: StoreResource }
  | { ok: false; reason: string; message: string };

export function storeKey(kind: StoreKind, name: string, namespace?: string): string {
  return kind === 'SecretStore' ? `SecretStore/${namespace}/${name}` : `ClusterSecretStore/${name}`;
}

/** The key of the store an ExternalSecret names; undefined when it names none. */
export function storeKeyOf(es: ExternalSecretResource): string | undefined {
  const ref = es.spec?.secretStoreRef;
  if (!ref?.name) return undefined;
  return ref.kind === 'ClusterSecretStore' ? storeKey('ClusterSecretStore', ref.name) : storeKey('SecretStore', ref.name, es.metadata?.namespace);
}

export function parseStoreKey(key: string): { kind: StoreKind; namespace?: string; name: string } {
  const [kind, a, b] = key.split('/');
  return kind === 'SecretStore' ? { kind, namespace: a, name: b! } : { kind: 'ClusterSecretStore', name: a! };
}

/** Whether a ClusterSecretStore's conditions let `namespace` use it (no conditions: everyone). */
export function namespaceAllowed(conditions: StoreCondition[] | undefined, namespace: string, namespaceLabels: Record<string, string> | undefined): boolean {
  if (!conditions || conditions.length === 0) return true;
  return conditions.some((c) => {
    if (c.namespaces?.includes(namespace)) return true;
    if (c.namespaceSelector && namespaceLabels && matchesLabelSelector(c.namespaceSelector, namespaceLabels)) return true;
    // RE2, unanchored as in ESO: "prod" admits "notprod-x" (the store's status warns about it).
    // A pattern RE2 refuses admits nothing; the store's status says so.
    return (c.namespaceRegexes ?? []).some((r) => {
      try {
        return compileUserPattern(r).test(namespace);
      } catch (e) {
        if (e instanceof PatternError) return false;
        throw e;
      }
    });
  });
}

export function resolveStore(es: ExternalSecretResource, caches: StoreCaches): StoreResolution {
  const namespace = es.metadata!.namespace!;
  const ref = es.spec?.secretStoreRef;
  const kind: StoreKind = ref?.kind ?? 'SecretStore';
  const name = ref?.name;
  if (!name) return { ok: false, reason: Reasons.InvalidSpec, message: 'spec.secretStoreRef.name is required' };
  if (kind === 'SecretStore') {
    const store = caches.secretStores.get(name, namespace) as StoreResource | undefined;
    // Whether a SecretStore of that name exists in another namespace is not said: that would
    // let a tenant probe other namespaces for store names.
    if (!store) return { ok: false, reason: Reasons.StoreNotReady, message: `SecretStore "${name}" not found in namespace "${namespace}"` };
    return { ok: true, kind, key: storeKey(kind, name, namespace), store };
  }
  if (kind !== 'ClusterSecretStore') {
    return { ok: false, reason: Reasons.InvalidSpec, message: `spec.secretStoreRef.kind "${String(kind)}" must be SecretStore or ClusterSecretStore` };
  }
  const store = caches.clusterSecretStores.get(name) as StoreResource | undefined;
  if (!store) return { ok: false, reason: Reasons.StoreNotReady, message: `ClusterSecretStore "${name}" not found` };
  const labels = caches.namespaces.get(namespace)?.metadata?.labels;
  if (!namespaceAllowed(store.spec?.conditions, namespace, labels)) {
    return { ok: false, reason: Reasons.NamespaceNotAllowed, message: `ClusterSecretStore "${name}" does not allow namespace "${namespace}" (spec.conditions exclude it)` };
  }
  return { ok: true, kind, key: storeKey(kind, name), store };
}
