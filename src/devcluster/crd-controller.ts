// Serves custom resources: creating or updating a CustomResourceDefinition compiles it into
// `ResourceType`s and registers them (status: NamesAccepted, Established); deleting it deletes
// its objects and stops serving them, as kube-apiserver's apiextensions controllers do.
import { ApiError, fieldInvalid, invalid } from './api-error.js';
import type { ApiCore } from './api-core.js';
import type { ObjectStore } from './object-store.js';
import { served, storageKeyOf, type ResourceRegistry } from './registry.js';
import type { KubeObject, ResourceType } from './resource-type.js';
import { timestamp } from './object-meta.js';
import type { WatchHub } from './watch-hub.js';

export type CrdCompiler = (crd: KubeObject) => ResourceType[];

export const CRD_STORAGE_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

export function installCrdController(deps: {
  core: ApiCore; store: ObjectStore; registry: ResourceRegistry; hub: WatchHub; compile: CrdCompiler; now: () => Date;
}): void {
  const { core, store, registry, hub, compile, now } = deps;
  /** What each CRD (by name) currently serves. */
  const servedBy = new Map<string, ResourceType[]>();

  const unregister = (name: string): void => {
    for (const t of servedBy.get(name) ?? []) registry.remove(t.group, t.version, t.plural);
    servedBy.delete(name);
  };

  core.setHooks(CRD_STORAGE_KEY, {
    beforeCommit(obj, old) {
      const name = String(obj.metadata?.name ?? '');
      const spec = (obj.spec ?? {}) as { group?: string; names?: Record<string, unknown>; versions?: { name: string; storage?: boolean }[] };
      const plural = spec.names?.plural as string | undefined;
      if (plural && spec.group && name !== `${plural}.${spec.group}`) {
        throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', name, [fieldInvalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group')]);
      }
      let types: ResourceType[];
      try {
        types = compile(obj);
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', name, [fieldInvalid('spec', '', e instanceof Error ? e.message : String(e))]);
      }
      // Another CRD must not already serve these names.
      for (const t of types) {
        const existing = registry.get(t.group, t.version, t.plural);
        if (existing && !servedBy.get(name)?.some((s) => s.group === t.group && s.plural === t.plural)) {
          throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', name, [fieldInvalid('spec.names.plural', t.plural, 'is already in use')]);
        }
      }
      // Keep a condition's lastTransitionTime while its status does not change, so re-applying an unchanged CRD is a no-op.
      const oldConditions = ((old?.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined)?.conditions) ?? [];
      const since = (type: string): string => oldConditions.find((c) => c.type === type && c.status === 'True')?.lastTransitionTime ?? timestamp(now());
      const names = (spec.names ?? {}) as Record<string, unknown>;
      const kind = String(names.kind ?? '');
      const storage = spec.versions?.find((v) => v.storage)?.name ?? spec.versions?.[0]?.name;
      const oldStored = ((old?.status as { storedVersions?: string[] } | undefined)?.storedVersions) ?? [];
      obj.status = {
        conditions: [
          { type: 'NamesAccepted', status: 'True', lastTransitionTime: since('NamesAccepted'), reason: 'NoConflicts', message: 'no conflicts found' },
          { type: 'Established', status: 'True', lastTransitionTime: since('Established'), reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
        ],
        acceptedNames: {
          ...names,
          kind,
          listKind: names.listKind ?? `${kind}List`,
          singular: names.singular ?? kind.toLowerCase(),
        },
        storedVersions: [...new Set([...oldStored, ...(storage ? [storage] : [])])],
      };
      Object.defineProperty(obj, '__types', { enumerable: false, value: types, configurable: true });
    },
    afterCommit(entry) {
      const name = String(entry.obj.metadata?.name);
      const types = (entry.obj as { __types?: ResourceType[] }).__types ?? compile(entry.obj);
      const before = servedBy.get(name) ?? [];
      for (const t of before) if (!types.some((n) => n.version === t.version && n.plural === t.plural)) registry.remove(t.group, t.version, t.plural);
      for (const t of types) registry.add(served(t));
      servedBy.set(name, types);
    },
    afterRemove(entry) {
      const name = String(entry.obj.metadata?.name);
      const types = servedBy.get(name) ?? [];
      if (types.length) {
        const key = storageKeyOf(types[0]);
        for (const e of [...store.entries(key)]) store.remove(key, e.obj.metadata?.namespace ?? '', e.obj.metadata!.name!);
        hub.closeAll((w) => w.storageKey === key);
        store.dropResource(key);
      }
      unregister(name);
    },
  });
}
