// The Kubernetes API semantics on top of the object store, independent of HTTP: create,
// get, list, update (incl. status subresource), patch, delete with finalizers and
// owner-reference cascading, deleteCollection. The HTTP server and the in-process
// `DevCluster.apply()` both call this.
import { randomUUID } from 'node:crypto';
import {
  ApiError, alreadyExists, badRequest, conflict, fieldForbidden, forbidden, invalid, notFound, resourceVersionOnCreate,
} from './api-error.js';
import type { FieldError, KubeObject } from './resource-type.js';
import type { Entry, ObjectStore } from './object-store.js';
import type { ResourceRegistry, ServedResource } from './registry.js';
import { deepEqual, meta, nameSuffix, specChanged, timestamp, type Meta } from './object-meta.js';
import { dedupOwnerReferences, validateObjectMeta } from './validation/object-meta.js';
import { subdomainName } from './validation/name-rules.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { matchAll, type Matcher } from './selectors/index.js';
import { copyOut } from './views.js';
import { applyBuiltinDefaults, prepareBuiltin } from './builtin-defaults.js';
import { fieldTypesOf } from './fields/field-types.js';
import { applyConfiguration, managedAfterUpdate, type Writer } from './fields/managed-fields.js';
import type { Scope } from './fields/object-fields.js';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface WriteOptions {
  /** `status` to write through the status subresource. */
  subresource?: string;
  dryRun?: boolean;
  /** The field manager of the write (default `unknown`, as for a client that names none). */
  manager?: string;
  /** managedFields already worked out (server-side apply); otherwise the write is an Update of `manager`. */
  managedFields?: unknown;
}

export interface ApplyOptions {
  manager: string;
  force?: boolean;
  subresource?: string;
  dryRun?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface ListOptions {
  matcher?: Matcher;
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  entries: Entry[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

/** Per-resource extension points (CRDs, namespaces). */
export interface ResourceHooks {
  /** Runs before a create or update is committed; may modify `obj` or throw an ApiError. */
  beforeCommit?(obj: KubeObject, old: KubeObject | undefined): void;
  afterCommit?(entry: Entry, old: Entry | undefined): void;
  afterRemove?(entry: Entry): void;
}

export const PATCH_TYPES = [
  'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml',
] as const;
export const APPLY_PATCH = 'application/apply-patch+yaml';
/** The patch formats of `patch()`; an applied configuration goes to `apply()`. */
export type PatchType = Exclude<(typeof PATCH_TYPES)[number], 'application/apply-patch+yaml'>;

const NS_KEY = '/namespaces';
const PODS_KEY = '/pods';
const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export class ApiCore {
  private readonly hooks = new Map<string, ResourceHooks>();

  constructor(
    readonly store: ObjectStore,
    readonly registry: ResourceRegistry,
    private readonly now: () => Date = () => new Date(),
  ) {}

  setHooks(storageKey: string, hooks: ResourceHooks): void {
    this.hooks.set(storageKey, hooks);
  }

  // ---- reads ----

  get(r: ServedResource, namespace: string, name: string): Entry {
    const e = this.store.get(r.storageKey, nsOf(r, namespace), name);
    if (!e) throw notFound(r.type, name);
    return e;
  }

  list(r: ServedResource, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const matcher = opts.matcher ?? matchAll;
    const rv = String(this.store.resourceVersion);
    const ns = r.type.namespaced ? namespace : undefined;
    if (!opts.limit && !opts.continueToken) {
      const entries: Entry[] = [];
      for (const e of this.store.entries(r.storageKey, ns)) if (matcher === matchAll || matcher(e.obj)) entries.push(e);
      return { entries, resourceVersion: rv };
    }
    // Paged: objects in key order (namespace/name), continuing after the last key served.
    // Pages reflect the current state, not a snapshot at the first page's resourceVersion.
    let after = '';
    if (opts.continueToken) {
      try {
        after = (JSON.parse(Buffer.from(opts.continueToken, 'base64').toString()) as { start: string }).start;
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data at input byte 0');
      }
    }
    const all: { key: string; e: Entry }[] = [];
    for (const e of this.store.entries(r.storageKey, ns)) {
      const key = `${e.obj.metadata?.namespace ?? ''}/${e.obj.metadata?.name}`;
      if (key > after && (matcher === matchAll || matcher(e.obj))) all.push({ key, e });
    }
    all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : all.length;
    const page = all.slice(0, limit);
    const res: ListResult = { entries: page.map((p) => p.e), resourceVersion: rv };
    if (all.length > limit) {
      res.continueToken = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start: page[page.length - 1].key })).toString('base64');
      res.remainingItemCount = all.length - limit;
    }
    return res;
  }

