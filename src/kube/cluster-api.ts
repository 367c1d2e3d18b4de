// The Kubernetes writes and point reads the controller makes. An interface so the
// controller is tested against an in-memory fake; `KubeClient` is the real one.
import type { KubeObject, SecretObject } from './kube-object.js';

export interface ResourceRef {
  kind: 'ExternalSecret' | 'SecretStore' | 'ClusterSecretStore';
  namespace?: string;
  name: string;
}

export interface EventInput {
  involved: ResourceRef & { uid?: string; apiVersion: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ClusterApi {
  getSecret(namespace: string, name: string): Promise<SecretObject | undefined>;
  /** Creates a Secret and returns it as stored; undefined when one of that name is already there (409). */
  createSecret(secret: SecretObject): Promise<SecretObject | undefined>;
  /** Deletes a Secret; false when it was already gone. */
  deleteSecret(namespace: string, name: string): Promise<boolean>;
  getConfigMap(namespace: string, name: string): Promise<{ data?: Record<string, string> } | undefined>;
  /** Merge-patches the status subresource of a keyferry resource. */
  patchStatus(ref: ResourceRef, status: Record<string, unknown>): Promise<void>;
  /** Records an Event; best effort, on its own budget. */
  createEvent(event: EventInput): Promise<void>;
  createServiceAccountToken(namespace: string, name: string, options: { audiences?: string[]; expirationSeconds?: number }): Promise<{ token: string; expiresAt: Date }>;
}

export type { KubeObject };
