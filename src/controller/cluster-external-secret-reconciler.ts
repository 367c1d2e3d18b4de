// Reconciles a ClusterExternalSecret: one ExternalSecret, from its externalSecretSpec, in
// every namespace it selects (namespaceSelectors, namespaces), none in the others. Each
// ExternalSecret written carries an owner reference to the ClusterExternalSecret (so the
// garbage collector removes them with it) and the label keyferry.io/cluster-external-secret;
// an ExternalSecret of the same name that it does not own is never touched: that namespace
// is reported in status.failedNamespaces.
import { API_VERSION, CLUSTER_EXTERNAL_SECRET_REASONS, LABEL_CLUSTER_EXTERNAL_SECRET } from '../api/constants.js';
import { parseDuration } from '../api/duration.js';
import type { ClusterExternalSecret, FailedNamespace } from '../api/generated/index.js';
import { describeKubeError, httpStatusOf } from '../kube/api-error.js';
import type { ClusterApi } from '../kube/cluster-api.js';
import type { ExternalSecretWriter } from '../kube/external-secret-writer.js';
import type { ObjectStore } from '../kube/informer.js';
import type { KubeObject } from '../kube/kube-object.js';
import type { ReconcileResult } from '../queue/workers.js';
import { scrubErrorText, type Clock } from '../../providers/contract/index.js';
import { findCondition, readyCondition } from './conditions.js';
import type { EventRecorder } from './events.js';
import { matchesLabelSelector } from './label-selector.js';
import type { Condition } from './types.js';

/** How often the selected namespaces are re-evaluated when `spec.refreshTime` is not set (ESO's default). */
export const DEFAULT_NAMESPACE_REFRESH_MS = 60_000;

export interface ClusterExternalSecretReconcilerDeps {
  clusterExternalSecrets: ObjectStore<KubeObject>;
  externalSecrets: ObjectStore<KubeObject>;
  namespaces: ObjectStore<KubeObject>;
  writer: ExternalSecretWriter;
  api: Pick<ClusterApi, 'patchStatus'>;
  events: Pick<EventRecorder, 'record'>;
  clock: Clock;
}

type Resource = ClusterExternalSecret & KubeObject;

/** Whether `es` is controlled by the ClusterExternalSecret with uid `uid`. */
export function ownedBy(es: KubeObject, uid: string | undefined): boolean {
  return !!uid && (es.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.kind === 'ClusterExternalSecret' && r.uid === uid);
}

/** The namespaces `ces` selects, sorted: named in spec.namespaces or matching any of spec.namespaceSelectors (or ESO's deprecated namespaceSelector); terminating ones excluded. */
export function selectedNamespaces(ces: ClusterExternalSecret, namespaces: KubeObject[]): string[] {
  const named = new Set(ces.spec.namespaces ?? []);
  const selectors = [...(ces.spec.namespaceSelectors ?? []), ...(ces.spec.namespaceSelector ? [ces.spec.namespaceSelector] : [])];
  return namespaces
    .filter((ns) => !ns.metadata?.deletionTimestamp && (ns as { status?: { phase?: string } }).status?.phase !== 'Terminating')
    .filter((ns) => named.has(ns.metadata!.name!) || selectors.some((s) => matchesLabelSelector(s, ns.metadata?.labels ?? {})))
    .map((ns) => ns.metadata!.name!)
    .sort();
}

/** The ExternalSecret `ces` wants in `namespace`. */
export function desiredExternalSecret(ces: Resource, namespace: string): KubeObject {
  const name = ces.spec.externalSecretName ?? ces.metadata.name!;
  const meta = ces.spec.externalSecretMetadata ?? {};
  return {
    apiVersion: API_VERSION,
    kind: 'ExternalSecret',
    metadata: {
      name,
      namespace,
      labels: { ...(meta.labels ?? {}), [LABEL_CLUSTER_EXTERNAL_SECRET]: ces.metadata.name! },
      ...(meta.annotations && Object.keys(meta.annotations).length ? { annotations: { ...meta.annotations } } : {}),
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'ClusterExternalSecret', name: ces.metadata.name!, uid: ces.metadata.uid!, controller: true }],
    },
    spec: structuredClone(ces.spec.externalSecretSpec) as unknown as Record<string, unknown>,
  } as KubeObject;
}

const canonical = (v: unknown): string => JSON.stringify(v, (_k, value: unknown) =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
    : value);

/**
 * Whether `actual` holds everything `wanted` says: objects may have more fields (the API
 * server's schema defaults), arrays have the same length, values are equal.
 */
export function contains(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) return Array.isArray(actual) && actual.length === wanted.length && wanted.every((w, i) => contains(actual[i], w));
  if (wanted && typeof wanted === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(wanted as Record<string, unknown>).every(([k, w]) => contains((actual as Record<string, unknown>)[k], w));
  }
  return actual === wanted;
}

/** Whether `existing` already says what `desired` says (spec as defaulted by the API server, our labels and annotations). */
function upToDate(existing: KubeObject, desired: KubeObject): boolean {
  const labels = existing.metadata?.labels ?? {};
  const annotations = existing.metadata?.annotations ?? {};
  return contains((existing as { spec?: unknown }).spec, (desired as { spec?: unknown }).spec)
    && Object.entries(desired.metadata?.labels ?? {}).every(([k, v]) => labels[k] === v)
    && Object.entries(desired.metadata?.annotations ?? {}).every(([k, v]) => annotations[k] === v);
}

export class ClusterExternalSecretReconciler {
  constructor(private readonly deps: ClusterExternalSecretReconcilerDeps) {}

