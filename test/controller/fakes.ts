// In-memory stand-ins for the caches and the Kubernetes API, for controller unit tests.
import type { InformerHandlers } from '../../src/kube/informer.js';
import type { ClusterApi, ConfigMapObject, EventInput, FollowerKind, JsonPatchOperation, ResourceRef } from '../../src/kube/cluster-api.js';
import { jsonPatch } from '../../src/devcluster/patch.js';
import { objectKey, type KubeObject, type SecretObject } from '../../src/kube/kube-object.js';
import type { WatchedStore } from '../../src/controller/controller.js';
import type { CredentialReference, CredentialSecretSource } from '../../src/kube/credential-secrets.js';
import type { ExternalSecretWriter } from '../../src/kube/external-secret-writer.js';

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

/**
 * Credential Secrets as the controller sees them: `set`/`remove` put a Secret in place (and
 * report the change, as its watch would, when some store references it); `tracked` is what
 * stores reference now; `reads` every Secret read.
 */
export class FakeCredentialSecrets implements CredentialSecretSource {
  private readonly secrets = new Map<string, SecretObject>();
  private readonly owners = new Map<string, CredentialReference[]>();
  private readonly listeners: Array<(namespace: string, name: string) => void> = [];
  reads: string[] = [];

  track(owner: string, refs: CredentialReference[]): void {
    if (refs.length) this.owners.set(owner, refs);
    else this.owners.delete(owner);
  }

  /** `namespace/name` of each Secret some store references. */
  tracked(): string[] {
    return [...new Set([...this.owners.values()].flat().map((r) => `${r.namespace}/${r.name}`))].sort();
  }

  async read(namespace: string, name: string): Promise<SecretObject | undefined> {
    this.reads.push(`${namespace}/${name}`);
    return this.secrets.get(`${namespace}/${name}`);
  }

  onChange(listener: (namespace: string, name: string) => void): void {
    this.listeners.push(listener);
  }

  set(secret: SecretObject): void {
    this.secrets.set(objectKey(secret), secret);
    this.changed(secret.metadata?.namespace ?? '', secret.metadata?.name ?? '');
  }

  remove(namespace: string, name: string): void {
    if (this.secrets.delete(`${namespace}/${name}`)) this.changed(namespace, name);
  }

  private changed(namespace: string, name: string): void {
    if (!this.tracked().includes(`${namespace}/${name}`)) return;
    for (const l of this.listeners) l(namespace, name);
  }
}

/** An error shaped like the client's ApiException, with an HTTP status. */
export function httpError(code: number, message = `HTTP ${code}`): Error {
  return Object.assign(new Error(message), { code, body: JSON.stringify({ kind: 'Status', code, message }) });
}

export class FakeClusterApi implements ClusterApi {
  secrets = new Map<string, SecretObject>();
  /** `Kind/namespace/name` → workload, ConfigMap or Flux Kustomization as stored. */
  objects = new Map<string, KubeObject>();
  /** Verbs (`update secrets`, …) that answer 403, as RBAC without the optional rules would. */
  forbidden = new Set<string>();
  /** Called before a workload patch is applied (a test changes the object in between to force a conflict). */
  beforePatch?: (key: string) => void;
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