  // ---- writes ----

  create(r: ServedResource, namespace: string | undefined, body: KubeObject, opts: WriteOptions = {}): Entry {
    if (r.virtual) throw badRequest(`${r.type.plural} are not stored`);
    let obj = this.checkTypeMeta(r, body);
    const m = meta(obj);
    const ns = this.checkNamespace(r, namespace, m);
    r.type.checkEncoding?.(obj);
    // As kube-apiserver: a missing namespace (admission) before validation, validation before AlreadyExists (storage).
    if (ns) this.requireNamespaceForCreate(ns);
    if (!m.name && m.generateName) m.name = `${m.generateName}${nameSuffix()}`;
    const carriedVersion = m.resourceVersion;
    if (r.toStorage) obj = r.toStorage(obj);
    const sm = meta(obj);

    sm.uid = randomUUID();
    sm.creationTimestamp = timestamp(this.now());
    if (r.type.generation === false) delete sm.generation; else sm.generation = 1;
    delete sm.resourceVersion;
    delete sm.deletionTimestamp;
    delete sm.deletionGracePeriodSeconds;
    delete sm.managedFields;
    if (ns) sm.namespace = ns; else delete sm.namespace;
    if (r.type.subresources.includes('status')) delete obj.status;
    dedupOwnerReferences(sm);
    dropEmptyMetadata(sm);
    applyBuiltinDefaults(r.storageKey, obj);
    this.defaultAndValidate(r, obj, undefined);
    this.recordManagers(r, obj, undefined, undefined, opts);
    prepareBuiltin(r.storageKey, obj, undefined);
    // Checked by storage, after validation and before the name; a dry run never reaches it.
    if (!opts.dryRun && typeof carriedVersion === 'string' && /^\d+$/.test(carriedVersion) && Number(carriedVersion) !== 0) throw resourceVersionOnCreate();
    if (this.store.get(r.storageKey, ns, sm.name!)) throw alreadyExists(r.type, sm.name!);
    this.hooks.get(r.storageKey)?.beforeCommit?.(obj, undefined);
    if (opts.dryRun) return { obj, json: JSON.stringify(obj), rv: this.store.resourceVersion };
    const entry = this.store.put(r.storageKey, obj);
    this.hooks.get(r.storageKey)?.afterCommit?.(entry, undefined);
    return entry;
  }

