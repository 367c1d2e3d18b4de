// Two ExternalSecrets of a namespace may not write one target.name (DESIGN §3): their
// versions would share names and labels, one would prune or garbage-collect the other's
// current Secret. One of them owns the target, the same one on every replica and after any
// restart: the one that already holds versions of it, else the oldest, else the first by
// name. The others get TargetConflict and write and delete nothing.
import { creationTime, type KubeObject } from '../kube/kube-object.js';
import type { ObjectStore } from '../kube/informer.js';
import { looksLikeVersionOf, targetNameOf } from '../versioning/index.js';
import type { ManagedSecretIndex } from './managed-secret-index.js';
import { creationPolicyOf } from './merge-target.js';
import type { ExternalSecretResource } from './types.js';

const IN_PLACE = new Set(['Merge', 'None']);

export const targetNameFor = (es: ExternalSecretResource): string => es.spec?.target?.name ?? es.metadata!.name!;

/** The name of the ExternalSecret that owns `es`'s target when it is another one; undefined when `es` may write it. */
export function rivalOwningTarget(es: ExternalSecretResource, externalSecrets: ObjectStore<KubeObject>, managed: ManagedSecretIndex): string | undefined {
  const namespace = es.metadata!.namespace!;
  const target = targetNameFor(es);
  const claimants = externalSecrets.list(namespace)
    .map((o) => o as ExternalSecretResource)
    // creationPolicy Merge and None write no versions, so they claim no target here.
    .filter((o) => o.metadata?.name === es.metadata!.name || (!o.metadata?.deletionTimestamp && targetNameFor(o) === target && !IN_PLACE.has(creationPolicyOf(o.spec))));
  if (claimants.length <= 1) return undefined;
  const holds = (o: ExternalSecretResource) => {
    const name = o.metadata!.name!;
    return managed.forExternalSecret(`${namespace}/${name}`).some((s) => targetNameOf(s) === target && looksLikeVersionOf(s, name));
  };
  const ranked = claimants
    .map((o) => ({ name: o.metadata!.name!, holds: holds(o), created: creationTime(o).getTime() }))
    .sort((a, b) => Number(b.holds) - Number(a.holds) || a.created - b.created || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const owner = ranked[0]!.name;
  return owner === es.metadata!.name ? undefined : owner;
}
