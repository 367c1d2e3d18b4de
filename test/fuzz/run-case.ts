// Drives one fuzz case through the controller as a unit: fake clock, fake API, the fake
// provider holding the generated remote values. Specs go through the CRD validator first,
// as an API server would take them (refused ones are counted, defaults applied). Returns
// the property violations it saw and what was written, for the API-server oracle.
import { sharedTemplateEngine } from '../../src/templates/go-template-engine.js';
import fc from 'fast-check';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { EXTERNAL_SECRET_REASONS, STORE_REASONS, parseDuration, isDuration } from '../../src/api/index.js';
import { externalSecretNameOf, targetNameOf } from '../../src/versioning/index.js';
import type { KubeObject, SecretObject } from '../../src/kube/kube-object.js';
import type { CrdValidator } from '../api/crd-validator.js';
import { createHarness } from '../controller/harness.js';
import {
  NAMESPACE, OTHER_NAMESPACE, externalSecretSpec, mutate, mutations, plain, remoteValues, storeConditions, storeExtras, type Mutation, type RemoteValues,
} from './arbitraries.js';

const API = 'keyferry.io/v1alpha1';
const MINUTE = 60_000;
/** Simulated time per phase (spec applied; remote values changed; a version deleted behind keyferry's back). */
export const PHASE_MS = 2 * MINUTE;
/** Backoff of failed keys in the controller: 1 s doubling to 5 min. */
const BACKOFF_MAX_MS = 300_000;

const externalSecretName = fc.constantFrom('app', 'app2', 'app3', `long-${'e'.repeat(200)}`);

export const fuzzCase = fc.record({
  values: remoteValues,
  rotated: remoteValues,
  rotation: fc.constantFrom('same', 'rotated', 'gone', 'rotated'),
  externalSecrets: fc.uniqueArray(fc.record({
    name: externalSecretName,
    namespace: fc.constantFrom(NAMESPACE, NAMESPACE, OTHER_NAMESPACE),
    spec: externalSecretSpec,
    mutations,
  }), { minLength: 1, maxLength: 3, selector: (e) => `${e.namespace}/${e.name}` }),
  storeExtras,
  storeMutations: fc.oneof({ weight: 5, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 1, arbitrary: mutations }),
  conditions: storeConditions,
  deleteCurrent: fc.boolean(),
  /** Objects stored before a CEL rule existed: admitted when only CEL rules refuse them. */
  legacy: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});
export type FuzzCase = typeof fuzzCase extends fc.Arbitrary<infer T> ? T : never;

export interface CaseResult {
  violations: string[];
  /** Specs the CRD refused (never reach the reconciler), and those it took. */
  refused: number;
  accepted: number;
  reconciles: number;
  /** Ready reasons seen at the end of each phase. */
  reasons: string[];
  /** Secrets the controller created. */
  written: SecretObject[];
}

const celCache = new WeakMap<CrdValidator, string[]>();
/** The messages of a CRD's CEL rules: an object refused only by these passed the structural schema. */
function celMessages(validator: CrdValidator): string[] {
  let messages = celCache.get(validator);
  if (!messages) {
    messages = [];
    const walk = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      for (const r of ((node as { 'x-kubernetes-validations'?: Array<{ message?: string }> })['x-kubernetes-validations'] ?? [])) if (r.message) messages!.push(r.message);
      for (const v of Object.values(node)) walk(v);
    };
    walk(validator.schema);
    celCache.set(validator, messages);
  }
  return messages;
}

const flush = async () => {
  for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  // Templates beyond plain placeholders render in the engine's worker thread, in real time.
  // A rewrite transform renders key after key, each asked once the one before has finished:
  // wait until a turn of the event loop asks for no further render.
  const engine = sharedTemplateEngine();
  for (let round = 0; round < 1000; round++) {
    const asked = engine.rendersAsked;
    await engine.idle();
    for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    if (engine.rendersAsked === asked) break;
  }
};