  /** PUT: replaces the object (or only its status, with `subresource: 'status'`). */
  update(r: ServedResource, namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): Entry {
    const ns = nsOf(r, namespace ?? '');
    const oldEntry = this.store.get(r.storageKey, ns, name);
    if (!oldEntry) throw notFound(r.type, name);
    let obj = this.checkTypeMeta(r, body);
    const m = meta(obj);
    if (m.name !== undefined && m.name !== name) throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
    if (r.type.namespaced && m.namespace !== undefined && m.namespace !== '' && m.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (m.resourceVersion !== undefined && m.resourceVersion !== '' && m.resourceVersion !== oldEntry.obj.metadata?.resourceVersion) {
      throw conflict(r.type, name);
    }
    if (r.toStorage) obj = r.toStorage(obj);
    const old = oldEntry.obj;
    const oldMeta = old.metadata as Meta;
    const hasStatus = r.type.subresources.includes('status');
    if (opts.subresource === 'status') {
      // The status endpoint changes status only.
      obj = { ...old, status: obj.status, metadata: { ...oldMeta } };
    } else if (opts.subresource) {
      throw badRequest(`subresource ${opts.subresource} does not support update`);
    } else if (hasStatus) {
      // The main endpoint ignores status changes.
      if (old.status === undefined) delete obj.status; else obj.status = old.status;
    }
    const nm = meta(obj);
    nm.name = name;
    if (ns) nm.namespace = ns; else delete nm.namespace;
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      if (oldMeta[k] === undefined) delete nm[k]; else nm[k] = oldMeta[k] as never;
    }
    const sentManagedFields = nm.managedFields;
    delete nm.managedFields;
    delete nm.resourceVersion;
    if (oldMeta.deletionTimestamp) {
      const before = new Set(oldMeta.finalizers ?? []);
      const added = (nm.finalizers ?? []).filter((f) => !before.has(f));
      if (added.length) {
        // Go's %#v of a []string.
        const shown = `[]string{${added.map((f) => JSON.stringify(f)).join(', ')}}`;
        throw invalid(r.type.group, r.type.kind, name, [fieldForbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${shown}`)]);
      }
    }
    r.type.checkEncoding?.(obj);
    dedupOwnerReferences(nm);
    dropEmptyMetadata(nm);
    applyBuiltinDefaults(r.storageKey, obj);
    this.defaultAndValidate(r, obj, old);
    this.recordManagers(r, obj, old, sentManagedFields, opts);
    prepareBuiltin(r.storageKey, obj, old);
    if (r.type.generation !== false && specChanged(old, obj, hasStatus)) nm.generation = (Number(oldMeta.generation) || 0) + 1;
    this.hooks.get(r.storageKey)?.beforeCommit?.(obj, old);

    // A no-op update is not a write: no new resourceVersion, no event.
    nm.resourceVersion = oldMeta.resourceVersion;
    if (deepEqual(obj, old)) return oldEntry;
    delete nm.resourceVersion;
    if (opts.dryRun) return { obj, json: JSON.stringify(obj), rv: this.store.resourceVersion };

    if (nm.deletionTimestamp && (nm.finalizers ?? []).length === 0) {
      // The last finalizer is gone: the deletion completes now.
      return this.removeNow(r, ns, name, obj, 'Background');
    }
    const entry = this.store.put(r.storageKey, obj);
    this.hooks.get(r.storageKey)?.afterCommit?.(entry, oldEntry);
    return entry;
  }

  patch(r: ServedResource, namespace: string | undefined, name: string, type: PatchType, patchBody: unknown, opts: WriteOptions = {}): Entry {
    const ns = nsOf(r, namespace ?? '');
    const current = this.store.get(r.storageKey, ns, name);
    if (!current) throw notFound(r.type, name);
    const base = copyOut(r, current);
    let patched: unknown;
    if (type === 'application/json-patch+json') patched = jsonPatch(base, patchBody);
    else {
      if (typeof patchBody !== 'object' || patchBody === null || Array.isArray(patchBody)) {
        throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      }
      patched = type === 'application/merge-patch+json' ? mergePatch(base, patchBody) : strategicMergePatch(base, patchBody);
    }
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw badRequest('patch did not result in an object');
    const obj = patched as KubeObject;
    // Without a resourceVersion in the patch, a patch applies to the current object (no conflict).
    const m = meta(obj);
    if (m.resourceVersion === undefined || m.resourceVersion === null) m.resourceVersion = current.obj.metadata?.resourceVersion as string;
    return this.update(r, ns, name, obj, opts);
  }

  /** Server-side apply (PATCH with application/apply-patch+yaml): creates the object when it does not exist. */
  apply(r: ServedResource, namespace: string | undefined, name: string, config: unknown, opts: ApplyOptions): { entry: Entry; created: boolean } {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw badRequest('error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type map[string]interface {}');
    }
    const body = config as KubeObject;
    if (body.apiVersion !== r.apiVersion || body.kind !== r.type.kind) {
      const [g, v] = typeof body.apiVersion === 'string' && body.apiVersion.includes('/') ? body.apiVersion.split('/', 2) : ['', String(body.apiVersion ?? '')];
      throw badRequest(`invalid object type: ${g}/${v}, Kind=${String(body.kind ?? '')}`);
    }
    const m = (body.metadata ?? {}) as Meta;
    if (!m.name) throw badRequest(`the name of the object (${name} based on URL) was undeterminable: name must be provided`);
    if (m.name !== name) throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
    const ns = nsOf(r, namespace ?? '');
    if (r.type.namespaced && m.namespace && m.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const { managedFields: _ignored, resourceVersion: _rv, ...configMeta } = m;
    const current = this.store.get(r.storageKey, ns, name);
    const live = current ? copyOut(r, current) : undefined;
    const scope = scopeOf(r, opts.subresource);
    const { object } = applyConfiguration(live, { ...body, metadata: configMeta }, this.writer(r, opts), opts.force === true, fieldTypesOf(r.type), scope);
    const managedFields = object.metadata?.managedFields ?? [];
    const write = { subresource: opts.subresource, dryRun: opts.dryRun, manager: opts.manager, managedFields };
    if (!current) {
      if (opts.subresource) throw notFound(r.type, name);
      return { entry: this.create(r, ns, object, write), created: true };
    }
    return { entry: this.update(r, ns, name, { ...object, metadata: { ...object.metadata, resourceVersion: current.obj.metadata?.resourceVersion } }, write), created: false };
  }

  delete(r: ServedResource, namespace: string | undefined, name: string, opts: DeleteOptions = {}): { entry: Entry; removed: boolean } {
    const ns = nsOf(r, namespace ?? '');
    const cur = this.store.get(r.storageKey, ns, name);
    if (!cur) throw notFound(r.type, name);
    const cm = cur.obj.metadata as Meta;
    if (opts.preconditions?.uid && opts.preconditions.uid !== cm.uid) {
      throw conflict(r.type, name, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${cm.uid}`);
    }
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== cm.resourceVersion) {
      throw conflict(r.type, name, `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${cm.resourceVersion}`);
    }
    const isNamespace = r.storageKey === NS_KEY;
    if (isNamespace && PROTECTED_NAMESPACES.has(name)) throw forbidden(r.type, name, 'this namespace may not be deleted');
    if (opts.dryRun) return { entry: cur, removed: false };
    const policy = opts.propagationPolicy ?? 'Background';
    if ((policy === 'Foreground' || policy === 'Orphan') && !isNamespace) {
      // The API server marks the owner (deletionTimestamp and the garbage collector's finalizer) and
      // answers with it; the garbage collector then does its part, here at once: Foreground deletes
      // the dependents and waits for those that block it, Orphan takes the references off them.
      if (cm.deletionTimestamp) return { entry: cur, removed: false };
      const gc = policy === 'Foreground' ? FOREGROUND : ORPHAN;
      const finalizers = [...(cm.finalizers ?? []).filter((f) => f !== FOREGROUND && f !== ORPHAN), gc];
      const entry = this.store.put(r.storageKey, { ...cur.obj, metadata: { ...cm, deletionTimestamp: timestamp(this.now()), deletionGracePeriodSeconds: 0, finalizers } });
      if (policy === 'Orphan') this.finishOrphaning(cm.uid!);
      else { this.cascade(cm.uid!); this.maybeFinishForeground(cm.uid!); }
      return { entry, removed: false };
    }
    if ((cm.finalizers ?? []).length > 0 || isNamespace) {
      if (cm.deletionTimestamp) return { entry: cur, removed: false };
      const obj: KubeObject = { ...cur.obj, metadata: { ...cm, deletionTimestamp: timestamp(this.now()), deletionGracePeriodSeconds: 0 } };
      if (isNamespace) obj.status = { ...(obj.status as object), phase: 'Terminating' };
      const entry = this.store.put(r.storageKey, obj);
      if (isNamespace) return this.terminateNamespace(name) ?? { entry, removed: false };
      return { entry, removed: false };
    }
    // A Pod is last seen with its deletion stamped on it (no kubelet waits out a grace period here).
    const final = r.storageKey === PODS_KEY
      ? { ...cur.obj, metadata: { ...cm, deletionTimestamp: timestamp(this.now()), deletionGracePeriodSeconds: 0, generation: (Number(cm.generation) || 0) + 1 } }
      : cur.obj;
    return { entry: this.removeNow(r, ns, name, final, policy), removed: true };
  }

  /** Deletes every match; returns them as they were before (what the API server answers with). */
  deleteCollection(r: ServedResource, namespace: string | undefined, matcher: Matcher, opts: DeleteOptions = {}): Entry[] {
    const ns = r.type.namespaced ? namespace : undefined;
    const victims = [...this.store.entries(r.storageKey, ns)].filter((e) => matcher(e.obj));
    const out: Entry[] = [];
    for (const e of victims) {
      try {
        this.delete(r, e.obj.metadata?.namespace ?? '', e.obj.metadata!.name!, opts);
        out.push(e);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return out;
  }

  // ---- internals ----

  private writer(r: ServedResource, opts: { manager?: string; subresource?: string }): Writer {
    return { manager: opts.manager || 'unknown', apiVersion: r.apiVersion, subresource: opts.subresource, time: timestamp(this.now()) };
  }

  /** Sets metadata.managedFields for a create (old undefined) or an update by `opts.manager`. */
  private recordManagers(r: ServedResource, obj: KubeObject, old: KubeObject | undefined, sent: unknown, opts: WriteOptions): void {
    const m = meta(obj);
    let managed: unknown = opts.managedFields;
    if (managed === undefined) {
      // What a client sends is the starting point; nothing (or nothing usable) keeps the stored list; `[{}]` resets it.
      const reset = Array.isArray(sent) && sent.length === 1 && typeof sent[0] === 'object' && sent[0] !== null && Object.keys(sent[0]).length === 0;
      const base = reset ? [] : Array.isArray(sent) && sent.length ? sent : old?.metadata?.managedFields;
      managed = managedAfterUpdate(base, old, obj, this.writer(r, opts), fieldTypesOf(r.type), scopeOf(r, opts.subresource));
    }
    if (Array.isArray(managed) && managed.length) m.managedFields = managed; else delete m.managedFields;
  }

  private removeNow(r: ServedResource, ns: string, name: string, finalObj: KubeObject, policy: PropagationPolicy): Entry {
    const uid = finalObj.metadata?.uid as string;
    const entry = this.store.remove(r.storageKey, ns, name, { ...finalObj, metadata: { ...finalObj.metadata } })!;
    this.hooks.get(r.storageKey)?.afterRemove?.(entry);
    if (policy === 'Orphan') this.orphanDependents(uid);
    else this.cascade(uid);
    for (const o of (finalObj.metadata as Meta).ownerReferences ?? []) this.maybeFinishForeground(o.uid);
    if (ns) this.maybeFinishNamespace(ns);
    return entry;
  }

  /** Dependents that hold up a foreground deletion of `uid` (their reference has blockOwnerDeletion). */
  private blockingDependents(uid: string) {
    return this.store.dependentsOf(uid).filter((ref) => {
      const e = this.store.get(ref.storageKey, ref.namespace, ref.name);
      return e && ((e.obj.metadata as Meta).ownerReferences ?? []).some((o) => o.uid === uid && o.blockOwnerDeletion === true);
    });
  }

  /** Completes a foreground deletion once no blocking dependent is left. */
  private maybeFinishForeground(ownerUid: string): void {
    const owner = this.store.getByUid(ownerUid);
    if (!owner) return;
    const m = owner.entry.obj.metadata as Meta;
    if (!m.deletionTimestamp || !(m.finalizers ?? []).includes(FOREGROUND) || this.blockingDependents(ownerUid).length > 0) return;
    const finalizers = (m.finalizers ?? []).filter((f) => f !== FOREGROUND);
    const obj: KubeObject = { ...owner.entry.obj, metadata: { ...m, finalizers } };
    if (finalizers.length === 0) delete (obj.metadata as Meta).finalizers;
    const r = this.anyServed(owner.storageKey);
    if (finalizers.length === 0 && r) this.removeNow(r, owner.namespace, owner.name, obj, 'Background');
    else this.store.put(owner.storageKey, obj);
  }

  /** Background cascading deletion: dependents whose owners are all gone are deleted. */
  private cascade(ownerUid: string): void {
    for (const ref of this.store.dependentsOf(ownerUid)) {
      const e = this.store.get(ref.storageKey, ref.namespace, ref.name);
      if (!e) continue;
      const owners = (e.obj.metadata as Meta).ownerReferences ?? [];
      const alive = owners.some((o) => o.uid !== ownerUid && this.store.getByUid(o.uid) !== undefined);
      if (alive) continue;
      const dr = this.anyServed(ref.storageKey);
      if (!dr) continue;
      try { this.delete(dr, ref.namespace, ref.name, { propagationPolicy: 'Background' }); } catch { /* already gone */ }
    }
  }

  /** Takes the owner's references off its dependents, then its `orphan` finalizer (completing the deletion when it was the last). */
  private finishOrphaning(ownerUid: string): void {
    this.orphanDependents(ownerUid);
    const owner = this.store.getByUid(ownerUid);
    if (!owner) return;
    const m = owner.entry.obj.metadata as Meta;
    const finalizers = (m.finalizers ?? []).filter((f) => f !== ORPHAN);
    const obj: KubeObject = { ...owner.entry.obj, metadata: { ...m, finalizers } };
    if (finalizers.length === 0) delete (obj.metadata as Meta).finalizers;
    const r = this.anyServed(owner.storageKey);
    if (finalizers.length === 0 && r) this.removeNow(r, owner.namespace, owner.name, obj, 'Orphan');
    else this.store.put(owner.storageKey, obj);
  }

  private orphanDependents(ownerUid: string): void {
    for (const ref of this.store.dependentsOf(ownerUid)) {
      const e = this.store.get(ref.storageKey, ref.namespace, ref.name);
      if (!e) continue;
      const m = e.obj.metadata as Meta;
      const refs = (m.ownerReferences ?? []).filter((o) => o.uid !== ownerUid);
      const nm: Meta = { ...m };
      if (refs.length) nm.ownerReferences = refs; else delete nm.ownerReferences;
      this.store.put(ref.storageKey, { ...e.obj, metadata: nm });
    }
  }

  private anyServed(storageKey: string): ServedResource | undefined {
    return this.registry.all().find((r) => r.storageKey === storageKey && !r.toExternal);
  }

  private terminateNamespace(ns: string): { entry: Entry; removed: boolean } | undefined {
    for (const r of this.registry.all()) {
      if (!r.type.namespaced || r.virtual || r.toExternal) continue;
      for (const e of [...this.store.entries(r.storageKey, ns)]) {
        try { this.delete(r, ns, e.obj.metadata!.name!, { propagationPolicy: 'Background' }); } catch { /* gone */ }
      }
    }
    return this.maybeFinishNamespace(ns);
  }

  private maybeFinishNamespace(ns: string): { entry: Entry; removed: boolean } | undefined {
    const nsEntry = this.store.get(NS_KEY, '', ns);
    if (!nsEntry || !nsEntry.obj.metadata?.deletionTimestamp) return undefined;
    if (this.store.countInNamespace(ns) > 0) return undefined;
    if (((nsEntry.obj.metadata as Meta).finalizers ?? []).length > 0) return undefined;
    const entry = this.store.remove(NS_KEY, '', ns)!;
    return { entry, removed: true };
  }

  private checkTypeMeta(r: ServedResource, body: KubeObject): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body of the request is not a JSON object');
    if (body.apiVersion !== undefined && body.apiVersion !== r.apiVersion) {
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${r.apiVersion})`);
    }
    if (body.kind !== undefined && body.kind !== r.type.kind) {
      throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${r.type.kind})`);
    }
    if (body.metadata !== undefined && (typeof body.metadata !== 'object' || body.metadata === null || Array.isArray(body.metadata))) {
      throw badRequest('metadata must be an object');
    }
    const { apiVersion: _a, kind: _k, ...rest } = body;
    return { apiVersion: r.apiVersion, kind: r.type.kind, ...rest };
  }

