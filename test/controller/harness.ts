// A Controller over fakes: caches you can set, an API that records calls and applies
// status patches back into the caches, a hand-driven clock.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Controller } from '../../src/controller/controller.js';
import type { ControllerLogger } from '../../src/controller/external-secret-reconciler.js';
import { DirectFetcher } from '../../src/fetch/direct-fetcher.js';
import type { RemoteFetcher } from '../../src/fetch/remote-fetcher.js';
import type { Shard } from '../../src/controller/shard.js';
import type { KubeObject, SecretObject } from '../../src/kube/kube-object.js';
import { OperatorMetrics } from '../../src/metrics/operator-metrics.js';
import { fakeProvider } from '../../providers/fake/index.js';
import type { Provider, ProviderName } from '../../providers/contract/index.js';
import { FakeTimers } from '../queue/fake-timers.js';
import { FakeClusterApi, FakeCredentialSecrets, FakeExternalSecretWriter, FakeInformer } from './fakes.js';
import { REFERENCING_KINDS, type ReferencingKindName, type ReferencingObject } from '../../src/workloads/referencing-kinds.js';
import type { DebounceOptions } from '../../src/workloads/debouncer.js';

export const API = 'keyferry.io/v1alpha1';

export interface HarnessOptions {
  fetcher?: RemoteFetcher;
  shard?: Shard;
  /** The version key; a fixed test key by default. */
  versionKey?: Buffer;
  /** Debounce of rollouts and publishing (the controller's default otherwise). */
  rolloutDebounce?: DebounceOptions;
  /** The controller's logger; silent by default. */
  logger?: ControllerLogger;
  /** The providers; the `fake` provider by default. */
  providers?: Partial<Record<ProviderName, Provider>>;
}

export const TEST_VERSION_KEY = Buffer.alloc(32, 7);

