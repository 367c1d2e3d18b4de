// What a sharded replica keeps of the objects other shards reconcile. Every replica still
// watches every ExternalSecret (rival targets and publishing read a whole namespace's), but
// one that another shard owns is cached as a stub of the few fields those checks read, and
// the Secrets keyferry wrote for it are not cached at all. Ownership follows the object's
// own spec (shard.ts), so the stub is decided when the object arrives, before it is cached;
// a spec change that moves an ExternalSecret in brings its whole object with it.
import { LABEL_CLUSTER_EXTERNAL_SECRET } from '../api/constants.js';
import type { ObjectStore } from '../kube/informer.js';
import type { KubeObject, SecretObject } from '../kube/kube-object.js';
import { aliasOwnerKey } from '../workloads/alias-secret.js';
import { ownerKeyOf } from './managed-secret-index.js';
import { remoteGroupKey } from './remote-group.js';
import { ownsGroup, type Shard } from './shard.js';
import type { ExternalSecretResource } from './types.js';

/** Marks a stub: an ExternalSecret another shard reconciles. Object spread keeps it. */
const OTHER_SHARD = Symbol('keyferry.other-shard');

/** Whether `obj` is the stub of an ExternalSecret another shard reconciles. */
export function isOtherShard(obj: KubeObject | undefined): boolean {
  return (obj as { [OTHER_SHARD]?: boolean } | undefined)?.[OTHER_SHARD] === true;
}

/**
 * The stub: identity, times and labels (events, the ClusterExternalSecret bookkeeping), and
 * of the spec only `target.name`, `target.creationPolicy` and `target.versioning.rollout`
 * (the rival-target check and publishing). Status and the rest of the spec are dropped.
 */
export function externalSecretStub(es: ExternalSecretResource): ExternalSecretResource {
  const m = es.metadata ?? {};
  const target = es.spec?.target;
  const stubTarget: Record<string, unknown> = {};
  if (target?.name !== undefined) stubTarget.name = target.name;
  if (target?.creationPolicy !== undefined) stubTarget.creationPolicy = target.creationPolicy;
  if (target?.versioning?.rollout !== undefined) stubTarget.versioning = { rollout: target.versioning.rollout };
  const metadata: Record<string, unknown> = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, generation: m.generation, creationTimestamp: m.creationTimestamp };
  if (m.deletionTimestamp !== undefined) metadata.deletionTimestamp = m.deletionTimestamp;
  if (m.labels !== undefined) metadata.labels = m.labels;
  if (m.ownerReferences !== undefined) metadata.ownerReferences = m.ownerReferences;
  return { apiVersion: es.apiVersion, kind: es.kind, metadata, spec: { target: stubTarget }, [OTHER_SHARD]: true } as unknown as ExternalSecretResource;
}

export class ShardView {
  private externalSecrets?: ObjectStore<KubeObject>;

  /** `shard` undefined or of count 1: one replica owns everything and nothing is reduced. */
  constructor(private readonly shard: Shard | undefined) {}

  get sharded(): boolean {
    return !!this.shard && this.shard.count > 1;
  }

  /** The ExternalSecret cache the version filter looks owners up in (created after this view). */
  bind(externalSecrets: ObjectStore<KubeObject>): void {
    this.externalSecrets = externalSecrets;
  }

  /** Whether this replica reconciles `es`, judged from its spec. */
  owns(es: ExternalSecretResource): boolean {
    if (!this.sharded) return true;
    if (isOtherShard(es)) return false;
    return ownsGroup(this.shard, remoteGroupKey(es));
  }

  /**
   * The ExternalSecret informer's transform: whole when this replica reconciles it, or when it
   * belongs to a ClusterExternalSecret and this is shard 0 (which compares its whole spec).
   */
  readonly externalSecret = (raw: KubeObject): KubeObject => {
    const es = raw as ExternalSecretResource;
    if (this.owns(es)) return raw;
    if (this.shard!.index === 0 && es.metadata?.labels?.[LABEL_CLUSTER_EXTERNAL_SECRET] !== undefined) return raw;
    return externalSecretStub(es);
  };

  /**
   * The managed-Secret informer's filter: a version or alias is cached unless its
   * ExternalSecret is known to belong to another shard. One whose ExternalSecret is not (yet)
   * cached is kept: that errs on the side of memory, never of a missing version.
   */
  readonly keepsManagedSecret = (secret: SecretObject): boolean => {
    if (!this.sharded) return true;
    const owner = ownerKeyOf(secret) ?? aliasOwnerKey(secret);
    if (!owner) return true;
    const slash = owner.indexOf('/');
    const es = this.externalSecrets?.get(owner.slice(slash + 1), owner.slice(0, slash));
    return !es || this.owns(es as ExternalSecretResource);
  };
}
