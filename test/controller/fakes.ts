// In-memory stand-ins for the caches and the Kubernetes API, for controller unit tests.
import type { InformerHandlers } from '../../src/kube/informer.js';
import type { ClusterApi, EventInput, ResourceRef } from '../../src/kube/cluster-api.js';
import { objectKey, type KubeObject, type SecretObject } from '../../src/kube/kube-object.js';
import type { WatchedStore } from '../../src/controller/controller.js';

export class FakeInformer<T extends KubeObject> implements WatchedStore<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];

  on(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    return [...this.objects.values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  }

  set(obj: T): void {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    this.objects.set(key, obj);
    for (const h of this.handlers) {
      if (old) h.update?.(obj, old);
      else h.add?.(obj);
    }
  }

  remove(key: string): void {
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    for (const h of this.handlers) h.delete?.(old);
  }
}

export class FakeClusterApi implements ClusterApi {
  secrets = new Map<string, SecretObject>();
  calls: string[] = [];
  events: EventInput[] = [];
  statuses: Array<{ ref: ResourceRef; status: Record<string, unknown> }> = [];
  private rv = 100;
  private clockMs: () => number;

  constructor(private readonly onStatus: (ref: ResourceRef, status: Record<string, unknown>) => void, now: () => number) {
    this.clockMs = now;
  }

  get writes(): string[] {
    return this.calls.filter((c) => !c.startsWith('get'));
  }

  async getSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    this.calls.push(`get ${namespace}/${name}`);
    return this.secrets.get(`${namespace}/${name}`);
  }

  async createSecret(secret: SecretObject): Promise<SecretObject | undefined> {
    const key = objectKey(secret);
    this.calls.push(`create ${key}`);
    if (this.secrets.has(key)) return undefined;
    const stored = structuredClone({ ...secret, metadata: { ...secret.metadata, resourceVersion: String(++this.rv), creationTimestamp: new Date(Math.floor(this.clockMs() / 1000) * 1000).toISOString(), uid: `uid-${this.rv}` } });
    this.secrets.set(key, stored);
    return structuredClone(stored);
  }

  async deleteSecret(namespace: string, name: string): Promise<boolean> {
    this.calls.push(`delete ${namespace}/${name}`);
    return this.secrets.delete(`${namespace}/${name}`);
  }

  async getConfigMap(): Promise<undefined> {
    return undefined;
  }

  async patchStatus(ref: ResourceRef, status: Record<string, unknown>): Promise<void> {
    this.calls.push(`status ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`);
    this.statuses.push({ ref, status });
    this.onStatus(ref, status);
  }

  async createEvent(event: EventInput): Promise<void> {
    this.events.push(event);
  }

  async createServiceAccountToken(): Promise<{ token: string; expiresAt: Date }> {
    throw new Error('not used');
  }
}