/** Takes every key a queue holds now, marking each done; returns them in the order taken. */
export async function drainQueue(queue: { length: number; get(): Promise<string | undefined>; done(key: string): void }): Promise<string[]> {
  const keys: string[] = [];
  while (queue.length) {
    const key = (await queue.get())!;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

export function createHarness(options: HarnessOptions = {}) {
  const timers = new FakeTimers();
  timers.advance(1_800_000_000_000);
  // The wall clock is the timers' clock plus this step, which `stepWallClock` moves; timers
  // and the monotonic clock keep real (fake) time, as when a node's clock is stepped.
  let wallStepMs = 0;
  const wallNow = () => timers.now() + wallStepMs;
  const caches = {
    externalSecrets: new FakeInformer<KubeObject>(),
    secretStores: new FakeInformer<KubeObject>(),
    clusterSecretStores: new FakeInformer<KubeObject>(),
    managedSecrets: new FakeInformer<SecretObject>(),
    credentialSecrets: new FakeCredentialSecrets(),
    namespaces: new FakeInformer<KubeObject>(),
    clusterExternalSecrets: new FakeInformer<KubeObject>(),
    /** Pods, workloads and ControllerRevisions as the referencing informers cache them (workloads/referencing-kinds.ts). */
    referencing: Object.fromEntries(Object.keys(REFERENCING_KINDS).map((k) => [k, new FakeInformer<ReferencingObject>()])) as Record<ReferencingKindName, FakeInformer<ReferencingObject>>,
  };
  const api = new FakeClusterApi((ref, status) => {
    const cache = { ExternalSecret: caches.externalSecrets, SecretStore: caches.secretStores, ClusterSecretStore: caches.clusterSecretStores, ClusterExternalSecret: caches.clusterExternalSecrets }[ref.kind];
    const obj = cache.get(ref.name, ref.namespace);
    if (!obj) return;
    const merged = { ...((obj as { status?: Record<string, unknown> }).status ?? {}), ...status };
    for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
    cache.set({ ...obj, status: structuredClone(merged) } as KubeObject);
  }, wallNow);
  const externalSecretWriter = new FakeExternalSecretWriter(caches.externalSecrets);
  const registry = new Registry();
  const metrics = new OperatorMetrics(registry);
  const controller = new Controller({
    caches, api, providers: options.providers ?? { fake: fakeProvider as Provider }, fetcher: options.fetcher ?? new DirectFetcher(), metrics,
    clock: { now: wallNow }, logger: options.logger ?? pino({ level: 'silent' }), concurrency: 1, timers, shard: options.shard, rolloutDebounce: options.rolloutDebounce,
    versionKey: options.versionKey ?? TEST_VERSION_KEY, externalSecretWriter,
  });
  let uid = 0;
  let generation = 0;
  const h = {
    timers, caches, api, controller, metrics, registry, externalSecretWriter,
    /** The wall clock the controller writes status with. */
    wallNow,
    /** Steps the wall clock by `ms` (negative: back); timers are not moved. */
    stepWallClock(ms: number) {
      wallStepMs += ms;
    },
    store(name: string, ns: string, data: Array<{ key: string; value: string; version?: string }>, extra: Record<string, unknown> = {}) {
      caches.secretStores.set({ apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: ns, generation: ++generation, uid: `s${++uid}` }, spec: { provider: { fake: { data } }, ...extra } } as KubeObject);
    },
    es(name: string, ns: string, spec: Record<string, unknown>) {
      const old = caches.externalSecrets.get(name, ns) as { status?: unknown; metadata?: { uid?: string } } | undefined;
      caches.externalSecrets.set({ apiVersion: API, kind: 'ExternalSecret', metadata: { name, namespace: ns, generation: ++generation, uid: old?.metadata?.uid ?? `e${++uid}` }, spec, status: old?.status } as KubeObject);
    },
    get(name: string, ns: string) {
      return caches.externalSecrets.get(name, ns) as KubeObject & { status?: { conditions?: Array<{ status: string; reason: string; message: string }>; currentSecretName?: string; versions?: Array<{ name: string }> } };
    },
    ready(name: string, ns: string) {
      return h.get(name, ns)?.status?.conditions?.find((c) => (c as { type?: string }).type === 'Ready');
    },
    /** Mirrors created/deleted Secrets into the managed cache, as the informer would. */
    syncManaged() {
      for (const s of caches.managedSecrets.list()) if (!api.secrets.has(`${s.metadata!.namespace}/${s.metadata!.name}`)) caches.managedSecrets.remove(`${s.metadata!.namespace}/${s.metadata!.name}`);
      for (const s of api.secrets.values()) caches.managedSecrets.set(s);
    },
    async reconcileStore(key: string) {
      return controller.storeReconciler.reconcile(key);
    },
    async reconcile(key: string) {
      const result = await controller.externalSecrets.reconcile(key);
      h.syncManaged();
      return result;
    },
    /** How often each ExternalSecret key has been reconciled since `countReconciles` was called. */
    countReconciles(): Map<string, number> {
      const counts = new Map<string, number>();
      const reconciler = controller.externalSecrets;
      const original = reconciler.reconcile.bind(reconciler);
      reconciler.reconcile = (key: string, ...rest: unknown[]) => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return (original as (key: string, ...r: unknown[]) => ReturnType<typeof original>)(key, ...rest);
      };
      return counts;
    },
    /** Lets the running workers finish what the last clock step released, then mirrors Secrets into the cache. */
    async settle() {
      for (let i = 0; i < 12; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      h.syncManaged();
      for (let i = 0; i < 12; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    },
    /** Runs the started controller for `ms` of fake time, in steps. */
    async runFor(ms: number, stepMs = 250) {
      for (let t = 0; t < ms; t += stepMs) {
        timers.advance(stepMs);
        await h.settle();
      }
    },
    /** Runs until `done()` holds or `ms` of fake time passed; returns the fake time it took. */
    async runUntil(done: () => boolean, ms: number, stepMs = 250): Promise<number> {
      const start = timers.now();
      while (!done() && timers.now() - start < ms) {
        timers.advance(stepMs);
        await h.settle();
      }
      return timers.now() - start;
    },
  };
  return h;
}