/** The most reconciles a key may see in `ms` with nothing changing: its interval, plus backoff, plus the wake-ups a change causes. */
export function reconcileBound(ms: number, refreshInterval: string | undefined): number {
  const text = refreshInterval ?? '1h';
  const interval = isDuration(text) ? parseDuration(text) : 0;
  const periodic = interval >= 1000 ? Math.ceil(ms / interval) : 0;
  const backoff = Math.ceil(Math.log2(Math.min(ms, BACKOFF_MAX_MS) / 1000)) + Math.ceil(ms / BACKOFF_MAX_MS);
  return 6 + periodic + backoff;
}

export async function runCase(c: FuzzCase, validators: Map<string, CrdValidator>): Promise<CaseResult> {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } }));
  const h = createHarness({ logger });
  const result: CaseResult = { violations: [], refused: 0, accepted: 0, reconciles: 0, reasons: [], written: [] };
  const violate = (what: string) => result.violations.push(what);
  const create = h.api.createSecret.bind(h.api);
  h.api.createSecret = async (secret) => {
    const stored = await create(secret);
    if (stored) result.written.push(structuredClone(secret));
    return stored;
  };

  // Stores, as the API server would take them.
  let uid = 0;
  const admit = (kind: string, obj: KubeObject & { spec?: unknown }): KubeObject | undefined => {
    const validator = validators.get(kind)!;
    const { errors, defaulted } = validator.validate(obj);
    const onlyCel = errors.every((e) => celMessages(validator).some((m) => e.endsWith(`: ${m}`)));
    if (errors.length > 0 && !(c.legacy && onlyCel)) {
      result.refused++;
      return undefined;
    }
    result.accepted++;
    return { ...(defaulted as KubeObject), metadata: { ...obj.metadata, uid: `u${++uid}`, generation: 1, creationTimestamp: new Date(h.timers.now() - uid * 1000).toISOString() } };
  };
  const setStores = (values: RemoteValues) => {
    for (const namespace of [NAMESPACE, OTHER_NAMESPACE]) {
      const store = admit('SecretStore', mutate({ apiVersion: API, kind: 'SecretStore', metadata: { name: 'fake', namespace }, spec: plain({ provider: { fake: { data: values.entries } }, ...c.storeExtras }) }, namespace === NAMESPACE ? c.storeMutations : []));
      if (store) h.caches.secretStores.set(store);
    }
    // A store whose provider this build does not have: InvalidProviderConfig.
    const broken = admit('SecretStore', { apiVersion: API, kind: 'SecretStore', metadata: { name: 'broken', namespace: NAMESPACE }, spec: { provider: { aws: { region: 'eu-west-1' } } } });
    if (broken) h.caches.secretStores.set(broken);
    const shared = admit('ClusterSecretStore', { apiVersion: API, kind: 'ClusterSecretStore', metadata: { name: 'shared' }, spec: plain({ provider: { fake: { data: values.entries } }, conditions: c.conditions }) });
    if (shared) h.caches.clusterSecretStores.set(shared);
  };
  h.caches.namespaces.set({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels: { team: 'a' } } });
  h.caches.namespaces.set({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OTHER_NAMESPACE, labels: { env: 'b' } } });
  setStores(c.values);

  const admitted: Array<{ key: string; name: string; namespace: string; interval?: string; target: string }> = [];
  for (const e of c.externalSecrets) {
    const obj = admit('ExternalSecret', { apiVersion: API, kind: 'ExternalSecret', metadata: { name: e.name, namespace: e.namespace }, spec: mutate(plain(e.spec), e.mutations) });
    if (!obj) continue;
    h.caches.externalSecrets.set(obj);
    const spec = (obj as { spec: { refreshInterval?: string; target?: { name?: string } } }).spec;
    admitted.push({ key: `${e.namespace}/${e.name}`, name: e.name, namespace: e.namespace, interval: spec.refreshInterval, target: spec.target?.name ?? e.name });
  }

  const counts = h.countReconciles();
  const runPhase = async (phase: string) => {
    const before = new Map(counts);
    const end = h.timers.now() + PHASE_MS;
    await flush();
    h.syncManaged();
    for (let steps = 0; ; steps++) {
      if (steps > 50_000) {
        violate(`${phase}: timers keep firing without time passing (a loop)`);
        break;
      }
      const next = h.timers.nextAt();
      if (next === undefined || next > end) {
        h.timers.advance(end - h.timers.now());
        await flush();
        h.syncManaged();
        await flush();
        break;
      }
      h.timers.advance(Math.max(0, next - h.timers.now()));
      await flush();
      h.syncManaged();
    }
    for (const e of admitted) {
      const n = (counts.get(e.key) ?? 0) - (before.get(e.key) ?? 0);
      result.reconciles += n;
      const bound = reconcileBound(PHASE_MS, e.interval);
      if (n > bound) violate(`${phase}: ${e.key} reconciled ${n} times in ${PHASE_MS / 1000} s (refreshInterval ${e.interval ?? 'default'}; at most ${bound} expected)`);
    }
    checkConditions(phase);
  };

  const reasons = new Set<string>(Object.values(EXTERNAL_SECRET_REASONS));
  const storeReasons = new Set<string>(Object.values(STORE_REASONS));
  const checkConditions = (phase: string) => {
    for (const e of admitted) {
      const es = h.caches.externalSecrets.get(e.name, e.namespace) as { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>; currentSecretName?: string } } | undefined;
      const ready = es?.status?.conditions?.find((x) => x.type === 'Ready');
      if (!ready) {
        violate(`${phase}: ${e.key} has no Ready condition`);
        continue;
      }
      result.reasons.push(ready.reason ?? '');
      if (process.env.DEBUG_FUZZ) console.log(phase, e.key, ready.reason, ready.message?.slice(0, 160));
      if (!ready.reason || !reasons.has(ready.reason)) violate(`${phase}: ${e.key} Ready reason "${ready.reason}" is not one of the API's reasons`);
      if (!ready.message) violate(`${phase}: ${e.key} Ready=${ready.status} without a message`);
      if (ready.status === 'True') {
        const current = es?.status?.currentSecretName;
        const secret = current === undefined ? undefined : h.api.secrets.get(`${e.namespace}/${current}`);
        if (!secret) violate(`${phase}: ${e.key} is Ready but its current Secret "${current}" does not exist`);
        else if (externalSecretNameOf(secret) !== e.name || targetNameOf(secret) !== e.target || secret.immutable !== true) violate(`${phase}: ${e.key} is Ready on "${current}", which is not its immutable version of target "${e.target}"`);
      }
    }
    for (const s of [...h.caches.secretStores.list(), ...h.caches.clusterSecretStores.list()]) {
      const ready = (s as { status?: { conditions?: Array<{ type: string; reason?: string }> } }).status?.conditions?.find((x) => x.type === 'Ready');
      if (ready && !storeReasons.has(ready.reason ?? '')) violate(`${phase}: store ${s.metadata?.namespace ?? ''}/${s.metadata?.name} Ready reason "${ready.reason}" is not one of the API's reasons`);
    }
  };

  h.controller.start();
  try {
    await runPhase('created');
    if (c.rotation !== 'same') {
      setStores(c.rotation === 'gone' ? { entries: [], markers: [] } : c.rotated);
      await runPhase(`remote values ${c.rotation}`);
    }
    if (c.deleteCurrent) {
      const current = admitted.map((e) => (h.caches.externalSecrets.get(e.name, e.namespace) as { status?: { currentSecretName?: string } } | undefined)?.status?.currentSecretName && `${e.namespace}/${(h.caches.externalSecrets.get(e.name, e.namespace) as { status: { currentSecretName: string } }).status.currentSecretName}`).find(Boolean);
      if (current) {
        h.api.secrets.delete(current);
        await runPhase('current version deleted');
      }
    }
  } finally {
    await h.controller.stop();
  }

  // No value anywhere a person or a scraper can see it.
  const seen = [logs.join(''), JSON.stringify(h.api.statuses), JSON.stringify(h.api.events), await h.registry.metrics(), h.metrics.externalSecrets.render()].join('\n');
  for (const m of [...c.values.markers, ...c.rotated.markers]) {
    for (const form of [m, Buffer.from(m).toString('base64').slice(0, 20)]) {
      if (seen.includes(form)) violate(`a remote value (marker ${m}${form === m ? '' : ', base64'}) appears in logs, status, Events or metrics`);
    }
  }
  return result;
}
