// The built-in kinds the dev cluster serves, declared in the shared `ResourceType` shape.
import type { KubeObject, PrinterColumn, ResourceType } from './resource-type.js';
import { served, type ServedResource } from './registry.js';
import {
  checkConfigMapEncoding, checkSecretEncoding, validateConfigMap, validateCronJob, validatePod, validateSecret, validateService,
} from './validation/builtin-kinds.js';
import { validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from './validation/rbac.js';
import { anyName, dns1035Name, labelName, pathSegmentName } from './validation/name-rules.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function builtin(
  group: string, version: string, kind: string, plural: string, namespaced: boolean,
  more: Partial<ResourceType> = {},
): ResourceType {
  return {
    group, version, kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), namespaced,
    shortNames: [], categories: [], verbs: ALL_VERBS, subresources: [], printerColumns: [],
    schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    builtin: true, generation: false,
    ...more,
  };
}

const col = (name: string, type: string, jsonPath: string, priority = 0): PrinterColumn => ({ name, type, jsonPath, priority });

export const NAMESPACES = builtin('', 'v1', 'Namespace', 'namespaces', false, {
  shortNames: ['ns'], nameRule: labelName, subresources: ['status', 'finalize'], printerColumns: [col('Status', 'string', '.status.phase')],
});
export const SECRETS = builtin('', 'v1', 'Secret', 'secrets', true, {
  printerColumns: [col('Type', 'string', '.type')], validate: validateSecret, checkEncoding: checkSecretEncoding,
});
export const CONFIGMAPS = builtin('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'], validate: validateConfigMap, checkEncoding: checkConfigMapEncoding });
export const PODS = builtin('', 'v1', 'Pod', 'pods', true, {
  shortNames: ['po'], generation: true, validate: validatePod, categories: ['all'], subresources: ['status'],
  printerColumns: [col('Status', 'string', '.status.phase'), col('Node', 'string', '.spec.nodeName', 1)],
});
export const SERVICEACCOUNTS = builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'], subresources: ['token'] });
export const EVENTS = builtin('', 'v1', 'Event', 'events', true, {
  shortNames: ['ev'], nameRule: anyName,
  printerColumns: [col('Last Seen', 'string', '.lastTimestamp'), col('Type', 'string', '.type'), col('Reason', 'string', '.reason'),
    col('Object', 'string', '.involvedObject.name'), col('Message', 'string', '.message')],
});
export const EVENTS_V1 = builtin('events.k8s.io', 'v1', 'Event', 'events', true, {
  shortNames: ['ev'], nameRule: anyName,
  printerColumns: [col('Type', 'string', '.type'), col('Reason', 'string', '.reason'), col('Object', 'string', '.regarding.name'), col('Note', 'string', '.note')],
});
const workload = (kind: string, plural: string, shortNames: string[]): ResourceType => builtin('apps', 'v1', kind, plural, true, {
  shortNames, categories: ['all'], subresources: ['status'], generation: true,
  printerColumns: [col('Ready', 'integer', '.status.readyReplicas'), col('Replicas', 'integer', '.spec.replicas')],
});
export const DEPLOYMENTS = workload('Deployment', 'deployments', ['deploy']);
export const STATEFULSETS = { ...workload('StatefulSet', 'statefulsets', ['sts']), nameRule: labelName };
export const DAEMONSETS = { ...workload('DaemonSet', 'daemonsets', ['ds']), printerColumns: [col('Desired', 'integer', '.status.desiredNumberScheduled'), col('Ready', 'integer', '.status.numberReady')] };
export const REPLICASETS = workload('ReplicaSet', 'replicasets', ['rs']);
export const CONTROLLERREVISIONS = builtin('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true, {
  printerColumns: [col('Revision', 'integer', '.revision')],
});
export const JOBS = builtin('batch', 'v1', 'Job', 'jobs', true, {
  categories: ['all'], subresources: ['status'], generation: true, printerColumns: [col('Completions', 'integer', '.spec.completions')],
});
export const CRONJOBS = builtin('batch', 'v1', 'CronJob', 'cronjobs', true, {
  shortNames: ['cj'], categories: ['all'], subresources: ['status'], generation: true, validate: validateCronJob, printerColumns: [col('Schedule', 'string', '.spec.schedule')],
});
export const SERVICES = builtin('', 'v1', 'Service', 'services', true, {
  shortNames: ['svc'], categories: ['all'], subresources: ['status'], nameRule: dns1035Name, validate: validateService,
});
export const NETWORKPOLICIES = builtin('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'], generation: true });
export const PODDISRUPTIONBUDGETS = builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { shortNames: ['pdb'], subresources: ['status'], generation: true });
const rbac = (kind: string, plural: string, namespaced: boolean, validate: ResourceType['validate']): ResourceType =>
  builtin('rbac.authorization.k8s.io', 'v1', kind, plural, namespaced, { nameRule: pathSegmentName, validate });
