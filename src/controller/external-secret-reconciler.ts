// Reconciles one ExternalSecret (DESIGN §2, §3), level-based: from what the caches say now,
// decide whether a fetch is due, write the hash-named Secret only if it does not exist,
// prune old versions, and patch status only when it changed. A failed fetch touches no
// Secret: the last good version keeps serving and the condition says so.
import { createHash } from 'node:crypto';
import { isProviderError, isUnavailable, scrubErrorText, type Clock } from '../../providers/contract/index.js';
import { CIRCUIT_OPEN_REASON, type RemoteFetcher } from '../fetch/remote-fetcher.js';
import type { ClusterApi } from '../kube/cluster-api.js';
import type { ObjectStore } from '../kube/informer.js';
import { creationTime, splitKey, type KubeObject, type SecretObject } from '../kube/kube-object.js';
import { describeKubeError } from '../kube/api-error.js';
import { API_VERSION } from '../kube/resources.js';
import type { OperatorMetrics } from '../metrics/operator-metrics.js';
import type { ReconcileResult } from '../queue/workers.js';
import {
  ANNOTATION_CONTENT_HASH, ANNOTATION_FORCE_SYNC, ANNOTATION_REMOTE_VERSIONS, DEFAULT_RETENTION, LABEL_TARGET, MAX_TARGET_NAME_LENGTH,
  buildVersionedSecret, newestFirst, versionsToPrune, type InUseCheck,
} from '../versioning/index.js';
import { canonicalJson } from './canonical-json.js';
import { Reasons, findCondition, readyCondition } from './conditions.js';
import { isDuration, parseDuration } from '../api/index.js';
import type { EventRecorder } from './events.js';
import { latestMaxAgeMs, nextRefreshAt } from './refresh-schedule.js';
import { remoteGroupKey } from './remote-group.js';
import type { ManagedSecretIndex } from './managed-secret-index.js';
import { fetchSecretData } from './secret-data.js';
import { isSpecError } from './spec-error.js';
import { resolveStore, type StoreCaches } from './store-resolver.js';
import type { StoreRegistry } from './store-registry.js';
import { renderTemplate } from './template.js';
import type { ExternalSecretResource, ExternalSecretStatus, VersionStatus } from './types.js';

export interface ControllerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Milliseconds of a Go duration, or undefined when the text is not one. */
function durationMs(text: string): number | undefined {
  return isDuration(text) ? Math.round(parseDuration(text)) : undefined;
}

/**
 * When to try again after a failed fetch: while the store's circuit is open, when it lets a
 * probe through (so an outage's end is noticed within seconds, whatever the key's backoff
 * grew to); otherwise the queue's per-key backoff (true). A long Retry-After is left to the
 * backoff too: the endpoint's limiter is already slowed for it, and a quota lifted early
 * should not leave ExternalSecrets waiting out the old answer.
 */
function retryAfterFetchError(error: unknown): number | true {
  if (isUnavailable(error) && error.reason === CIRCUIT_OPEN_REASON && error.retryAfterMs !== undefined) return Math.max(1000, error.retryAfterMs);
  return true;
}

/** Thrown after status is written, to have the queue retry the key with backoff. */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
}

export interface ExternalSecretReconcilerDeps {
  externalSecrets: ObjectStore<KubeObject>;
  storeCaches: StoreCaches;
  managed: ManagedSecretIndex;
  stores: StoreRegistry;
  api: ClusterApi;
  fetcher: RemoteFetcher;
  events: EventRecorder;
  metrics: OperatorMetrics;
  clock: Clock;
  logger: ControllerLogger;
  /** Whether a Pod or ReplicaSet still references a version; later work plugs in here. */
  inUse?: (namespace: string) => InUseCheck;
}

interface LastSync {
  at: number;
  generation: number;
  storeId: string;
  /** Value of the force-sync annotation at that sync; a new value asks for a fresh read. */
  forceSync?: string;
}


