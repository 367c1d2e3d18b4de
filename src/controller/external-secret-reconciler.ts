// Reconciles one ExternalSecret (DESIGN §2, §3), level-based: from what the caches say now,
// decide whether a fetch is due, write the hash-named Secret only if it does not exist,
// prune old versions, and patch status only when it changed. A failed fetch touches no
// Secret: the last good version keeps serving and the condition says so. Ready=True is
// written only when the current version exists and is ours, whatever the API server said.
import { createHash } from 'node:crypto';
import { isInvalidData, isProviderError, isThrottled, isUnavailable, scrubErrorText, type Clock } from '../../providers/contract/index.js';
import { ALIAS_REASONS } from '../workloads/alias-secret.js';
import type { ConsumerProblem, SettleRequest } from '../workloads/version-consumers.js';
import { ANNOTATION_MAX_AGE_PERIOD } from '../workloads/annotations.js';
import { nextExpiryTransition, withExpiryConditions } from '../versioning/expiry.js';
import { MIN_MAX_AGE_MS, maxAgePeriod } from '../versioning/max-age.js';
import { CIRCUIT_OPEN_REASON, LIMITER_BUSY_REASON, STORE_REMOVED_REASON, type RemoteFetcher } from '../fetch/remote-fetcher.js';
import type { ClusterApi } from '../kube/cluster-api.js';
import type { ObjectStore } from '../kube/informer.js';
import { creationTime, splitKey, type KubeObject, type SecretObject } from '../kube/kube-object.js';
import { describeKubeError, httpStatusOf } from '../kube/api-error.js';
import { API_VERSION } from '../kube/resources.js';
import type { OperatorMetrics } from '../metrics/operator-metrics.js';
import { ItemBackoff } from '../queue/backoff.js';
import type { ReconcileResult } from '../queue/workers.js';
import {
  ANNOTATION_CONTENT_HASH, ANNOTATION_FORCE_SYNC, ANNOTATION_REMOTE_VERSIONS,
  buildVersionedSecret, checkOwnership, forgetData, looksLikeVersionOf, newestFirst, nextPruneAt, secretProblems, targetNameOf, versionsToPrune,
  type InUseCheck, type RetentionPolicy, type StoredVersion,
} from '../versioning/index.js';
import { canonicalJson } from './canonical-json.js';
import { Reasons, findCondition, readyCondition } from './conditions.js';
import type { EventRecorder } from './events.js';
import { latestMaxAgeMs, nextRefreshAt, refreshTimeResolutionMs } from './refresh-schedule.js';
import { remoteGroupKey } from './remote-group.js';
import type { ManagedSecretIndex } from './managed-secret-index.js';
import { isRemoteDataError } from './remote-data-error.js';
import { fetchSecretData } from './secret-data.js';
import { MIN_REFRESH_INTERVAL_MS, checkSpec, durationMs } from './spec-checks.js';
import { isSpecError } from './spec-error.js';
import { MERGE_RBAC_HINT, creationPolicyOf, holdsData, inPlaceSpecProblem, mergeTargetProblem, planMerge } from './merge-target.js';
import { resolveStore, type StoreCaches } from './store-resolver.js';
import type { StoreRegistry } from './store-registry.js';
import { rivalOwningTarget, type ClaimsElsewhere } from './target-owner.js';
import { isTemplated, renderTemplate, TemplateSyntaxError, type RenderedSecret } from './template.js';
import { TemplateSourceError, isTemplateSourceError, type TemplateSourceReader } from './template-from.js';
import { sharedTemplateEngine, type TemplateEngine } from '../templates/go-template-engine.js';
import type { ExternalSecretResource, ExternalSecretStatus, VersionStatus } from './types.js';

export interface ControllerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** `status.versions` lists at most this many, newest first; `status.versionCount` says how many exist. */
export const MAX_LISTED_VERSIONS = 20;

/**
 * When to try again after a failed fetch: while the store's circuit is open, when it lets a
 * probe through (so an outage's end is noticed within seconds, whatever the key's backoff
 * grew to); otherwise the queue's per-key backoff (true). A long Retry-After is left to the
 * backoff too: the endpoint's limiter is already slowed for it, and a quota lifted early
 * should not leave ExternalSecrets waiting out the old answer.
 */
function retryAfterFetchError(error: unknown): number | true {
  if (isUnavailable(error) && error.reason === CIRCUIT_OPEN_REASON && error.retryAfterMs !== undefined) return Math.max(1000, error.retryAfterMs);
  // The store's own budget cannot start the call soon: ask again when it can, holding nothing meanwhile.
  if (isThrottled(error) && error.reason === LIMITER_BUSY_REASON && error.retryAfterMs !== undefined) return Math.max(1000, error.retryAfterMs);
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
  /** The wall clock: what status says, and where in each interval a refresh slot sits. */
  clock: Clock;
  /**
   * A clock that never steps (the queue's timers): how long ago this process synced a key, so
   * a wall clock stepped back does not postpone the next refresh by the step. Default: the wall clock.
   */
  monotonic?: () => number;
  logger: ControllerLogger;
  /** Whether a Pod, pod template or ControllerRevision still references a version (src/workloads). */
  inUse?: (namespace: string) => InUseCheck;
  /** What follows a reconcile that found the current version: alias, rollouts, publishing (src/workloads). */
  consumers?: ReconcileConsumers;
  /** The key version names are an HMAC under (versioning/version-key.ts). */
  versionKey: Buffer;
  /** The template engine (src/templates); by default one per process, started on first use. */
  templates?: () => TemplateEngine;
  /** Sharded: how the rival-target check learns whether another shard's ExternalSecret holds versions. */
  claimsElsewhere?: ClaimsElsewhere;
}

/** The part of VersionConsumers (src/workloads/version-consumers.ts) the reconciler calls. */
export interface ReconcileConsumers {
  settle(req: SettleRequest): Promise<ConsumerProblem | undefined>;
  forget(namespace: string, name: string): void;
}

