// Counts the controller's Kubernetes requests by verb, resource and outcome, so the writes a
// sync costs are readable from /metrics (`keyferry_kube_requests_total`). Wraps any
// ClusterApi and ExternalSecretWriter (the ClusterExternalSecret's writes count too); the
// composition root puts it around the real client.
import { Counter, type Registry } from 'prom-client';
import type { ClusterApi, ConfigMapObject, EventInput, FollowerKind, JsonPatchOperation, ResourceRef } from './cluster-api.js';
import type { ExternalSecretWriter } from './external-secret-writer.js';
import type { KubeObject, SecretObject } from './kube-object.js';
import { httpStatusOf } from './api-error.js';

type Labels = 'verb' | 'resource' | 'outcome';

export class InstrumentedClusterApi implements ClusterApi, ExternalSecretWriter {
  private readonly requests: Counter<Labels>;

  constructor(private readonly api: ClusterApi & ExternalSecretWriter, registry: Registry) {
    this.requests = new Counter({
      name: 'keyferry_kube_requests_total',
      help: 'Kubernetes API requests made by the controller, by verb, resource and outcome (success, or the HTTP status / error)',
      labelNames: ['verb', 'resource', 'outcome'],
      registers: [registry],
    });
  }

  private async count<T>(verb: string, resource: string, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.requests.inc({ verb, resource, outcome: 'success' });
      return result;
    } catch (error) {
      const status = httpStatusOf(error);
      this.requests.inc({ verb, resource, outcome: status === undefined ? 'error' : String(status) });
      throw error;
    }
  }

  getSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    return this.count('get', 'secrets', () => this.api.getSecret(namespace, name));
  }

  listSecrets(namespace: string, labelSelector: string): Promise<SecretObject[]> {
    return this.count('list', 'secrets', () => this.api.listSecrets(namespace, labelSelector));
  }

  createSecret(secret: SecretObject): Promise<SecretObject | undefined> {
    return this.count('create', 'secrets', () => this.api.createSecret(secret));
  }

  deleteSecret(namespace: string, name: string): Promise<boolean> {
    return this.count('delete', 'secrets', () => this.api.deleteSecret(namespace, name));
  }

  getConfigMap(namespace: string, name: string): Promise<ConfigMapObject | undefined> {
    return this.count('get', 'configmaps', () => this.api.getConfigMap(namespace, name));
  }

  updateSecret(secret: SecretObject, options?: { dryRun?: boolean }): Promise<SecretObject> {
    return this.count('update', 'secrets', () => this.api.updateSecret(secret, options));
  }

  getWorkload(kind: FollowerKind, namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.count('get', `${kind.toLowerCase()}s`, () => this.api.getWorkload(kind, namespace, name));
  }

  patchWorkload(kind: FollowerKind, namespace: string, name: string, ops: JsonPatchOperation[]): Promise<void> {
    return this.count('patch', `${kind.toLowerCase()}s`, () => this.api.patchWorkload(kind, namespace, name, ops));
  }

  createConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject | undefined> {
    return this.count('create', 'configmaps', () => this.api.createConfigMap(configMap));
  }

  replaceConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject> {
    return this.count('update', 'configmaps', () => this.api.replaceConfigMap(configMap));
  }

  requestFluxReconcile(namespace: string, name: string, requestedAt: string): Promise<void> {
    return this.count('patch', 'kustomizations', () => this.api.requestFluxReconcile(namespace, name, requestedAt));
  }

  patchStatus(ref: ResourceRef, status: Record<string, unknown>): Promise<void> {
    return this.count('patch', `${ref.kind.toLowerCase()}s/status`, () => this.api.patchStatus(ref, status));
  }

  createEvent(event: EventInput): Promise<void> {
    return this.count('create', 'events', () => this.api.createEvent(event));
  }

  createServiceAccountToken(namespace: string, name: string, options: { audiences?: string[]; expirationSeconds?: number }): Promise<{ token: string; expiresAt: Date }> {
    return this.count('create', 'serviceaccounts/token', () => this.api.createServiceAccountToken(namespace, name, options));
  }

  createExternalSecret(obj: KubeObject): Promise<KubeObject | undefined> {
    return this.count('create', 'externalsecrets', () => this.api.createExternalSecret(obj));
  }

  replaceExternalSecret(obj: KubeObject): Promise<KubeObject> {
    return this.count('update', 'externalsecrets', () => this.api.replaceExternalSecret(obj));
  }

  deleteExternalSecret(namespace: string, name: string, uid: string): Promise<boolean> {
    return this.count('delete', 'externalsecrets', () => this.api.deleteExternalSecret(namespace, name, uid));
  }
}