  async listSecrets(namespace: string, labelSelector: string): Promise<SecretObject[]> {
    this.calls.push(`list ${namespace} ${labelSelector}`);
    const wanted = labelSelector.split(',').map((term) => term.split('=') as [string, string]);
    return [...this.secrets.values()]
      .filter((s) => s.metadata?.namespace === namespace && wanted.every(([k, v]) => s.metadata?.labels?.[k] === v))
      .map((s) => structuredClone(s));
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

  private nextVersion(obj: KubeObject): KubeObject {
    return structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } });
  }

  private guard(verb: string): void {
    if (this.forbidden.has(verb)) throw httpError(403, `${verb} is forbidden`);
  }

  /** Puts an object in place as if someone else wrote it (new resourceVersion). */
  putObject(obj: KubeObject): KubeObject {
    const stored = this.nextVersion(obj);
    this.objects.set(`${obj.kind}/${objectKey(obj)}`, stored);
    return structuredClone(stored);
  }

  async getConfigMap(namespace: string, name: string): Promise<ConfigMapObject | undefined> {
    this.calls.push(`get configmap ${namespace}/${name}`);
    const cm = this.objects.get(`ConfigMap/${namespace}/${name}`);
    return cm && structuredClone(cm);
  }

  async updateSecret(secret: SecretObject, options: { dryRun?: boolean } = {}): Promise<SecretObject> {
    const key = objectKey(secret);
    this.calls.push(`${options.dryRun ? 'dry-run ' : ''}update ${key}`);
    this.guard('update secrets');
    const held = this.secrets.get(key);
    if (!held) throw httpError(404);
    if (held.immutable) throw httpError(422, 'field is immutable when `immutable` is set');
    if (secret.metadata?.resourceVersion !== held.metadata?.resourceVersion) throw httpError(409);
    if (options.dryRun) return structuredClone(held);
    const stored = structuredClone({ ...secret, metadata: { ...held.metadata, ...secret.metadata, resourceVersion: String(++this.rv) } });
    this.secrets.set(key, stored);
    return structuredClone(stored);
  }

  async getWorkload(kind: FollowerKind, namespace: string, name: string): Promise<KubeObject | undefined> {
    this.calls.push(`get ${kind} ${namespace}/${name}`);
    const obj = this.objects.get(`${kind}/${namespace}/${name}`);
    return obj && structuredClone(obj);
  }

  async patchWorkload(kind: FollowerKind, namespace: string, name: string, ops: JsonPatchOperation[]): Promise<void> {
    const key = `${kind}/${namespace}/${name}`;
    this.calls.push(`patch ${key}`);
    this.beforePatch?.(key);
    const held = this.objects.get(key);
    if (!held) throw httpError(404);
    const patched = jsonPatch(held, ops) as unknown as KubeObject;
    if (patched.metadata?.resourceVersion !== held.metadata?.resourceVersion) throw httpError(409, 'the object has been modified');
    this.objects.set(key, this.nextVersion(patched));
  }

  async createConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject | undefined> {
    const key = `ConfigMap/${objectKey(configMap)}`;
    this.calls.push(`create configmap ${objectKey(configMap)}`);
    if (this.objects.has(key)) return undefined;
    return this.putObject({ ...configMap, kind: 'ConfigMap' });
  }

  async replaceConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject> {
    const key = `ConfigMap/${objectKey(configMap)}`;
    this.calls.push(`update configmap ${objectKey(configMap)}`);
    const held = this.objects.get(key);
    if (!held) throw httpError(404);
    if (configMap.metadata?.resourceVersion !== held.metadata?.resourceVersion) throw httpError(409);
    return this.putObject({ ...configMap, kind: 'ConfigMap' });
  }

  async requestFluxReconcile(namespace: string, name: string, requestedAt: string): Promise<void> {
    const key = `Kustomization/${namespace}/${name}`;
    this.calls.push(`patch ${key}`);
    const held = this.objects.get(key);
    if (!held) throw httpError(404);
    this.putObject({ ...held, metadata: { ...held.metadata, annotations: { ...held.metadata?.annotations, 'reconcile.fluxcd.io/requestedAt': requestedAt } } });
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

/** ExternalSecret writes applied straight to the ExternalSecret cache, as the API and its watch would; `calls` records them. */
export class FakeExternalSecretWriter implements ExternalSecretWriter {
  calls: string[] = [];
  /** `namespace/name` whose writes answer this HTTP status. */
  failWith = new Map<string, number>();
  private uid = 0;
  private rv = 1;

  constructor(private readonly externalSecrets: FakeInformer<KubeObject>) {}

  private fail(namespace: string, name: string): void {
    const code = this.failWith.get(`${namespace}/${name}`);
    if (code) throw Object.assign(new Error(`HTTP ${code}`), { code });
  }

  async createExternalSecret(obj: KubeObject): Promise<KubeObject | undefined> {
    const { namespace, name } = obj.metadata as { namespace: string; name: string };
    this.calls.push(`create ${namespace}/${name}`);
    this.fail(namespace, name);
    if (this.externalSecrets.get(name, namespace)) return undefined;
    const stored = { ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), uid: `w${++this.uid}`, generation: 1, resourceVersion: String(++this.rv) } } as KubeObject;
    this.externalSecrets.set(stored);
    return stored;
  }

  async replaceExternalSecret(obj: KubeObject): Promise<KubeObject> {
    const { namespace, name } = obj.metadata as { namespace: string; name: string };
    this.calls.push(`update ${namespace}/${name}`);
    this.fail(namespace, name);
    const old = this.externalSecrets.get(name, namespace);
    if (!old || old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) throw Object.assign(new Error('HTTP 409'), { code: 409 });
    const stored = { ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), generation: (old.metadata?.generation ?? 1) + 1, resourceVersion: String(++this.rv) } } as KubeObject;
    this.externalSecrets.set(stored);
    return stored;
  }

  async deleteExternalSecret(namespace: string, name: string, uid: string): Promise<boolean> {
    this.calls.push(`delete ${namespace}/${name}`);
    this.fail(namespace, name);
    const old = this.externalSecrets.get(name, namespace);
    if (!old || old.metadata?.uid !== uid) return false;
    this.externalSecrets.remove(`${namespace}/${name}`);
    return true;
  }
}