  private checkNamespace(r: ServedResource, namespace: string | undefined, m: Meta): string {
    if (!r.type.namespaced) return '';
    const ns = namespace || m.namespace || '';
    if (namespace && m.namespace && m.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (!ns) throw badRequest('an empty namespace may not be set during creation');
    return ns;
  }

  private requireNamespaceForCreate(ns: string): void {
    const e = this.store.get(NS_KEY, '', ns);
    if (!e) throw notFound({ group: '', plural: 'namespaces' }, ns);
    if (e.obj.metadata?.deletionTimestamp) {
      throw forbidden({ group: '', plural: 'namespaces' }, ns, `unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  private validateOrThrow(r: ServedResource, obj: KubeObject, errors: FieldError[]): void {
    if (errors.length) throw invalid(r.type.group, r.type.kind, String(obj.metadata?.name ?? ''), errors);
  }

  private defaultAndValidate(r: ServedResource, obj: KubeObject, old: KubeObject | undefined): void {
    r.type.applyDefaults?.(obj);
    const metaErrors = validateObjectMeta(meta(obj), { name: r.type.nameRule ?? subdomainName, kubeFinalizers: r.type.builtin === true });
    const errors = r.type.validate ? r.type.validate(obj, old, metaErrors) : metaErrors;
    this.validateOrThrow(r, obj, errors);
  }
}

/** ObjectMeta omits empty maps and lists: `labels: {}` is stored as no labels. */
function dropEmptyMetadata(m: Meta): void {
  for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
    const v = m[k] as unknown;
    if (v === null || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v as object).length === 0)) delete m[k];
  }
}

/** Which fields a write through `subresource` may change, for field ownership. */
function scopeOf(r: ServedResource, subresource: string | undefined): Scope {
  if (!r.type.subresources.includes('status')) return 'all';
  return subresource === 'status' ? 'status' : 'main';
}

function nsOf(r: ServedResource, namespace: string): string {
  return r.type.namespaced ? namespace : '';
}