export const ROLES = rbac('Role', 'roles', true, validateRole);
export const CLUSTERROLES = rbac('ClusterRole', 'clusterroles', false, validateClusterRole);
export const ROLEBINDINGS = rbac('RoleBinding', 'rolebindings', true, validateRoleBinding);
export const CLUSTERROLEBINDINGS = rbac('ClusterRoleBinding', 'clusterrolebindings', false, validateClusterRoleBinding);
export const LEASES = builtin('coordination.k8s.io', 'v1', 'Lease', 'leases', true, { printerColumns: [col('Holder', 'string', '.spec.holderIdentity')] });
export const TOKENREVIEWS = builtin('authentication.k8s.io', 'v1', 'TokenReview', 'tokenreviews', false, { verbs: ['create'] });
export const CRDS = builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, {
  shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'], generation: true,
  printerColumns: [col('Created At', 'string', '.metadata.creationTimestamp')],
});

/** events.k8s.io/v1 shares storage with core/v1 Events; these convert between the two forms. */
function eventToV1(o: KubeObject): KubeObject {
  const { involvedObject, message, source, firstTimestamp, lastTimestamp, count, reportingComponent, reportingInstance,
    related, series, apiVersion: _a, kind: _k, ...rest } = o as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rest, apiVersion: 'events.k8s.io/v1', kind: 'Event' };
  if (involvedObject !== undefined) out.regarding = involvedObject;
  if (related !== undefined) out.related = related;
  if (message !== undefined) out.note = message;
  const src = (source ?? {}) as { component?: string; host?: string };
  out.reportingController = reportingComponent || src.component || undefined;
  out.reportingInstance = reportingInstance || src.host || undefined;
  if (series !== undefined) out.series = series;
  else if (typeof count === 'number' && count > 1) out.deprecatedCount = count;
  if (firstTimestamp) out.deprecatedFirstTimestamp = firstTimestamp;
  if (lastTimestamp) out.deprecatedLastTimestamp = lastTimestamp;
  if (source) out.deprecatedSource = source;
  if (out.reportingController === undefined) delete out.reportingController;
  if (out.reportingInstance === undefined) delete out.reportingInstance;
  return out as KubeObject;
}

function eventFromV1(o: KubeObject): KubeObject {
  const { regarding, note, reportingController, reportingInstance, deprecatedSource, deprecatedFirstTimestamp,
    deprecatedLastTimestamp, deprecatedCount, apiVersion: _a, kind: _k, ...rest } = o as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rest, apiVersion: 'v1', kind: 'Event' };
  if (regarding !== undefined) out.involvedObject = regarding;
  if (note !== undefined) out.message = note;
  if (reportingController !== undefined) out.reportingComponent = reportingController;
  if (reportingInstance !== undefined) out.reportingInstance = reportingInstance;
  out.source = deprecatedSource ?? { component: reportingController, host: reportingInstance };
  if (deprecatedFirstTimestamp) out.firstTimestamp = deprecatedFirstTimestamp;
  if (deprecatedLastTimestamp) out.lastTimestamp = deprecatedLastTimestamp;
  else if (o.eventTime) out.lastTimestamp = o.eventTime;
  if (deprecatedCount !== undefined) out.count = deprecatedCount;
  return out as KubeObject;
}

export function builtinResources(): ServedResource[] {
  return [
    served(NAMESPACES), served(SECRETS), served(CONFIGMAPS), served(PODS), served(SERVICEACCOUNTS), served(EVENTS),
    served(EVENTS_V1, { storageKey: '/events', toExternal: eventToV1, toStorage: eventFromV1 }),
    served(DEPLOYMENTS), served(STATEFULSETS), served(DAEMONSETS), served(REPLICASETS), served(CONTROLLERREVISIONS), served(JOBS), served(CRONJOBS), served(LEASES),
    served(SERVICES), served(NETWORKPOLICIES), served(PODDISRUPTIONBUDGETS),
    served(ROLES), served(CLUSTERROLES), served(ROLEBINDINGS), served(CLUSTERROLEBINDINGS),
    served(TOKENREVIEWS, { virtual: true }), served(CRDS),
  ];
}
