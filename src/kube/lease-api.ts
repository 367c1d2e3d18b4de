// The three Lease calls leader election makes (coordination.k8s.io/v1), over the REST client.
import type { KubeHttp } from './kube-http.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with exactly six fractional digits (microTime() writes one). */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaseApi {
  read(namespace: string, name: string): Promise<Lease>;
  create(namespace: string, lease: Lease): Promise<Lease>;
  /** Replaces the Lease; its metadata.resourceVersion makes a concurrent change fail with 409. */
  replace(namespace: string, name: string, lease: Lease): Promise<Lease>;
}

/** A MicroTime as the API server parses it: `2006-01-02T15:04:05.000000Z`. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function kubeLeaseApi(http: KubeHttp): LeaseApi {
  const path = (namespace: string, name?: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
  return {
    read: (namespace, name) => http.get<Lease>(path(namespace, name)),
    create: (namespace, lease) => http.request<Lease>('POST', path(namespace), { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease } }),
    replace: (namespace, name, lease) => http.request<Lease>('PUT', path(namespace, name), { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease } }),
  };
}
