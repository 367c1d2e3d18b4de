// Where objects name Secrets: workloads (pod templates and HelmRelease valuesFrom), stores
// (credential references in the provider block), and what produces a Secret of a given name
// (an ExternalSecret's target, a Secret, a SealedSecret; a ClusterExternalSecret's per namespace).
import { field, is, isCoreSecret, kindOf, list, nameOf, str, FLUX_HELM_GROUP, KEYFERRY_GROUP, type Obj } from './objects.js';

export interface SecretRef {
  name: string;
  /** How it is referenced, e.g. `envFrom`, `imagePullSecrets`. */
  how: string;
  /** The field, for its line. */
  path: (string | number)[];
}

const POD_SPEC: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

function isOptional(o: unknown): boolean {
  return field(o, 'optional') === true;
}

/** The Secrets a workload needs to start; references marked `optional: true` are left out. */
export function workloadSecretRefs(o: Obj): SecretRef[] {
  const out: SecretRef[] = [];
  const kind = kindOf(o) ?? '';
  if (is(o, FLUX_HELM_GROUP, 'HelmRelease')) {
    list(o, 'spec', 'valuesFrom').forEach((v, i) => {
      const name = str(v, 'name');
      if (str(v, 'kind') === 'Secret' && name && !isOptional(v)) out.push({ name, how: 'valuesFrom', path: ['spec', 'valuesFrom', i] });
    });
    return out;
  }
  const base = str(o, 'apiVersion')?.startsWith('apps/') || str(o, 'apiVersion')?.startsWith('batch/') || str(o, 'apiVersion') === 'v1' ? POD_SPEC[kind] : undefined;
  if (!base) return out;
  const pod = field(o, ...base);
  for (const group of ['initContainers', 'containers', 'ephemeralContainers']) {
    list(pod, group).forEach((c, ci) => {
      list(c, 'envFrom').forEach((e, i) => {
        const name = str(e, 'secretRef', 'name');
        if (name && !isOptional(field(e, 'secretRef'))) out.push({ name, how: 'envFrom', path: [...base, group, ci, 'envFrom', i] });
      });
      list(c, 'env').forEach((e, i) => {
        const ref = field(e, 'valueFrom', 'secretKeyRef');
        const name = str(ref, 'name');
        if (name && !isOptional(ref)) out.push({ name, how: 'env secretKeyRef', path: [...base, group, ci, 'env', i] });
      });
    });
  }
  list(pod, 'volumes').forEach((v, i) => {
    const name = str(v, 'secret', 'secretName');
    if (name && !isOptional(field(v, 'secret'))) out.push({ name, how: 'volume', path: [...base, 'volumes', i] });
    list(v, 'projected', 'sources').forEach((s) => {
      const projected = str(s, 'secret', 'name');
      if (projected && !isOptional(field(s, 'secret'))) out.push({ name: projected, how: 'projected volume', path: [...base, 'volumes', i] });
    });
  });
  list(pod, 'imagePullSecrets').forEach((s, i) => {
    const name = str(s, 'name');
    if (name) out.push({ name, how: 'imagePullSecrets', path: [...base, 'imagePullSecrets', i] });
  });
  return out;
}

export function isStore(o: Obj): boolean {
  return is(o, KEYFERRY_GROUP, 'SecretStore') || is(o, KEYFERRY_GROUP, 'ClusterSecretStore');
}

export function isExternalSecret(o: Obj): boolean {
  return is(o, KEYFERRY_GROUP, 'ExternalSecret');
}

export function isClusterExternalSecret(o: Obj): boolean {
  return is(o, KEYFERRY_GROUP, 'ClusterExternalSecret');
}

/** An ExternalSecret, or a ClusterExternalSecret (which writes ExternalSecrets into the namespaces it selects). */
export function syncsFromStore(o: Obj): boolean {
  return isExternalSecret(o) || isClusterExternalSecret(o);
}

export interface CredentialRef {
  name: string;
  /** Set on a ClusterSecretStore's references; a SecretStore's resolve in its own namespace. */
  namespace?: string;
  path: (string | number)[];
}

/** The `{name, key}` Secret references anywhere in a store's provider block (a `caProvider` of type ConfigMap excluded). */
export function storeCredentialRefs(o: Obj): CredentialRef[] {
  const out: CredentialRef[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, i]));
    } else if (node && typeof node === 'object') {
      const r = node as Record<string, unknown>;
      if (typeof r.name === 'string' && typeof r.key === 'string' && r.type !== 'ConfigMap') {
        out.push({ name: r.name, namespace: typeof r.namespace === 'string' ? r.namespace : undefined, path });
      }
      for (const [k, v] of Object.entries(r)) if (v && typeof v === 'object') walk(v, [...path, k]);
    }
  };
  walk(field(o, 'spec', 'provider'), ['spec', 'provider']);
  return out;
}

/** The store an ExternalSecret (or the ExternalSecrets of a ClusterExternalSecret) reads through: `{kind, name}`. */
export function storeOf(es: Obj): { kind: string; name: string } | undefined {
  const spec = isClusterExternalSecret(es) ? ['spec', 'externalSecretSpec'] : ['spec'];
  const name = str(es, ...spec, 'secretStoreRef', 'name');
  return name ? { kind: str(es, ...spec, 'secretStoreRef', 'kind') ?? 'SecretStore', name } : undefined;
}

/**
 * The namespaces a ClusterExternalSecret writes its ExternalSecret into, and the Secret's name
 * there, when it produces one. Only `namespaces` is read: which namespaces a label selector
 * matches depends on the cluster's labels, which a tree does not settle.
 */
export function clusterExternalSecretTargets(o: Obj): { name: string; namespaces: string[] } | undefined {
  const policy = str(o, 'spec', 'externalSecretSpec', 'target', 'creationPolicy');
  if (policy === 'Merge' || policy === 'None') return undefined;
  const name = str(o, 'spec', 'externalSecretSpec', 'target', 'name') ?? str(o, 'spec', 'externalSecretName') ?? nameOf(o);
  const namespaces = list(o, 'spec', 'namespaces').filter((n): n is string => typeof n === 'string' && n !== '');
  return { name, namespaces };
}

/** The name of the Secret an object produces in its namespace, if it produces one. */
export function producedSecretName(o: Obj): string | undefined {
  if (isExternalSecret(o)) {
    // creationPolicy Merge writes into a Secret something else makes; None writes none.
    const policy = str(o, 'spec', 'target', 'creationPolicy');
    if (policy === 'Merge' || policy === 'None') return undefined;
    return str(o, 'spec', 'target', 'name') ?? nameOf(o);
  }
  if (isCoreSecret(o)) return nameOf(o);
  if (is(o, 'bitnami.com', 'SealedSecret')) return str(o, 'spec', 'template', 'metadata', 'name') ?? nameOf(o);
  return undefined;
}
