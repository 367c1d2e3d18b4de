// The current version of each ExternalSecret as its last reconcile in this process found it
// (and found to exist), with what its spec asks of consumers. Rollouts and publishing read it
// instead of status, which may lag behind or name a version deleted behind keyferry's back.

export type RolloutMode = 'None' | 'Patch' | 'Publish';

export interface CurrentVersion {
  namespace: string;
  externalSecret: string;
  /** `target.name`. */
  target: string;
  /** The versioned Secret holding the current data. */
  current: string;
  rollout: RolloutMode;
  alias: boolean;
  fluxKustomization?: { name: string; namespace: string };
}

export class CurrentVersions {
  /** namespace → ExternalSecret name → record. */
  private readonly byNamespace = new Map<string, Map<string, CurrentVersion>>();

  /** Records a reconcile's result; returns the entry it replaced. */
  set(v: CurrentVersion): CurrentVersion | undefined {
    let names = this.byNamespace.get(v.namespace);
    if (!names) this.byNamespace.set(v.namespace, (names = new Map()));
    const before = names.get(v.externalSecret);
    names.set(v.externalSecret, v);
    return before;
  }

  get(namespace: string, externalSecret: string): CurrentVersion | undefined {
    return this.byNamespace.get(namespace)?.get(externalSecret);
  }

  delete(namespace: string, externalSecret: string): CurrentVersion | undefined {
    const names = this.byNamespace.get(namespace);
    const before = names?.get(externalSecret);
    names?.delete(externalSecret);
    if (names?.size === 0) this.byNamespace.delete(namespace);
    return before;
  }

  inNamespace(namespace: string): CurrentVersion[] {
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }
}

/** Whether two records differ in anything a consumer acts on. */
export function consumerChange(a: CurrentVersion | undefined, b: CurrentVersion | undefined): boolean {
  return JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
}
