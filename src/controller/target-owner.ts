// Two ExternalSecrets of a namespace may not write one target.name (DESIGN §3): their
// versions would share names and labels, one would prune or garbage-collect the other's
// current Secret. One of them owns the target, the same one on every replica and after any
// restart: the one that already holds versions of it, else the oldest, else the first by
// name. The others get TargetConflict and write and delete nothing.
import { creationTime, type KubeObject } from '../kube/kube-object.js';
import type { ObjectStore } from '../kube/informer.js';
import type { ClusterApi } from '../kube/cluster-api.js';
import { LABEL_EXTERNAL_SECRET, LABEL_MANAGED, LABEL_TARGET, labelValueOf, looksLikeVersionOf, targetNameOf } from '../versioning/index.js';
import type { ManagedSecretIndex } from './managed-secret-index.js';
import { creationPolicyOf } from './merge-target.js';
import type { ExternalSecretResource } from './types.js';

const IN_PLACE = new Set(['Merge', 'None']);

export const targetNameFor = (es: ExternalSecretResource): string => es.spec?.target?.name ?? es.metadata!.name!;

/**
 * Whether a claimant this replica does not reconcile holds versions of the target: a sharded
 * replica caches only its own shard's versions, so it asks the API server (rare: only while
 * two ExternalSecrets name one target).
 */
export interface ClaimsElsewhere {
  owns(es: ExternalSecretResource): boolean;
  holdsVersions(namespace: string, externalSecret: string, target: string): Promise<boolean>;
}

/** ClaimsElsewhere over the API: the label-selected versions of one ExternalSecret and target. */
export function claimsInCluster(api: ClusterApi, owns: (es: ExternalSecretResource) => boolean): ClaimsElsewhere {
  return {
    owns,
    async holdsVersions(namespace, externalSecret, target) {
      const selector = `${LABEL_MANAGED}=true,${LABEL_EXTERNAL_SECRET}=${labelValueOf(externalSecret)},${LABEL_TARGET}=${labelValueOf(target)}`;
      return (await api.listSecrets(namespace, selector)).some((s) => targetNameOf(s) === target && looksLikeVersionOf(s, externalSecret));
    },
  };
}

/** The name of the ExternalSecret that owns `es`'s target when it is another one; undefined when `es` may write it. */
export async function rivalOwningTarget(es: ExternalSecretResource, externalSecrets: ObjectStore<KubeObject>, managed: ManagedSecretIndex, elsewhere?: ClaimsElsewhere): Promise<string | undefined> {
  const namespace = es.metadata!.namespace!;
  const target = targetNameFor(es);
  const claimants = externalSecrets.list(namespace)
    .map((o) => o as ExternalSecretResource)
    // creationPolicy Merge and None write no versions, so they claim no target here.
    .filter((o) => o.metadata?.name === es.metadata!.name || (!o.metadata?.deletionTimestamp && targetNameFor(o) === target && !IN_PLACE.has(creationPolicyOf(o.spec))));
  if (claimants.length <= 1) return undefined;
  const holds = (o: ExternalSecretResource): boolean | Promise<boolean> => {
    const name = o.metadata!.name!;
    if (elsewhere && !elsewhere.owns(o)) return elsewhere.holdsVersions(namespace, name, target);
    return managed.forExternalSecret(`${namespace}/${name}`).some((s) => targetNameOf(s) === target && looksLikeVersionOf(s, name));
  };
  const ranked = (await Promise.all(claimants.map(async (o) => ({ name: o.metadata!.name!, holds: await holds(o), created: creationTime(o).getTime() }))))
    .sort((a, b) => Number(b.holds) - Number(a.holds) || a.created - b.created || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const owner = ranked[0]!.name;
  return owner === es.metadata!.name ? undefined : owner;
}