  async reconcile(name: string): Promise<ReconcileResult> {
    const ces = this.deps.clusterExternalSecrets.get(name) as Resource | undefined;
    // Gone or going: the garbage collector deletes the ExternalSecrets it owns.
    if (!ces || ces.metadata.deletionTimestamp) return {};
    let refreshMs = DEFAULT_NAMESPACE_REFRESH_MS;
    try {
      if (ces.spec.refreshTime) refreshMs = Math.max(1000, parseDuration(ces.spec.refreshTime));
    } catch {
      await this.patchStatus(ces, [], [], false, CLUSTER_EXTERNAL_SECRET_REASONS.InvalidSpec, `spec.refreshTime "${ces.spec.refreshTime}" is not a duration`);
      return {};
    }
    const esName = ces.spec.externalSecretName ?? name;
    const wanted = selectedNamespaces(ces, this.deps.namespaces.list());
    const provisioned: string[] = [];
    const failed: FailedNamespace[] = [];
    let retry = false;
    for (const namespace of wanted) {
      const desired = desiredExternalSecret(ces, namespace);
      const existing = this.deps.externalSecrets.get(esName, namespace);
      try {
        if (existing && !ownedBy(existing, ces.metadata.uid)) {
          failed.push({ namespace, reason: `an ExternalSecret named ${esName} exists in ${namespace} that ClusterExternalSecret ${name} does not own; it is left as it is` });
          continue;
        }
        if (!existing) {
          if (!(await this.deps.writer.createExternalSecret(desired))) {
            // The cache has not seen it yet, or someone else created it: look again shortly.
            failed.push({ namespace, reason: `an ExternalSecret named ${esName} already exists in ${namespace}` });
            retry = true;
            continue;
          }
          this.deps.events.record('ClusterExternalSecret', ces, 'Normal', 'Created', `created ExternalSecret ${namespace}/${esName}`);
        } else if (!upToDate(existing, desired)) {
          const labels = { ...(existing.metadata?.labels ?? {}), ...desired.metadata!.labels };
          const annotations = { ...(existing.metadata?.annotations ?? {}), ...(desired.metadata!.annotations ?? {}) };
          await this.deps.writer.replaceExternalSecret({
            ...existing,
            metadata: { ...existing.metadata, labels, annotations, ownerReferences: desired.metadata!.ownerReferences },
            spec: (desired as { spec?: unknown }).spec,
          } as KubeObject);
          this.deps.events.record('ClusterExternalSecret', ces, 'Normal', 'Updated', `updated ExternalSecret ${namespace}/${esName}`);
        }
        provisioned.push(namespace);
      } catch (e) {
        // 409 on replace: the cache was stale; the next attempt reads it again.
        if (httpStatusOf(e) === 409) retry = true;
        failed.push({ namespace, reason: scrubErrorText(describeKubeError(e)) });
      }
    }
    // Owned ExternalSecrets in namespaces that no longer match, or under a former externalSecretName.
    const keep = new Set(wanted.map((ns) => `${ns}/${esName}`));
    for (const es of this.deps.externalSecrets.list()) {
      if (es.metadata?.labels?.[LABEL_CLUSTER_EXTERNAL_SECRET] !== name || !ownedBy(es, ces.metadata.uid)) continue;
      const { namespace, name: n, uid } = es.metadata as { namespace: string; name: string; uid: string };
      if (keep.has(`${namespace}/${n}`)) continue;
      try {
        if (await this.deps.writer.deleteExternalSecret(namespace, n, uid)) {
          this.deps.events.record('ClusterExternalSecret', ces, 'Normal', 'Deleted', `deleted ExternalSecret ${namespace}/${n}: its namespace is no longer selected`);
        }
      } catch (e) {
        failed.push({ namespace, reason: `could not delete ExternalSecret ${n}: ${scrubErrorText(describeKubeError(e))}` });
      }
    }
    failed.sort((a, b) => a.namespace.localeCompare(b.namespace));
    const ok = failed.length === 0;
    const message = ok
      ? `ExternalSecret ${esName} is in ${provisioned.length} namespace(s)`
      : `ExternalSecret ${esName} is missing from ${failed.length} namespace(s): ${failed.slice(0, 5).map((f) => f.namespace).join(', ')}${failed.length > 5 ? ', …' : ''}`;
    await this.patchStatus(ces, provisioned, failed, ok, ok ? CLUSTER_EXTERNAL_SECRET_REASONS.Provisioned : CLUSTER_EXTERNAL_SECRET_REASONS.NamespacesFailed, message);
    return { requeueAfter: retry ? Math.min(refreshMs, 2000) : refreshMs };
  }

  private async patchStatus(ces: Resource, provisioned: string[], failed: FailedNamespace[], ok: boolean, reason: string, message: string): Promise<void> {
    const previous = findCondition(ces.status?.conditions as Condition[] | undefined);
    const condition = readyCondition(ok, reason, message, previous, new Date(this.deps.clock.now()), ces.metadata.generation);
    const status = {
      provisionedNamespaces: provisioned,
      failedNamespaces: failed,
      externalSecretName: ces.spec.externalSecretName ?? ces.metadata.name!,
      conditions: [condition],
    };
    const current = ces.status ?? {};
    if (canonical({ ...status, conditions: undefined }) === canonical({ provisionedNamespaces: current.provisionedNamespaces ?? [], failedNamespaces: current.failedNamespaces ?? [], externalSecretName: current.externalSecretName, conditions: undefined })
      && previous && canonical(previous) === canonical(condition)) return;
    await this.deps.api.patchStatus({ kind: 'ClusterExternalSecret', name: ces.metadata.name! }, status);
  }
}