/** The soonest of `requeueAfter` delays; none when each is infinite or missing. */
function soonest(...delays: Array<number | undefined>): ReconcileResult {
  const finite = delays.filter((d): d is number => d !== undefined && Number.isFinite(d));
  return finite.length ? { requeueAfter: Math.max(0, Math.min(...finite)) } : {};
}

const storedVersions = (versions: readonly SecretObject[]): StoredVersion[] =>
  versions.map((v) => ({ name: v.metadata!.name!, createdAt: creationTime(v), sequence: Number(v.metadata?.resourceVersion) || 0 }));

interface LastSync {
  /** Wall-clock time of the sync. */
  at: number;
  /** The monotonic clock then, when this process made the sync (not when read from status). */
  mono?: number;
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
  /** Keys whose last create met a 409 and then a 404: requeued at once the first time only. */
  private readonly raced = new Set<string>();
  /** Backoff for remote data that cannot make a Secret; the refresh schedule caps it. */
  private readonly remoteDataBackoff = new ItemBackoff({ baseDelayMs: 1000, maxDelayMs: 300_000 });

  constructor(private readonly deps: ExternalSecretReconcilerDeps) {}

  /** `signal` aborts the fetch when the reconcile has run too long (the worker's deadline). */
  async reconcile(key: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const es = this.deps.externalSecrets.get(name, namespace) as ExternalSecretResource | undefined;
    if (!es || es.metadata?.deletionTimestamp) return this.forget(key);
    const started = process.hrtime.bigint();
    this.deps.metrics.externalSecrets.syncCall(name, namespace ?? '');
    // The namespace's counter exists from its first reconcile, so its first version is an increase.
    this.deps.metrics.versionsCreated.inc({ namespace: namespace ?? '' }, 0);
    const fetchedFrom: { provider?: string } = {};
    try {
      return await this.sync(key, es, fetchedFrom, signal);
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
    this.raced.delete(key);
    this.remoteDataBackoff.forget(key);
    this.deps.metrics.externalSecrets.forget(name, namespace ?? '');
    this.deps.consumers?.forget(namespace ?? '', name);
    return {};
  }

  private async sync(key: string, es: ExternalSecretResource, fetchedFrom: { provider?: string }, signal?: AbortSignal): Promise<ReconcileResult> {
    const { metrics, clock } = this.deps;
    const name = es.metadata!.name!;
    const namespace = es.metadata!.namespace!;
    const generation = es.metadata?.generation ?? 0;
    const now = clock.now();
    let serving: string | undefined;
    const creation = creationPolicyOf(es.spec);
    const merging = creation === 'Merge';

    /** `retry`: true backs off per key; a number asks again after that many ms. */
    const fail = async (reason: string, message: string, retry: boolean | number): Promise<ReconcileResult> => {
      metrics.externalSecrets.syncError(name, namespace);
      metrics.externalSecrets.setCondition(name, namespace, 'False', reason);
      // A Merge target that is gone serves nothing, whatever was written into it before.
      const stillServing = serving !== undefined && reason !== Reasons.MergeTargetNotFound;
      const text = stillServing ? `${message}; ${merging ? `the keys keyferry wrote into "${serving}" keep serving` : `the last good version "${serving}" keeps serving`}` : message;
      const condition = readyCondition(false, reason, scrubErrorText(text), findCondition(es.status?.conditions), new Date(now), generation);
      await this.writeStatus(es, { ...(es.status ?? {}), conditions: [condition] }, undefined);
      if (typeof retry === 'number') return { requeueAfter: retry };
      if (retry) throw new RetryLater(text);
      return {};
    };

    // The spec: what no retry can fix is reported once and waits for a spec change.
    const checked = checkSpec(es);
    if (!checked.ok) return fail(Reasons.InvalidSpec, checked.message, false);
    const spec = es.spec!;
    const { targetName, intervalMs, minRetentionMs, retain } = checked.spec;
    const inPlaceProblem = inPlaceSpecProblem(spec);
    if (inPlaceProblem) return fail(Reasons.InvalidSpec, inPlaceProblem, false);
    // Merge and None write no versions: Merge serves from the target once keys are written there, None serves nothing.
    const inPlace = merging || creation === 'None';

    // Versions listed under this ExternalSecret (any target: those of an earlier target.name are pruned like any old version).
    const versions = this.deps.managed.forExternalSecret(key).filter((s) => looksLikeVersionOf(s, name));
    const current = es.status?.currentSecretName;
    const currentExists = merging
      ? current === targetName
      : creation === 'None'
        ? findCondition(es.status?.conditions)?.reason === Reasons.CreationPolicyNone
        : current !== undefined && versions.some((v) => v.metadata?.name === current && targetNameOf(v) === targetName);
    if (currentExists && creation !== 'None') serving = current;

    const resolution = resolveStore(es, this.deps.storeCaches);
    if (!resolution.ok) return fail(resolution.reason, resolution.message, resolution.reason === Reasons.StoreNotReady);
    const state = this.deps.stores.get(resolution.key);
    // Not validated yet since start: the store reconciler re-queues this key when it is.
    if (!state) return {};
    // A ClusterSecretStore's message may name what its readers may not see (its credential
    // Secret's namespace, say): they get its reason; its own status has the rest.
    const why = resolution.kind === 'ClusterSecretStore' ? ` (${state.reason}; its status says why)` : `: ${state.message}`;
    if (!state.ready || !state.handle) return fail(Reasons.StoreNotReady, `${resolution.kind} "${resolution.store.metadata?.name}" is not ready${why}`, false);
    const handle = state.handle;

    const policy = spec.refreshPolicy ?? 'Periodic';
    const once = policy === 'CreatedOnce' || intervalMs === 0;
    const last = this.lastSync.get(key) ?? (es.status?.refreshTime && es.status.syncedGeneration === generation
      ? { at: Date.parse(es.status.refreshTime), generation, storeId: '' }
      : undefined);
    const forceSync = es.metadata?.annotations?.[ANNOTATION_FORCE_SYNC];
    const forced = forceSync !== undefined && forceSync !== last?.forceSync;
    const specUnchanged = es.status?.syncedGeneration === generation && last?.generation === generation && !forced;
    const storeUnchanged = last?.storeId === handle.id;
    const phaseKey = remoteGroupKey(es);
    const dueAt = last ? this.refreshDueAt(last, now, intervalMs, phaseKey) : now;

    // maxAge: a version from an earlier maxAge period is renewed (read fresh, written anew), whatever the schedule says.
    const maxAgeText = spec.target?.versioning?.maxAge;
    const versionMaxAgeMs = maxAgeText === undefined ? 0 : Math.round(durationMs(maxAgeText) ?? 0);
    if (versionMaxAgeMs > 0 && versionMaxAgeMs < MIN_MAX_AGE_MS) return fail(Reasons.InvalidSpec, `spec.target.versioning.maxAge: "${maxAgeText}" is below the minimum of 1m; use 0 for no maximum age`, false);
    const period = versionMaxAgeMs > 0 ? maxAgePeriod(versionMaxAgeMs, now, key) : undefined;
    const currentPeriod = versions.find((v) => v.metadata?.name === current)?.metadata?.annotations?.[ANNOTATION_MAX_AGE_PERIOD];
    const renew = period !== undefined && currentExists && currentPeriod !== period.startedAt;
    const owner = (spec.target?.creationPolicy ?? 'Owner') === 'Owner'
      ? { apiVersion: API_VERSION, kind: 'ExternalSecret', name, uid: es.metadata!.uid! }
      : undefined;

    // Whether anything calls for a fetch now; if not, what needs none still moves (idle).
    if (currentExists && specUnchanged && !renew) {
      const idle = (waitMs: number) => inPlace
        ? this.idleInPlace(es, soonest(waitMs))
        : this.idle(es, versions, { current: current!, targetName, owner }, { retain, minRetentionMs }, soonest(waitMs, period && period.endsAt - now));
      if (once) return idle(Number.POSITIVE_INFINITY);
      if (policy === 'OnChange' && storeUnchanged) return idle(Number.POSITIVE_INFINITY);
      if (policy === 'Periodic' && storeUnchanged && now < dueAt) return idle(dueAt - now);
    }

    // Checked once a sync is due, so a steady refresh that is not due skips the namespace scan
    // (one serving a version of the target owns it unless a rival held versions first).
    // Merge and None write no versions; a Merge target's own annotation names the one ExternalSecret that may write it.
    const rival = inPlace ? undefined : await rivalOwningTarget(es, this.deps.externalSecrets, this.deps.managed, this.deps.claimsElsewhere);
    // Retried with backoff: the rival's deletion or rename is not an event of this key.
    if (rival) return fail(Reasons.TargetConflict, `spec.target.name: "${targetName}" is written by ExternalSecret "${rival}" of this namespace; this one writes and deletes nothing while both name it`, true);

    /**
     * Remote data that cannot make a Secret: retried with backoff, and at the latest on the
     * refresh schedule, while the last good version keeps serving.
     */
    const remoteDataFailed = (message: string) => {
      const backoff = this.remoteDataBackoff.next(key);
      const untilSlot = once ? Number.POSITIVE_INFINITY : nextRefreshAt(now, intervalMs, phaseKey) - now;
      return fail(Reasons.InvalidRemoteData, message, Math.max(MIN_REFRESH_INTERVAL_MS, Math.min(backoff, untilSlot)));
    };

    let rendered;
    let fetched;
    const deletion = spec.target?.deletionPolicy;
    const deleteWhenGone = creation !== 'None' && (deletion === 'Delete' || deletion === 'Merge');
    fetchedFrom.provider = handle.provider;
    try {
      const storeTtl = resolution.store.spec?.cache?.latestTTL;
      const ttl = storeTtl === undefined ? undefined : durationMs(storeTtl);
      const maxAgeMs = ttl === undefined ? latestMaxAgeMs(intervalMs) : Math.round(ttl);
      fetched = await fetchSecretData(spec, this.deps.fetcher, handle, { fresh: forced || renew, maxAgeMs, signal }, { skipMissing: deleteWhenGone, templates: this.deps.templates ?? sharedTemplateEngine });
    } catch (e) {
      // The store changed or went away under this fetch: nothing failed yet. Run again at once
      // against what the registry holds now (a deleted store is reported as such there).
      if (isUnavailable(e) && e.reason === STORE_REMOVED_REASON) return { requeueAfter: 0 };
      if (isRemoteDataError(e) || isInvalidData(e)) return remoteDataFailed(isProviderError(e) ? `${e.kind}: ${e.message}` : e.message);
      if (isSpecError(e)) return fail(Reasons.InvalidSpec, e.message, false);
      const message = isProviderError(e) ? `${e.kind}: ${e.message}` : `fetch failed: ${e instanceof Error ? e.message : String(e)}`;
      return fail(currentExists ? Reasons.Stale : Reasons.SecretSyncedError, message, retryAfterFetchError(e));
    }
    // deletionPolicy Delete, as ESO: when every remote secret is gone, so are the versions (those still in use wait).
    if (deleteWhenGone && Object.keys(fetched.data).length === 0) {
      this.lastSync.set(key, { at: now, mono: this.monotonicNow(), generation, storeId: handle.id, forceSync });
      if (merging) return this.mergedRemoteGone(es, targetName, fetched.missing, once ? Number.POSITIVE_INFINITY : nextRefreshAt(now, intervalMs, phaseKey) - now, fail);
      return this.remoteGone(es, versions, fetched.missing, once ? Number.POSITIVE_INFINITY : nextRefreshAt(now, intervalMs, phaseKey) - now);
    }
    try {
      rendered = await renderTemplate(spec, fetched.data, this.deps.templates ?? sharedTemplateEngine, this.templateSources(namespace));
    } catch (e) {
      // A ConfigMap or Secret of templateFrom can be fixed without a spec change: retried with backoff.
      if (isTemplateSourceError(e)) return fail(currentExists ? Reasons.Stale : Reasons.SecretSyncedError, e.message, true);
      // Which keys there are to render depends on remote data when dataFrom brings them, and
      // when this very spec rendered before: then a failure is the data's, and may pass.
      const dependsOnRemote = (spec.dataFrom?.length ?? 0) > 0 || (currentExists && es.status?.syncedGeneration === generation);
      if (isSpecError(e) && (!dependsOnRemote || e instanceof TemplateSyntaxError)) return fail(Reasons.InvalidSpec, e.message, false);
      return remoteDataFailed(`${e instanceof Error ? e.message : String(e)} (with the data the store returned)`);
    }

    if (inPlace) {
      const refreshIn = policy !== 'Periodic' || intervalMs === 0 ? undefined : nextRefreshAt(now, intervalMs, phaseKey) - now;
      const outcome = merging
        ? await this.merge(es, targetName, rendered, fail, remoteDataFailed, currentExists)
        : await this.checkOnly(es, rendered, remoteDataFailed);
      if ('result' in outcome) return outcome.result;
      const onceNote = once ? `; ${policy === 'CreatedOnce' ? 'refreshPolicy CreatedOnce' : 'refreshInterval 0'}: read once, not refreshed` : '';
      const reason = merging ? Reasons.SecretSynced : Reasons.CreationPolicyNone;
      const readyNow = readyCondition(merging, reason, `${outcome.message}${onceNote}`, findCondition(es.status?.conditions), new Date(now), generation);
      const status: ExternalSecretStatus = { ...(es.status ?? {}), conditions: [readyNow], syncedGeneration: generation, currentSecretName: merging ? targetName : undefined, expiresAt: fetched.expiresAt?.toISOString() };
      if (!status.expiresAt) delete status.expiresAt;
      if (!merging) delete status.currentSecretName;
      const lastRefresh = es.status?.refreshTime ? Date.parse(es.status.refreshTime) : Number.NaN;
      const refreshDue = !(now - lastRefresh < refreshTimeResolutionMs(intervalMs)) || lastRefresh > now;
      await this.writeStatus(es, status, refreshDue ? new Date(now).toISOString() : undefined);
      metrics.externalSecrets.setCondition(name, namespace, merging ? 'True' : 'False', reason);
      if (fetched.expiresAt) metrics.externalSecrets.setSecretExpiry(name, namespace, fetched.expiresAt.getTime() / 1000);
      this.raced.delete(key);
      this.remoteDataBackoff.forget(key);
      this.lastSync.set(key, { at: now, mono: this.monotonicNow(), generation, storeId: handle.id, forceSync });
      return soonest(refreshIn, this.timedWork(status, [], '', { retain, minRetentionMs }, now));
    }

    // Under maxAge the period is part of the content, so a new period makes a new version.
    const templateAnnotations = period ? { ...rendered.annotations, [ANNOTATION_MAX_AGE_PERIOD]: period.startedAt } : rendered.annotations;
    const { hash, secret } = buildVersionedSecret({
      namespace, externalSecretName: name, targetName, type: rendered.type, data: rendered.data,
      templateLabels: rendered.labels, templateAnnotations, remoteVersions: fetched.remoteVersions, owner,
      key: this.deps.versionKey,
    });
    // Never send what the API server would refuse: say which part, and by whose doing.
    const problems = secretProblems({ type: secret.type, data: rendered.data, labels: secret.metadata.labels, annotations: secret.metadata.annotations });
    if (problems.length > 0) {
      const message = `the Secret would be refused: ${problems.slice(0, 3).map((p) => p.message).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`;
      // What a templateFrom ConfigMap or Secret renders can change without the spec.
      const fromSources = (spec.target?.template?.templateFrom ?? []).some((t) => t.literal === undefined);
      // A templated label or annotation value is what the data made it: the data's problem, as a function's failure is.
      const metadata = spec.target?.template?.metadata;
      const templatedIn = (values: Record<string, string> | undefined, key: string | undefined) =>
        key === undefined ? Object.values(values ?? {}).some(isTemplated) : values !== undefined && Object.hasOwn(values, key) && isTemplated(values[key]!);
      const fromData = problems.some((p) => (p.part === 'labels' && templatedIn(metadata?.labels, p.key)) || (p.part === 'annotations' && templatedIn(metadata?.annotations, p.key)));
      const fromSpec = !fromSources && !fromData && (problems.every((p) => p.part === 'labels' || p.part === 'annotations') || ((spec.dataFrom?.length ?? 0) === 0 && !problems.some((p) => p.message.includes('bytes'))));
      return fromSpec ? fail(Reasons.InvalidSpec, message, false) : remoteDataFailed(message);
    }

    const newName = secret.metadata.name;
    const expected = { externalSecretName: name, targetName, secret };
    const conflict = (why: string) => fail(Reasons.NameConflict, `Secret "${newName}" exists but is not this version (${why}); it is never adopted, and nothing else is changed`, true);
    let created = false;
    const listed = versions.find((v) => v.metadata?.name === newName);
    if (listed) {
      let ownership = checkOwnership(listed, expected);
      if (ownership.ours === 'unknown') {
        const read = await this.readSecret(namespace, newName);
        if (read === 'failed') return fail(currentExists ? Reasons.Stale : Reasons.SecretSyncedError, `could not read Secret "${newName}"`, true);
        ownership = read ? checkOwnership(read, expected) : { ours: false, why: 'it was deleted' };
      }
      if (ownership.ours !== true) return conflict(ownership.ours === false ? ownership.why : 'its data could not be compared');
    } else {
      let stored: SecretObject | undefined;
      try {
        stored = await this.deps.api.createSecret(secret);
      } catch (e) {
        return fail(currentExists ? Reasons.Stale : Reasons.SecretSyncedError, `could not create Secret "${newName}": ${describeKubeError(e)}`, true);
      }
      if (stored) {
        created = true;
        metrics.versionsCreated.inc({ namespace });
      } else {
        // 409: something holds the name. Only the version itself may be used.
        const read = await this.readSecret(namespace, newName);
        if (read === 'failed') return fail(currentExists ? Reasons.Stale : Reasons.SecretSyncedError, `could not read Secret "${newName}" after a conflict on create`, true);
        if (read === undefined) {
          // Gone between the 409 and the read: nothing to call Ready yet. Once at once, then with backoff.
          if (!this.raced.has(key)) {
            this.raced.add(key);
            return { requeueAfter: 0 };
          }
          throw new RetryLater(`Secret "${newName}" conflicted on create and was gone when read`);
        }
        const ownership = checkOwnership(read, expected);
        if (ownership.ours !== true) return conflict(ownership.ours === false ? ownership.why : 'its data could not be compared');
        stored = read;
      }
      // The index keeps metadata only, like the managed-Secret informer.
      forgetData(stored);
      this.deps.managed.upsert(stored, 'write');
      versions.push(stored);
    }
    this.raced.delete(key);
    this.remoteDataBackoff.forget(key);

    // Prune what retention lets go of.
    const inUse = this.deps.inUse?.(namespace);
    const stored = storedVersions(versions);
    const pruned = await this.prune(es, versions, versionsToPrune(stored, newName, { retain, minRetentionMs }, now, inUse));
    const kept = newestFirst(stored.filter((s) => !pruned.includes(s.name)));
    const byName = new Map(versions.map((v) => [v.metadata!.name!, v]));
    const consumerProblem = await this.deps.consumers?.settle({ externalSecret: es, target: targetName, current: newName, owner });
    const renewal = period ? `; maxAge ${maxAgeText}: renewed from ${new Date(period.endsAt).toISOString()}` : '';
    const message = `Secret synced to "${newName}"${once ? `; ${policy === 'CreatedOnce' ? 'refreshPolicy CreatedOnce' : 'refreshInterval 0'}: read once, not refreshed` : ''}${renewal}`;
    const readyNow = consumerProblem
      ? readyCondition(false, consumerProblem.reason, scrubErrorText(consumerProblem.message), findCondition(es.status?.conditions), new Date(now), generation)
      : readyCondition(true, Reasons.SecretSynced, message, findCondition(es.status?.conditions), new Date(now), generation);
    const status: ExternalSecretStatus = {
      ...(es.status ?? {}),
      conditions: [readyNow],
      syncedGeneration: generation,
      currentSecretName: newName,
      versions: kept.slice(0, MAX_LISTED_VERSIONS).map((k) => versionStatus(byName.get(k.name)!)),
      versionCount: kept.length,
      expiresAt: fetched.expiresAt?.toISOString(),
    };
    if (!status.expiresAt) delete status.expiresAt;
    // refreshTime is coarse: a refresh that changes nothing writes it only once it is this old, so steady refreshes cost no writes.
    const lastRefreshTime = es.status?.refreshTime ? Date.parse(es.status.refreshTime) : Number.NaN;
    // One in the future (the wall clock stepped back since) is rewritten at once.
    const refreshTimeDue = !(now - lastRefreshTime < refreshTimeResolutionMs(intervalMs)) || lastRefreshTime > now;
    await this.writeStatus(es, status, refreshTimeDue ? new Date(now).toISOString() : undefined);

    if (created || pruned.length > 0) {
      const parts = [created ? `created version "${newName}" (${Object.keys(rendered.data).length} keys)` : `current version "${newName}"`];
      if (pruned.length) parts.push(`deleted ${pruned.map((p) => `"${p}"`).join(', ')}`);
      this.deps.events.record('ExternalSecret', es, 'Normal', created ? 'VersionCreated' : 'VersionsPruned', parts.join('; '));
      this.deps.logger.info({ namespace, externalSecret: name, secretName: newName, hash, pruned }, created ? 'created version' : 'pruned versions');
    }

    metrics.externalSecrets.setCondition(name, namespace, consumerProblem ? 'False' : 'True', consumerProblem?.reason ?? Reasons.SecretSynced);
    metrics.externalSecrets.setVersionsRetained(name, namespace, kept.length);
    const currentObj = byName.get(newName);
    if (currentObj) metrics.externalSecrets.setSecretAge(name, namespace, Math.max(0, (now - creationTime(currentObj).getTime()) / 1000));
    if (fetched.expiresAt) metrics.externalSecrets.setSecretExpiry(name, namespace, fetched.expiresAt.getTime() / 1000);

    this.lastSync.set(key, { at: now, mono: this.monotonicNow(), generation, storeId: handle.id, forceSync });
    // The alias could not be written: the versions are fine, so retry with backoff until it can.
    if (consumerProblem) throw new RetryLater(consumerProblem.message);
    const refresh = policy !== 'Periodic' || intervalMs === 0 ? undefined : nextRefreshAt(now, intervalMs, phaseKey) - now;
    return soonest(refresh, period && period.endsAt - now, this.timedWork(status, kept, newName, { retain, minRetentionMs }, now, inUse));
  }

  /**
   * templateFrom's ConfigMaps and Secrets: read by name, at each sync, from the ExternalSecret's
   * own namespace only (the spec cannot name another), never cached or watched.
   */
  private templateSources(namespace: string): TemplateSourceReader {
    return async (kind, name) => {
      try {
        if (kind === 'ConfigMap') {
          const cm = await this.deps.api.getConfigMap(namespace, name);
          return cm ? Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'utf8')])) : undefined;
        }
        const secret = await this.deps.api.getSecret(namespace, name);
        return secret ? Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])) : undefined;
      } catch (e) {
        throw new TemplateSourceError(`could not read ${kind} "${name}" for templateFrom: ${describeKubeError(e)}`);
      }
    };
  }

  private monotonicNow(): number {
    return this.deps.monotonic ? this.deps.monotonic() : this.deps.clock.now();
  }

  /**
   * When the refresh after `last` is due, on the wall clock as it reads `now`. A sync this
   * process made is timed on the monotonic clock: the slot's distance from the sync, counted
   * from when the sync really happened, so a wall clock stepped either way since neither
   * postpones the refresh nor brings it forward. A sync known only from status.refreshTime is
   * taken as no later than now: a time in the future (the clock stepped back since) would
   * otherwise hold the refresh for the length of the step.
   */
  private refreshDueAt(last: LastSync, now: number, intervalMs: number, phaseKey: string): number {
    if (last.mono === undefined) return nextRefreshAt(Math.min(last.at, now), intervalMs, phaseKey);
    const waitMs = nextRefreshAt(last.at, intervalMs, phaseKey) - last.at;
    const elapsedMs = Math.max(0, this.monotonicNow() - last.mono);
    return now + waitMs - elapsedMs;
  }

  /** Deletes the versions retention let go of; returns those deleted. */
  private async prune(es: ExternalSecretResource, versions: SecretObject[], victims: string[]): Promise<string[]> {
    const namespace = es.metadata!.namespace!;
    const pruned: string[] = [];
    for (const victim of victims) {
      try {
        await this.deps.api.deleteSecret(namespace, victim);
        pruned.push(victim);
        const obj = versions.find((v) => v.metadata?.name === victim)!;
        this.deps.managed.remove(obj);
      } catch (e) {
        this.deps.logger.warn({ namespace, externalSecret: es.metadata!.name!, secretName: victim, error: describeKubeError(e) }, 'could not delete old version; will retry at next sync');
      }
    }
    return pruned;
  }

  /** Milliseconds until something changes with time alone: an expiry condition, or a version passing minRetention. */
  private timedWork(status: ExternalSecretStatus | undefined, stored: StoredVersion[], current: string, retention: RetentionPolicy, now: number, inUse?: InUseCheck): number | undefined {
    const next = Math.min(nextExpiryTransition(status?.expiresAt, now) ?? Number.POSITIVE_INFINITY, nextPruneAt(stored, current, retention, now, inUse) ?? Number.POSITIVE_INFINITY);
    return Number.isFinite(next) ? next - now : undefined;
  }

  /**
   * No fetch is due: what needs none still follows the cluster and the clock. Versions whose
   * last reference went away are pruned, the consumers are kept in step (the alias may have
   * been removed, or its RBAC granted), and the expiry conditions turn when their time comes.
   */
  private async idle(
    es: ExternalSecretResource, versions: SecretObject[], target: { current: string; targetName: string; owner?: SettleRequest['owner'] },
    retention: RetentionPolicy, wait: ReconcileResult,
  ): Promise<ReconcileResult> {
    const now = this.deps.clock.now();
    const namespace = es.metadata!.namespace!;
    const name = es.metadata!.name!;
    const inUse = this.deps.inUse?.(namespace);
    const stored = storedVersions(versions);
    const pruned = await this.prune(es, versions, versionsToPrune(stored, target.current, retention, now, inUse));
    const problem = await this.deps.consumers?.settle({ externalSecret: es, target: target.targetName, current: target.current, owner: target.owner });
    const ready = findCondition(es.status?.conditions);
    const generation = es.metadata?.generation ?? 0;
    let conditions = es.status?.conditions ?? [];
    // Ready moves here only for the consumers: False when one fails, True again once it is served.
    if (problem) conditions = [readyCondition(false, problem.reason, scrubErrorText(problem.message), ready, new Date(now), generation), ...conditions.filter((c) => c !== ready)];
    else if (ready?.status === 'False' && (ALIAS_REASONS as readonly string[]).includes(ready.reason ?? '')) {
      conditions = [readyCondition(true, Reasons.SecretSynced, `Secret synced to "${target.current}"`, ready, new Date(now), generation), ...conditions.filter((c) => c !== ready)];
    }
    const kept = newestFirst(stored.filter((s) => !pruned.includes(s.name)));
    const status: ExternalSecretStatus = { ...(es.status ?? {}), conditions };
    if (pruned.length) {
      const byName = new Map(versions.map((v) => [v.metadata!.name!, v]));
      status.versions = kept.slice(0, MAX_LISTED_VERSIONS).map((k) => versionStatus(byName.get(k.name)!));
      status.versionCount = kept.length;
      this.deps.metrics.externalSecrets.setVersionsRetained(name, namespace, kept.length);
      this.deps.events.record('ExternalSecret', es, 'Normal', 'VersionsPruned', `deleted ${pruned.map((p) => `"${p}"`).join(', ')}, no longer referenced`);
      this.deps.logger.info({ namespace, externalSecret: name, pruned }, 'pruned versions');
    }
    await this.writeStatus(es, status, undefined);
    const readyAfter = findCondition(status.conditions);
    if (readyAfter) this.deps.metrics.externalSecrets.setCondition(name, namespace, readyAfter.status === 'True' ? 'True' : 'False', readyAfter.reason ?? '');
    if (problem) throw new RetryLater(problem.message);
    return soonest(wait.requeueAfter, this.timedWork(status, kept, target.current, retention, now, inUse));
  }

  /**
   * deletionPolicy Delete and every remote secret is gone (ESO's semantics): the versions are
   * deleted, except those a Pod, pod template or ControllerRevision still references, which go
   * once released. Checked again at the next refresh, in case the remote secret comes back.
   */
  private async remoteGone(es: ExternalSecretResource, versions: SecretObject[], missing: string[], untilRefreshMs: number): Promise<ReconcileResult> {
    const now = this.deps.clock.now();
    const namespace = es.metadata!.namespace!;
    const name = es.metadata!.name!;
    const inUse = this.deps.inUse?.(namespace);
    const stored = storedVersions(versions);
    const pruned = await this.prune(es, versions, stored.filter((v) => !inUse?.(v.name)).map((v) => v.name));
    const kept = newestFirst(stored.filter((s) => !pruned.includes(s.name)));
    const byName = new Map(versions.map((v) => [v.metadata!.name!, v]));
    this.deps.consumers?.forget(namespace, name);
    const still = kept.length ? `; ${kept.length} still referenced, deleted once released` : '';
    const message = `the remote secret is gone (${missing.map((k) => `"${k}"`).join(', ') || 'nothing found'}); deletionPolicy Delete deleted its versions${still}`;
    const status: ExternalSecretStatus = {
      ...(es.status ?? {}),
      conditions: [readyCondition(false, Reasons.SecretDeleted, message, findCondition(es.status?.conditions), new Date(now), es.metadata?.generation ?? 0)],
      versions: kept.slice(0, MAX_LISTED_VERSIONS).map((k) => versionStatus(byName.get(k.name)!)),
      versionCount: kept.length,
    };
    delete status.currentSecretName;
    delete status.expiresAt;
    await this.writeStatus(es, status, undefined);
    if (pruned.length) this.deps.events.record('ExternalSecret', es, 'Normal', 'VersionsDeleted', `deleted ${pruned.map((p) => `"${p}"`).join(', ')}: the remote secret is gone (deletionPolicy Delete)`);
    this.deps.metrics.externalSecrets.setCondition(name, namespace, 'False', Reasons.SecretDeleted);
    this.deps.metrics.externalSecrets.setVersionsRetained(name, namespace, kept.length);
    return soonest(untilRefreshMs);
  }

  /**
   * creationPolicy Merge: writes the rendered keys into the existing, opted-in Secret
   * `targetName` in place, with its resourceVersion as precondition, touching no key keyferry
   * did not write and recording the keys it did. Refusals write nothing. Ready only once the
   * Secret as stored holds exactly the rendered data under those keys.
   */
  private async merge(
    es: ExternalSecretResource, targetName: string, rendered: RenderedSecret,
    fail: (reason: string, message: string, retry: boolean | number) => Promise<ReconcileResult>,
    remoteDataFailed: (message: string) => Promise<ReconcileResult>, serving: boolean,
  ): Promise<{ result: ReconcileResult } | { message: string }> {
    const namespace = es.metadata!.namespace!;
    const name = es.metadata!.name!;
    const failed = Reasons[serving ? 'Stale' : 'SecretSyncedError'];
    const keyList = (keys: string[]) => keys.map((k) => `"${k}"`).join(', ');
    for (let attempt = 1; ; attempt++) {
      const target = await this.readSecret(namespace, targetName);
      if (target === 'failed') return { result: await fail(failed, `could not read Secret "${targetName}"`, true) };
      if (!target) return { result: await fail(Reasons.MergeTargetNotFound, `Secret "${targetName}" does not exist: creationPolicy Merge writes into an existing Secret and never creates one`, true) };
      const refused = mergeTargetProblem(target, name, es.spec?.target?.template?.type);
      if (refused) return { result: await fail(Reasons.MergeRefused, `Secret "${targetName}" ${refused}; nothing was written`, true) };
      const plan = planMerge(target, name, rendered.data, this.deps.versionKey);
      if (plan.collisions.length) {
        return { result: await fail(Reasons.MergeRefused, `Secret "${targetName}" already holds ${keyList(plan.collisions)}, which keyferry did not write and never changes (remove them from the Secret to hand them over); nothing was written`, true) };
      }
      const merged = Object.fromEntries(Object.entries(plan.data).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
      const problems = secretProblems({ type: target.type ?? 'Opaque', data: merged, labels: target.metadata?.labels ?? {}, annotations: plan.annotations });
      if (problems.length) return { result: await remoteDataFailed(`Secret "${targetName}" would be refused with these keys merged: ${problems.slice(0, 3).map((p) => p.message).join('; ')}`) };
      let stored: SecretObject = target;
      if (plan.changed) {
        try {
          stored = await this.deps.api.updateSecret({ ...target, data: plan.data, metadata: { ...target.metadata, annotations: plan.annotations } });
        } catch (e) {
          const status = httpStatusOf(e);
          // Someone else wrote the Secret since it was read: read it again and merge into that.
          if (status === 409 && attempt < 3) continue;
          if (status === 403) return { result: await fail(Reasons.MergeForbidden, `Secret "${targetName}" cannot be updated (${describeKubeError(e)}); ${MERGE_RBAC_HINT}`, true) };
          return { result: await fail(failed, `could not update Secret "${targetName}": ${describeKubeError(e)}`, true) };
        }
      }
      if (!holdsData(stored, rendered.data)) return { result: await fail(failed, `Secret "${targetName}" does not hold the merged keys after the update`, true) };
      const keys = Object.keys(rendered.data).sort();
      if (plan.changed) {
        const parts = [`wrote ${keyList(keys)} into Secret "${targetName}"`];
        if (plan.removed.length) parts.push(`removed ${keyList(plan.removed)}, no longer produced`);
        if (plan.drifted) parts.push('keyferry\'s keys had been changed outside keyferry and were restored');
        this.deps.events.record('ExternalSecret', es, 'Normal', 'SecretMerged', parts.join('; '));
        this.deps.logger.info({ namespace, externalSecret: name, secretName: targetName, keys, removed: plan.removed, drifted: plan.drifted }, 'merged keys into Secret');
      }
      return { message: `${keyList(keys)} merged into Secret "${targetName}"` };
    }
  }

  /** creationPolicy None: the data was fetched and rendered; check it would make a valid Secret, and write none. */
  private async checkOnly(es: ExternalSecretResource, rendered: RenderedSecret, remoteDataFailed: (message: string) => Promise<ReconcileResult>): Promise<{ result: ReconcileResult } | { message: string }> {
    const problems = secretProblems({ type: rendered.type, data: rendered.data, labels: rendered.labels, annotations: rendered.annotations });
    if (problems.length) return { result: await remoteDataFailed(`the Secret would be refused: ${problems.slice(0, 3).map((p) => p.message).join('; ')}`) };
    const count = Object.keys(rendered.data).length;
    return { message: `creationPolicy None: the remote data was read (${count} key${count === 1 ? '' : 's'}) and makes a valid Secret; no Secret is written` };
  }

  /**
   * deletionPolicy Merge (with creationPolicy Merge) and every remote secret is gone, as ESO:
   * keyferry's keys are removed from the target, which stays, with its other keys. A target
   * that is gone or no longer opted in is left alone.
   */
  private async mergedRemoteGone(
    es: ExternalSecretResource, targetName: string, missing: string[], untilRefreshMs: number,
    fail: (reason: string, message: string, retry: boolean | number) => Promise<ReconcileResult>,
  ): Promise<ReconcileResult> {
    const namespace = es.metadata!.namespace!;
    const name = es.metadata!.name!;
    const gone = `the remote secret is gone (${missing.map((k) => `"${k}"`).join(', ') || 'nothing found'})`;
    let removed: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const target = await this.readSecret(namespace, targetName);
      if (target === 'failed') return fail(Reasons.Stale, `${gone}, and Secret "${targetName}" could not be read to remove keyferry's keys`, true);
      if (!target || mergeTargetProblem(target, name, undefined)) break;
      const plan = planMerge(target, name, {}, this.deps.versionKey);
      if (!plan.changed) break;
      try {
        await this.deps.api.updateSecret({ ...target, data: plan.data, metadata: { ...target.metadata, annotations: plan.annotations } });
        removed = plan.removed;
        break;
      } catch (e) {
        const status = httpStatusOf(e);
        if (status === 409 && attempt < 3) continue;
        if (status === 403) return fail(Reasons.MergeForbidden, `${gone}, and Secret "${targetName}" cannot be updated to remove keyferry's keys (${describeKubeError(e)}); ${MERGE_RBAC_HINT}`, true);
        return fail(Reasons.Stale, `${gone}, and keyferry's keys could not be removed from Secret "${targetName}": ${describeKubeError(e)}`, true);
      }
    }
    const now = this.deps.clock.now();
    const message = `${gone}; deletionPolicy Merge removed keyferry's keys from Secret "${targetName}", which stays`;
    const status: ExternalSecretStatus = {
      ...(es.status ?? {}),
      conditions: [readyCondition(false, Reasons.SecretDeleted, message, findCondition(es.status?.conditions), new Date(now), es.metadata?.generation ?? 0)],
    };
    delete status.currentSecretName;
    delete status.expiresAt;
    await this.writeStatus(es, status, undefined);
    if (removed.length) this.deps.events.record('ExternalSecret', es, 'Normal', 'MergedKeysRemoved', `removed ${removed.map((k) => `"${k}"`).join(', ')} from Secret "${targetName}": the remote secret is gone (deletionPolicy Merge)`);
    this.deps.metrics.externalSecrets.setCondition(name, namespace, 'False', Reasons.SecretDeleted);
    return soonest(untilRefreshMs);
  }

  /** Merge or None, no fetch due: only the expiry conditions move with the clock. */
  private async idleInPlace(es: ExternalSecretResource, wait: ReconcileResult): Promise<ReconcileResult> {
    const status: ExternalSecretStatus = { ...(es.status ?? {}) };
    await this.writeStatus(es, status, undefined);
    const ready = findCondition(status.conditions);
    if (ready) this.deps.metrics.externalSecrets.setCondition(es.metadata!.name!, es.metadata!.namespace!, ready.status === 'True' ? 'True' : 'False', ready.reason ?? '');
    return soonest(wait.requeueAfter, this.timedWork(status, [], '', { retain: 0, minRetentionMs: 0 }, this.deps.clock.now()));
  }

  /** A Secret read by name with its data; undefined when it does not exist, 'failed' when the read failed. */
  private async readSecret(namespace: string, name: string): Promise<SecretObject | undefined | 'failed'> {
    try {
      return await this.deps.api.getSecret(namespace, name);
    } catch (e) {
      this.deps.logger.warn({ namespace, secretName: name, error: describeKubeError(e) }, 'could not read Secret');
      return 'failed';
    }
  }

  /**
   * Patches status when it differs (ignoring timestamps that only move with it), or when a
   * refreshTime is given. A Warning Event when the condition turns False or changes reason:
   * Events are for what a person should see, not for every retry of the same failure.
   */
  private async writeStatus(es: ExternalSecretResource, status: ExternalSecretStatus, refreshTime: string | undefined): Promise<void> {
    const key = `${es.metadata!.namespace}/${es.metadata!.name}`;
    // Expired / ExpiringSoon follow status.expiresAt and the clock, whichever path writes.
    status = { ...status, conditions: withExpiryConditions(status.conditions ?? [], status.expiresAt, this.deps.clock.now(), es.metadata?.generation) };
    const wanted = comparable(status);
    // A digest of what was written is enough to compare with, and 10 000 of them stay small
    // (cut as bytes: a slice of the encoded text would hold the whole text).
    const digest = createHash('sha256').update(wanted).digest().subarray(0, 16).toString('base64url');
    const unchanged = wanted === comparable(es.status) || digest === this.lastWritten.get(key);
    if (unchanged && refreshTime === undefined) return;
    const before = findCondition(es.status?.conditions);
    const after = findCondition(status.conditions)!;
    const body = { ...status, refreshTime: refreshTime ?? es.status?.refreshTime } as Record<string, unknown>;
    // A merge patch removes a field only when it is sent as null.
    for (const field of ['expiresAt', 'currentSecretName', 'refreshTime'] as const) if (body[field] === undefined) body[field] = null;
    await this.deps.api.patchStatus({ kind: 'ExternalSecret', namespace: es.metadata!.namespace!, name: es.metadata!.name! }, body);
    this.lastWritten.set(key, digest);
    // CreationPolicyNone is False by design (no Secret to be Ready on), not a failure: no Warning.
    if (after.status === 'False' && after.reason !== Reasons.CreationPolicyNone && (before?.reason !== after.reason || before?.status !== after.status)) {
      this.deps.events.record('ExternalSecret', es, 'Warning', after.reason ?? 'SyncFailed', after.message ?? '');
    }
  }
}