function parseVersions(annotation: string | undefined): Record<string, string> {
  try {
    return annotation ? (JSON.parse(annotation) as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function versionStatus(secret: SecretObject): VersionStatus {
  return {
    name: secret.metadata!.name!,
    hash: secret.metadata?.annotations?.[ANNOTATION_CONTENT_HASH] ?? '',
    createdAt: creationTime(secret).toISOString(),
    remoteVersions: parseVersions(secret.metadata?.annotations?.[ANNOTATION_REMOTE_VERSIONS]),
  };
}

/** Status without the fields that only move when something else does. */
function comparable(status: ExternalSecretStatus | undefined): string {
  const s = { ...(status ?? {}) };
  delete s.refreshTime;
  s.conditions = s.conditions?.map((c) => ({ ...c, lastTransitionTime: undefined }));
  return canonicalJson(s);
}

export class ExternalSecretReconciler {
  private readonly lastSync = new Map<string, LastSync>();
  /** Digest of the status this process last wrote, since the informer may not have delivered it yet. */
  private readonly lastWritten = new Map<string, string>();

  constructor(private readonly deps: ExternalSecretReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const es = this.deps.externalSecrets.get(name, namespace) as ExternalSecretResource | undefined;
    if (!es || es.metadata?.deletionTimestamp) return this.forget(key);
    const started = process.hrtime.bigint();
    this.deps.metrics.externalSecrets.syncCall(name, namespace ?? '');
    const fetchedFrom: { provider?: string } = {};
    try {
      return await this.sync(key, es, fetchedFrom);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.deps.metrics.externalSecrets.setReconcileDuration(name, namespace ?? '', seconds);
      if (fetchedFrom.provider) this.deps.metrics.syncDuration.observe({ provider: fetchedFrom.provider }, seconds);
    }
  }

  /** Drops what this process keeps about an ExternalSecret it no longer reconciles. */
  forget(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    this.lastSync.delete(key);
    this.lastWritten.delete(key);
    this.deps.metrics.externalSecrets.forget(name, namespace ?? '');
    return {};
  }

  private async sync(key: string, es: ExternalSecretResource, fetchedFrom: { provider?: string }): Promise<ReconcileResult> {
    const { metrics, clock } = this.deps;
    const name = es.metadata!.name!;
    const namespace = es.metadata!.namespace!;
    const generation = es.metadata?.generation ?? 0;
    const now = clock.now();

    /** `retry`: true backs off per key; a number asks again after that many ms. */
    const fail = async (reason: string, message: string, retry: boolean | number, serving?: string): Promise<ReconcileResult> => {
      metrics.externalSecrets.syncError(name, namespace);
      metrics.externalSecrets.setCondition(name, namespace, 'False', reason);
      const text = serving ? `${message}; the last good version "${serving}" keeps serving` : message;
      await this.writeStatus(es, { ...(es.status ?? {}), conditions: [readyCondition(false, reason, scrubErrorText(text), findCondition(es.status?.conditions), new Date(now))] }, undefined, reason);
      if (typeof retry === 'number') return { requeueAfter: retry };
      if (retry) throw new RetryLater(text);
      return {};
    };

    // The spec: what no retry can fix is reported once and waits for a spec change.
    const spec = es.spec;
    if (!spec) return fail(Reasons.InvalidSpec, 'spec is required', false);
    const targetName = spec.target?.name ?? name;
    const intervalText = spec.refreshInterval ?? '1h';
    const intervalMs = durationMs(intervalText);
    if (intervalMs === undefined) return fail(Reasons.InvalidSpec, `spec.refreshInterval: "${intervalText}" is not a duration`, false);
    const minRetentionText = spec.target?.versioning?.minRetention;
    const minRetentionMs = minRetentionText === undefined ? DEFAULT_RETENTION.minRetentionMs : durationMs(minRetentionText);
    if (minRetentionMs === undefined) return fail(Reasons.InvalidSpec, `spec.target.versioning.minRetention: "${minRetentionText}" is not a duration`, false);
    if (targetName.length > MAX_TARGET_NAME_LENGTH) return fail(Reasons.InvalidSpec, `spec.target.name: longer than ${MAX_TARGET_NAME_LENGTH} characters, leaving no room for the version suffix`, false);
    if (!spec.data?.length && !spec.dataFrom?.length) return fail(Reasons.InvalidSpec, 'spec: one of data or dataFrom is required', false);

    const resolution = resolveStore(es, this.deps.storeCaches);
    if (!resolution.ok) return fail(resolution.reason, resolution.message, resolution.reason === Reasons.StoreNotReady);
    const state = this.deps.stores.get(resolution.key);
    // Not validated yet since start: the store reconciler re-queues this key when it is.
    if (!state) return {};
    if (!state.ready || !state.handle) return fail(Reasons.StoreNotReady, `${resolution.kind} "${resolution.store.metadata?.name}" is not ready: ${state.message}`, false);
    const handle = state.handle;

    const versions = this.deps.managed.forExternalSecret(key).filter((s) => s.metadata?.labels?.[LABEL_TARGET] === targetName);
    const current = es.status?.currentSecretName;
    const currentExists = current !== undefined && versions.some((v) => v.metadata?.name === current);
    const policy = spec.refreshPolicy ?? 'Periodic';
    const last = this.lastSync.get(key) ?? (es.status?.refreshTime && es.status.syncedGeneration === generation
      ? { at: Date.parse(es.status.refreshTime), generation, storeId: '' }
      : undefined);
    const forceSync = es.metadata?.annotations?.[ANNOTATION_FORCE_SYNC];
    const forced = forceSync !== undefined && forceSync !== last?.forceSync;
    const specUnchanged = es.status?.syncedGeneration === generation && last?.generation === generation && !forced;
    const storeUnchanged = last?.storeId === handle.id;
    const phaseKey = remoteGroupKey(es);
    const dueAt = last ? nextRefreshAt(last.at, intervalMs, phaseKey) : now;

    // Whether anything calls for a fetch now.
    if (currentExists && specUnchanged) {
      const once = policy === 'CreatedOnce' || intervalMs === 0;
      if (once) return {};
      if (policy === 'OnChange' && storeUnchanged) return {};
      if (policy === 'Periodic' && storeUnchanged && now < dueAt) return { requeueAfter: dueAt - now };
    }

    let rendered;
    let fetched;
    fetchedFrom.provider = handle.provider;
    try {
      const storeTtl = resolution.store.spec?.cache?.latestTTL;
      const maxAgeMs = (storeTtl === undefined ? undefined : durationMs(storeTtl)) ?? latestMaxAgeMs(intervalMs);
      fetched = await fetchSecretData(spec, this.deps.fetcher, handle, { fresh: forced, maxAgeMs });
      rendered = renderTemplate(spec, fetched.data);
    } catch (e) {
      if (isSpecError(e)) return fail(Reasons.InvalidSpec, e.message, false);
      const message = isProviderError(e) ? `${e.kind}: ${e.message}` : `fetch failed: ${e instanceof Error ? e.message : String(e)}`;
      return fail(currentExists ? Reasons.Stale : Reasons.SecretSyncedError, message, retryAfterFetchError(e), currentExists ? current : undefined);
    }

    const owner = (spec.target?.creationPolicy ?? 'Owner') === 'Owner'
      ? { apiVersion: API_VERSION, kind: 'ExternalSecret', name, uid: es.metadata!.uid! }
      : undefined;
    const { hash, secret } = buildVersionedSecret({
      namespace, externalSecretName: name, targetName, type: rendered.type, data: rendered.data,
      templateLabels: rendered.labels, templateAnnotations: rendered.annotations, remoteVersions: fetched.remoteVersions, owner,
    });
    const newName = secret.metadata.name;
    let created = false;
    if (!versions.some((v) => v.metadata?.name === newName)) {
      try {
        const stored = await this.deps.api.createSecret(secret) ?? await this.deps.api.getSecret(namespace, newName);
        created = true;
        metrics.versionsCreated.inc({ namespace });
        if (stored) {
          // The index keeps metadata only, like the managed-Secret informer.
          delete stored.data;
          this.deps.managed.upsert(stored);
          versions.push(stored);
        }
      } catch (e) {
        return fail(Reasons.SecretSyncedError, `could not create Secret "${newName}": ${describeKubeError(e)}`, true, currentExists ? current : undefined);
      }
    }

    // Prune what retention lets go of.
    const retain = spec.target?.versioning?.retain ?? DEFAULT_RETENTION.retain;
    const inUse = this.deps.inUse?.(namespace);
    const stored = versions.map((v) => ({ name: v.metadata!.name!, createdAt: creationTime(v), sequence: Number(v.metadata?.resourceVersion) || 0 }));
    const pruned: string[] = [];
    for (const victim of versionsToPrune(stored, newName, { retain, minRetentionMs }, now, inUse)) {
      try {
        await this.deps.api.deleteSecret(namespace, victim);
        pruned.push(victim);
        const obj = versions.find((v) => v.metadata?.name === victim)!;
        this.deps.managed.remove(obj);
      } catch (e) {
        this.deps.logger.warn({ namespace, externalSecret: name, secretName: victim, error: describeKubeError(e) }, 'could not delete old version; will retry at next sync');
      }
    }
    const kept = newestFirst(stored.filter((s) => !pruned.includes(s.name)));
    const byName = new Map(versions.map((v) => [v.metadata!.name!, v]));
    const status: ExternalSecretStatus = {
      ...(es.status ?? {}),
      conditions: [readyCondition(true, Reasons.SecretSynced, `Secret synced to "${newName}"`, findCondition(es.status?.conditions), new Date(now))],
      syncedGeneration: generation,
      currentSecretName: newName,
      versions: kept.map((k) => versionStatus(byName.get(k.name)!)),
      expiresAt: fetched.expiresAt?.toISOString(),
    };
    if (!status.expiresAt) delete status.expiresAt;
    await this.writeStatus(es, status, new Date(now).toISOString(), Reasons.SecretSynced);

    if (created || pruned.length > 0) {
      const parts = [created ? `created version "${newName}" (${Object.keys(rendered.data).length} keys)` : `current version "${newName}"`];
      if (pruned.length) parts.push(`deleted ${pruned.map((p) => `"${p}"`).join(', ')}`);
      this.deps.events.record('ExternalSecret', es, 'Normal', created ? 'VersionCreated' : 'VersionsPruned', parts.join('; '));
      this.deps.logger.info({ namespace, externalSecret: name, secretName: newName, hash, pruned }, created ? 'created version' : 'pruned versions');
    }

    metrics.externalSecrets.setCondition(name, namespace, 'True', Reasons.SecretSynced);
    metrics.externalSecrets.setVersionsRetained(name, namespace, kept.length);
    const currentObj = byName.get(newName);
    if (currentObj) metrics.externalSecrets.setSecretAge(name, namespace, Math.max(0, (now - creationTime(currentObj).getTime()) / 1000));
    if (fetched.expiresAt) metrics.externalSecrets.setSecretExpiry(name, namespace, fetched.expiresAt.getTime() / 1000);

    this.lastSync.set(key, { at: now, generation, storeId: handle.id, forceSync });
    if (policy !== 'Periodic' || intervalMs === 0) return {};
    return { requeueAfter: nextRefreshAt(now, intervalMs, phaseKey) - now };
  }

  /** Patches status when it differs (ignoring timestamps that only move with it); one Event per condition change. */
  private async writeStatus(es: ExternalSecretResource, status: ExternalSecretStatus, refreshTime: string | undefined, reason: string): Promise<void> {
    const key = `${es.metadata!.namespace}/${es.metadata!.name}`;
    const wanted = comparable(status);
    // A digest of what was written is enough to compare with, and 10 000 of them stay small.
    const digest = createHash('sha256').update(wanted).digest('base64url').slice(0, 22);
    if (wanted === comparable(es.status) || digest === this.lastWritten.get(key)) return;
    const before = findCondition(es.status?.conditions);
    const after = findCondition(status.conditions)!;
    const body = { ...status, refreshTime: refreshTime ?? es.status?.refreshTime } as Record<string, unknown>;
    // A merge patch removes a field only when it is sent as null.
    for (const field of ['expiresAt', 'currentSecretName', 'refreshTime'] as const) if (body[field] === undefined) body[field] = null;
    await this.deps.api.patchStatus({ kind: 'ExternalSecret', namespace: es.metadata!.namespace!, name: es.metadata!.name! }, body);
    this.lastWritten.set(key, digest);
    if (after.status === 'False' && (before?.reason !== after.reason || before?.message !== after.message || before?.status !== after.status)) {
      this.deps.events.record('ExternalSecret', es, 'Warning', reason, after.message ?? reason);
    }
  }
}
