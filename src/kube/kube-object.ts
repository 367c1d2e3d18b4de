// The slice of a Kubernetes object the operator reads generically.
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface SecretObject extends KubeObject {
  type?: string;
  immutable?: boolean;
  data?: Record<string, string>;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the work queue key. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : obj.metadata?.name ?? '';
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function creationTime(obj: KubeObject): Date {
  const t = obj.metadata?.creationTimestamp;
  return t instanceof Date ? t : new Date(t ?? 0);
}

/** A list response as the API server sends it (`continue` set while more pages follow). */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}
