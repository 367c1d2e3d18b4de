// Server-side defaulting of built-in kinds, the parts clients see, in two steps as in the API
// server: defaults of decoding (Secret stringData folded into data and type Opaque, the Namespace
// name label, Service type and ports, NetworkPolicy policyTypes, RBAC API groups), which count
// as the writer's fields; then what the registry sets (Namespace finalizer and phase, Pod phase,
// a Service's cluster IP, PodDisruptionBudget status, `rules: null`), which no one owns.
import { randomInt } from 'node:crypto';
import { meta } from './object-meta.js';
import type { KubeObject } from './resource-type.js';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** A random address of the default service range 10.96.0.0/12, as the allocator hands out. */
function clusterIp(): string {
  const n = randomInt(1, (1 << 20) - 1);
  return `10.${96 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

/** What decoding a Service fills in (owned by whoever wrote it). */
function defaultService(obj: KubeObject): void {
  const spec = rec(obj.spec);
  obj.spec = spec;
  spec.type ??= 'ClusterIP';
  if (spec.type !== 'ExternalName') {
    spec.sessionAffinity ??= 'None';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  if (Array.isArray(spec.ports)) {
    for (const p of spec.ports as Rec[]) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
  }
}

/** What the Service registry allocates (owned by no one): the cluster IP, which an update keeps. */
function allocateService(obj: KubeObject, old: KubeObject | undefined): void {
  const spec = rec(obj.spec);
  if (spec.type !== 'ExternalName') {
    const prev = rec(old?.spec);
    if (spec.clusterIP === undefined || spec.clusterIP === '') {
      spec.clusterIP = prev.clusterIP ?? clusterIp();
      spec.clusterIPs = prev.clusterIPs ?? [spec.clusterIP];
    }
    spec.clusterIPs ??= [spec.clusterIP];
    spec.ipFamilies ??= prev.ipFamilies ?? ['IPv4'];
    spec.ipFamilyPolicy ??= prev.ipFamilyPolicy ?? 'SingleStack';
  }
  if (!old) obj.status = { loadBalancer: {} };
}

function defaultSubjects(obj: KubeObject): void {
  const ref = rec(obj.roleRef);
  if (obj.roleRef !== undefined && !ref.apiGroup) ref.apiGroup = RBAC_GROUP;
  for (const s of Array.isArray(obj.subjects) ? (obj.subjects as Rec[]) : []) {
    if (s.apiGroup === undefined && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

/**
 * Defaults applied when a body is decoded, before server-side apply records who set what: the
 * writer owns these fields.
 */
export function applyBuiltinDefaults(storageKey: string, obj: KubeObject): void {
  switch (storageKey) {
    case '/secrets': {
      if (obj.stringData && typeof obj.stringData === 'object') {
        const data = { ...(obj.data as Record<string, string> | undefined) };
        for (const [k, v] of Object.entries(obj.stringData as Record<string, unknown>)) data[k] = Buffer.from(String(v)).toString('base64');
        obj.data = data;
      }
      delete obj.stringData;
      if (!obj.type) obj.type = 'Opaque';
      break;
    }
    case '/namespaces': {
      const m = meta(obj);
      m.labels = { ...m.labels, 'kubernetes.io/metadata.name': m.name! };
      break;
    }
    case '/services':
      defaultService(obj);
      break;
    case 'networking.k8s.io/networkpolicies': {
      const spec = rec(obj.spec);
      obj.spec = spec;
      if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
        spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
      }
      break;
    }
    case 'rbac.authorization.k8s.io/rolebindings':
    case 'rbac.authorization.k8s.io/clusterrolebindings':
      defaultSubjects(obj);
      break;
  }
}

/** What the registry itself sets, after the writer's fields are recorded: owned by no one. */
export function prepareBuiltin(storageKey: string, obj: KubeObject, old: KubeObject | undefined): void {
  switch (storageKey) {
    case '/namespaces':
      if (!old) {
        obj.spec = { finalizers: ['kubernetes'], ...(obj.spec as object) };
        obj.status = { phase: 'Active' };
      }
      break;
    case '/pods':
      if (!old) obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case '/services':
      allocateService(obj, old);
      break;
    case 'policy/poddisruptionbudgets':
      if (!old) obj.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
      break;
    case 'rbac.authorization.k8s.io/roles':
    case 'rbac.authorization.k8s.io/clusterroles':
      // PolicyRules are not omitted when empty: a role without rules says `rules: null`.
      obj.rules ??= null;
      break;
  }
}
