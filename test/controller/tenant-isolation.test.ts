// Tenant attacks played against the controller: a tenant may create SecretStores and
// ExternalSecrets in its own namespace, and must not stall, impersonate or probe another.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Controller } from '../../src/controller/controller.js';
import { TokenMintPolicy } from '../../src/controller/token-mint-policy.js';
import { DirectFetcher } from '../../src/fetch/direct-fetcher.js';
import { FetchPath } from '../../src/fetch/fetch-path.js';
import type { RemoteFetcher } from '../../src/fetch/remote-fetcher.js';
import type { KubeObject, SecretObject } from '../../src/kube/kube-object.js';
import { OperatorMetrics } from '../../src/metrics/operator-metrics.js';
import { fakeProvider } from '../../providers/fake/index.js';
import type { Provider, ProviderDeps } from '../../providers/contract/index.js';
import { FakeTimers } from '../queue/fake-timers.js';
import { FakeClusterApi, FakeCredentialSecrets, FakeInformer } from './fakes.js';

const API = 'keyferry.io/v1alpha1';
type Status = { conditions?: Array<{ type: string; status: string; reason: string; message: string }> };

/** Lets real-time work (bottleneck's timers, promise chains) run; polls `done` between turns. */
async function until(done: () => boolean, turns = 20_000): Promise<boolean> {
  for (let i = 0; i < turns && !done(); i++) await new Promise<void>((r) => setImmediate(r));
  return done();
}

class MintingClusterApi extends FakeClusterApi {
  readonly mints: Array<{ namespace: string; name: string; audiences?: string[]; expirationSeconds?: number }> = [];

  override async createServiceAccountToken(namespace = '', name = '', options: { audiences?: string[]; expirationSeconds?: number } = {}) {
    this.mints.push({ namespace, name, ...options });
    return { token: `token-for-${namespace}-${name}`, expiresAt: new Date(Date.now() + 600_000) };
  }
}

function setup(options: {
  concurrency?: number;
  fetcher?: RemoteFetcher;
  providers?: Partial<Record<string, Provider>>;
  allowAmbientCredentialsInSecretStores?: boolean;
  tokenPolicy?: TokenMintPolicy;
} = {}) {
  const timers = new FakeTimers();
  timers.advance(1_800_000_000_000);
  const caches = {
    externalSecrets: new FakeInformer<KubeObject>(),
    secretStores: new FakeInformer<KubeObject>(),
    clusterSecretStores: new FakeInformer<KubeObject>(),
    managedSecrets: new FakeInformer<SecretObject>(),
    credentialSecrets: new FakeCredentialSecrets(),
    namespaces: new FakeInformer<KubeObject>(),
  };
  const api = new MintingClusterApi((ref, status) => {
    const cache = ref.kind === 'ExternalSecret' ? caches.externalSecrets : ref.kind === 'SecretStore' ? caches.secretStores : caches.clusterSecretStores;
    const obj = cache.get(ref.name, ref.namespace);
    if (!obj) return;
    const merged = { ...((obj as { status?: Record<string, unknown> }).status ?? {}), ...status };
    for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
    cache.set({ ...obj, status: structuredClone(merged) } as KubeObject);
  }, () => timers.now());
  const controller = new Controller({
    caches, api, providers: (options.providers ?? { fake: fakeProvider }) as Record<string, Provider>, fetcher: options.fetcher ?? new FetchPath({ registry: new Registry() }),
    metrics: new OperatorMetrics(new Registry()), clock: { now: () => timers.now() }, logger: pino({ level: 'silent' }),
    concurrency: options.concurrency ?? 1, timers, versionKey: Buffer.alloc(32, 7),
    allowAmbientCredentialsInSecretStores: options.allowAmbientCredentialsInSecretStores, tokenPolicy: options.tokenPolicy,
  });
  let uid = 0;
  const meta = (name: string, namespace?: string) => ({ name, namespace, generation: 1, uid: `u${++uid}` });
  return {
    timers, caches, api, controller,
    secretStore(name: string, namespace: string, provider: Record<string, unknown>, extra: Record<string, unknown> = {}) {
      caches.secretStores.set({ apiVersion: API, kind: 'SecretStore', metadata: meta(name, namespace), spec: { provider, ...extra } } as KubeObject);
    },
    clusterSecretStore(name: string, provider: Record<string, unknown>, extra: Record<string, unknown> = {}) {
      caches.clusterSecretStores.set({ apiVersion: API, kind: 'ClusterSecretStore', metadata: meta(name), spec: { provider, ...extra } } as KubeObject);
    },
    namespace(name: string) {
      caches.namespaces.set({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
    },
    es(name: string, namespace: string, spec: Record<string, unknown>) {
      caches.externalSecrets.set({ apiVersion: API, kind: 'ExternalSecret', metadata: meta(name, namespace), spec } as KubeObject);
    },
    ready(name: string, namespace: string) {
      return (caches.externalSecrets.get(name, namespace) as { status?: Status } | undefined)?.status?.conditions?.find((c) => c.type === 'Ready');
    },
    storeReady(kind: 'SecretStore' | 'ClusterSecretStore', name: string, namespace?: string) {
      const cache = kind === 'SecretStore' ? caches.secretStores : caches.clusterSecretStores;
      return (cache.get(name, namespace) as { status?: Status } | undefined)?.status?.conditions?.find((c) => c.type === 'Ready');
    },
  };
}

const fakeData = (keys: string[]) => ({ fake: { data: keys.map((key) => ({ key, value: `value-of-${key}` })) } });
const readOne = (store: string, key: string, kind = 'SecretStore') => ({ secretStoreRef: { name: store, kind }, refreshInterval: '1h', data: [{ secretKey: 'v', remoteRef: { key } }] });

describe('tenant attacks on the controller', () => {
  describe('stalling everyone through a limiter', () => {
    it('a store allowing one call per 1 000 s holds no worker: with one worker, the other namespace syncs, the slow ExternalSecrets say when they will be read, and deleting the store frees them at once', async () => {
      const fetcher = new FetchPath({ registry: new Registry() });
      const t = setup({ concurrency: 1, fetcher });
      try {
        // The attacker's store: the least rate the CRD admits, burst 1.
        t.secretStore('glacial', 'attacker', fakeData(['s0', 's1', 's2', 's3', 's4', 's5']), { rateLimit: { requestsPerSecond: 0.001, burst: 1, maxConcurrent: 1 } });
        for (let i = 0; i < 6; i++) t.es(`slow-${i}`, 'attacker', readOne('glacial', `s${i}`));
        t.secretStore('normal', 'tenant-b', fakeData(Array.from({ length: 20 }, (_, i) => `k${i}`)));
        for (let i = 0; i < 20; i++) t.es(`es-${i}`, 'tenant-b', readOne('normal', `k${i}`));
        t.controller.start();
        const normalReady = () => Array.from({ length: 20 }, (_, i) => t.ready(`es-${i}`, 'tenant-b')?.status).every((s) => s === 'True');
        const slowReported = () => Array.from({ length: 6 }, (_, i) => t.ready(`slow-${i}`, 'attacker')).filter((c) => c?.status === 'False').length === 5;
        assert.ok(await until(() => normalReady() && slowReported()), 'every normal ExternalSecret synced while the slow store held no worker');
        const waiting = Array.from({ length: 6 }, (_, i) => t.ready(`slow-${i}`, 'attacker')!).filter((c) => c.status === 'False');
        for (const c of waiting) {
          assert.equal(c.reason, 'SecretSyncedError');
          assert.match(c.message, /rate limit \(spec\.rateLimit\) allows this call in about 1\d min/);
        }
        const slowKeys = Array.from({ length: 6 }, (_, i) => `attacker/slow-${i}`).filter((k) => t.ready(k.split('/')[1]!, 'attacker')?.status === 'False');
        for (const key of slowKeys) {
          const due = t.controller.externalSecretQueue.pendingAt(key)! - t.timers.now();
          assert.ok(due > 900_000 && due <= 1_000_000, `${key} is asked again when its budget allows (${due} ms)`);
        }
        assert.deepEqual(t.controller.stalledQueues(0), [], 'nothing waits in the queues');

        // Deleting the store: what waited on it is re-queued at once and says the store is gone.
        t.caches.secretStores.remove('attacker/glacial');
        assert.ok(await until(() => slowKeys.every((k) => t.ready(k.split('/')[1]!, 'attacker')?.reason === 'StoreNotReady')));
        assert.match(t.ready(slowKeys[0]!.split('/')[1]!, 'attacker')!.message, /SecretStore "glacial" not found in namespace "attacker"/);
      } finally {
        await t.controller.stop();
        await fetcher.close();
      }
    });

    it('stop() returns by its grace time even while a reconcile is held by something no deadline ends', async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      let fetching = false;
      const hanging: Provider = {
        ...fakeProvider,
        connect: async (config, deps) => {
          const client = await fakeProvider.connect(config as never, deps);
          // The client's own methods stay (they live on its prototype); only fetch hangs.
          return Object.assign(Object.create(client) as typeof client, { fetch: async () => { fetching = true; await held; return client.fetch({ key: 'k' }); } });
        },
      } as Provider;
      const t = setup({ concurrency: 1, providers: { fake: hanging } });
      t.secretStore('s', 'ns', fakeData(['k']));
      t.es('e', 'ns', readOne('s', 'k'));
      t.controller.start();
      assert.ok(await until(() => fetching && t.controller.externalSecretQueue.processingCount === 1));
      let stopped = false;
      const stopping = t.controller.stop(20_000).then(() => { stopped = true; });
      await until(() => false, 50);
      assert.equal(stopped, false, 'the grace time has not passed');
      t.timers.advance(20_000);
      assert.ok(await until(() => stopped), 'stop returned at the grace time');
      await stopping;
      release();
    });
  });

  describe('a stuck queue', () => {
    it('is reported (for /readyz) once keys wait and no reconcile has finished for twice the reconcile timeout', async () => {
      // A client that ignores every signal, behind a fetcher that adds none: nothing ends this wait.
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      let fetching = false;
      const deaf: Provider = {
        ...fakeProvider,
        connect: async (config, deps) => {
          const client = await fakeProvider.connect(config as never, deps);
          return Object.assign(Object.create(client) as typeof client, { fetch: async () => { fetching = true; await held; return client.fetch({ key: 'k' }); } });
        },
      } as Provider;
      const t = setup({ concurrency: 1, providers: { fake: deaf }, fetcher: new DirectFetcher() });
      t.secretStore('s', 'ns', fakeData(['k']));
      t.es('first', 'ns', readOne('s', 'k'));
      t.controller.start();
      assert.ok(await until(() => fetching));
      t.es('second', 'other', readOne('s', 'k'));
      assert.deepEqual(t.controller.stalledQueues(), []);
      t.timers.advance(61_000);
      assert.deepEqual(t.controller.stalledQueues(), ['externalsecrets work queue (1 waiting, none finished in 61 s)']);
      release();
      assert.ok(await until(() => t.controller.stalledQueues().length === 0), 'progress clears it');
      await t.controller.stop();
    });
  });

  describe('borrowing the operator\'s cloud identity', () => {
    // A provider whose config, without credentials, falls back to the SDK default chain.
    const seen: ProviderDeps[] = [];
    const ambientProvider: Provider = {
      ...fakeProvider,
      ambientCredentials: () => 'the SDK default chain',
      connect: async (config, deps) => {
        seen.push(deps);
        return fakeProvider.connect(config as never, deps);
      },
    } as Provider;
    beforeEach(() => { seen.length = 0; });

    it('refuses a namespaced SecretStore, saying why; allows a ClusterSecretStore; the operator flag allows namespaced use', async () => {
      const t = setup({ providers: { fake: ambientProvider } });
      t.secretStore('borrow', 'attacker', fakeData(['k']));
      await t.controller.storeReconciler.reconcile('SecretStore/attacker/borrow');
      const refused = t.storeReady('SecretStore', 'borrow', 'attacker')!;
      assert.equal(refused.status, 'False');
      assert.equal(refused.reason, 'InvalidProviderConfig');
      assert.match(refused.message, /no credentials are named, so this store would use the operator's own \(the SDK default chain\); a namespaced SecretStore may not/);
      assert.match(refused.message, /--allow-ambient-credentials-in-secretstores/);
      assert.equal(seen.length, 0, 'the provider was not even connected');

      t.clusterSecretStore('platform', fakeData(['k']));
      await t.controller.storeReconciler.reconcile('ClusterSecretStore/platform');
      assert.equal(t.storeReady('ClusterSecretStore', 'platform')!.status, 'True');
      assert.equal(seen.at(-1)!.allowAmbientCredentials, true);

      const allowed = setup({ providers: { fake: ambientProvider }, allowAmbientCredentialsInSecretStores: true });
      allowed.secretStore('borrow', 'team', fakeData(['k']));
      await allowed.controller.storeReconciler.reconcile('SecretStore/team/borrow');
      assert.equal(allowed.storeReady('SecretStore', 'borrow', 'team')!.status, 'True');
      assert.equal(seen.at(-1)!.allowAmbientCredentials, true);
    });
  });

  describe('regular expressions', () => {
    it('^(a+)+$ against 27 a\'s and a ! in find and rewrite finishes (RE2); a pattern RE2 refuses is an InvalidSpec naming the field', async () => {
      const t = setup();
      const hostileKey = `${'a'.repeat(27)}!`;
      t.secretStore('s', 'ns', fakeData([hostileKey, 'aaaa']));
      await t.controller.storeReconciler.reconcile('SecretStore/ns/s');
      t.es('find', 'ns', { secretStoreRef: { name: 's' }, dataFrom: [{ find: { name: { regexp: '^(a+)+$' } }, rewrite: [{ regexp: { source: '^(a+)+$', target: 'x' } }] }] });
      await t.controller.externalSecrets.reconcile('ns/find');
      const found = t.ready('find', 'ns')!;
      assert.equal(found.status, 'True', found.message);
      t.es('lookahead', 'ns', { secretStoreRef: { name: 's' }, dataFrom: [{ find: { name: { regexp: '^(?=a)a+' } } }] });
      await t.controller.externalSecrets.reconcile('ns/lookahead');
      const refused = t.ready('lookahead', 'ns')!;
      assert.equal(refused.reason, 'InvalidSpec');
      assert.match(refused.message, /spec\.dataFrom\[0\]\.find\.name\.regexp: RE2 does not accept "\^\(\?=a\)a\+": invalid or unsupported Perl syntax/);
    });
  });

  describe('unanchored namespace patterns', () => {
    it('"prod" keeps ESO\'s meaning (it admits notprod-attacker) and the store warns; "^prod$" admits only prod, without a warning', async () => {
      const t = setup();
      for (const ns of ['prod', 'notprod-attacker']) t.namespace(ns);
      t.clusterSecretStore('loose', fakeData(['k']), { conditions: [{ namespaceRegexes: ['prod', '(unclosed'] }] });
      t.clusterSecretStore('tight', fakeData(['k']), { conditions: [{ namespaceRegexes: ['^prod$'] }] });
      await t.controller.storeReconciler.reconcile('ClusterSecretStore/loose');
      await t.controller.storeReconciler.reconcile('ClusterSecretStore/tight');
      const loose = t.storeReady('ClusterSecretStore', 'loose')!;
      assert.equal(loose.status, 'True');
      assert.match(loose.message, /spec\.conditions\[0\]\.namespaceRegexes\[0\] "prod" is not anchored: it admits every namespace whose name contains a match \(for example "notprod-x"\); write "\^\(prod\)\$"/);
      assert.match(loose.message, /namespaceRegexes\[1\]: RE2 does not accept "\(unclosed": missing closing \): `\(unclosed`; it admits no namespace/);
      assert.doesNotMatch(t.storeReady('ClusterSecretStore', 'tight')!.message, /warning/);
      // Re-validated on its interval (5 min by default), the store still warns.
      t.timers.advance(5 * 60_000);
      await t.controller.storeReconciler.reconcile('ClusterSecretStore/loose');
      assert.match(t.storeReady('ClusterSecretStore', 'loose')!.message, /"prod" is not anchored/);
      t.es('a', 'notprod-attacker', readOne('loose', 'k', 'ClusterSecretStore'));
      t.es('b', 'notprod-attacker', readOne('tight', 'k', 'ClusterSecretStore'));
      await t.controller.externalSecrets.reconcile('notprod-attacker/a');
      await t.controller.externalSecrets.reconcile('notprod-attacker/b');
      assert.equal(t.ready('a', 'notprod-attacker')!.status, 'True');
      assert.equal(t.ready('b', 'notprod-attacker')!.reason, 'NamespaceNotAllowed');
    });
  });

  describe('messages name only what the reader may see', () => {
    it('a SecretStore of another namespace gets the same answer as one that exists nowhere', async () => {
      const t = setup();
      t.secretStore('shared-name', 'victim', fakeData(['k']));
      t.es('probe', 'attacker', readOne('shared-name', 'k'));
      t.es('control', 'attacker', readOne('no-such-store', 'k'));
      // Both are retried with backoff (the store may appear): reconcile says so by throwing.
      await t.controller.externalSecrets.reconcile('attacker/probe').catch(() => undefined);
      await t.controller.externalSecrets.reconcile('attacker/control').catch(() => undefined);
      const probe = t.ready('probe', 'attacker')!;
      const control = t.ready('control', 'attacker')!;
      assert.equal(probe.reason, control.reason);
      assert.equal(probe.message, control.message.replace('no-such-store', 'shared-name'));
      assert.doesNotMatch(probe.message, /victim|another namespace/);
    });

    it('a ClusterSecretStore that is not ready shows its readers its reason, not its message', async () => {
      const failing: Provider = { ...fakeProvider, connect: async () => { throw new Error('credential Secret "platform-creds/aws" not found'); } } as Provider;
      const t = setup({ providers: { fake: failing } });
      t.clusterSecretStore('platform', fakeData(['k']));
      await t.controller.storeReconciler.reconcile('ClusterSecretStore/platform').catch(() => undefined);
      t.es('reader', 'tenant', readOne('platform', 'k', 'ClusterSecretStore'));
      await t.controller.externalSecrets.reconcile('tenant/reader');
      const c = t.ready('reader', 'tenant')!;
      assert.equal(c.reason, 'StoreNotReady');
      assert.match(c.message, /ClusterSecretStore "platform" is not ready \(ValidationFailed; its status says why\)/);
      assert.doesNotMatch(c.message, /platform-creds/);
    });
  });

  describe('minting tokens', () => {
    const minting: Provider = {
      ...fakeProvider,
      connect: async (config, deps) => {
        // As Vault's kubernetes auth does at login.
        await deps.mintServiceAccountToken({ name: 'builder', audiences: (config as { audiences?: string[] }).audiences }, { expirationSeconds: 3600 });
        return fakeProvider.connect(config as never, deps);
      },
    } as Provider;
    const policy = (accepts: string[] = ['https://kubernetes.default.svc']) => new TokenMintPolicy({
      apiAudiences: ['https://kubernetes.default.svc'],
      review: async (token) => accepts.some((a) => token.includes(a)),
    });

    it('refuses the API server\'s audience and no audience; mints others for 10 minutes with an Event on the store; without a TokenReview, refuses all', async () => {
      const t = setup({ providers: { fake: minting }, tokenPolicy: policy() });
      t.secretStore('api', 'attacker', { fake: { data: [], audiences: ['https://kubernetes.default.svc'] } });
      t.secretStore('none', 'attacker', { fake: { data: [] } });
      t.secretStore('vault', 'team', { fake: { data: [], audiences: ['vault'] } });
      for (const key of ['SecretStore/attacker/api', 'SecretStore/attacker/none', 'SecretStore/team/vault']) {
        await t.controller.storeReconciler.reconcile(key).catch(() => undefined);
      }
      assert.match(t.storeReady('SecretStore', 'api', 'attacker')!.message, /audience "https:\/\/kubernetes\.default\.svc" is one the Kubernetes API server accepts/);
      assert.match(t.storeReady('SecretStore', 'none', 'attacker')!.message, /needs an audience/);
      assert.equal(t.storeReady('SecretStore', 'vault', 'team')!.status, 'True');
      assert.deepEqual(t.api.mints, [{ namespace: 'team', name: 'builder', audiences: ['vault'], expirationSeconds: 600 }], 'only the allowed token was minted, for 600 s though 3600 were asked');
      const minted = t.api.events.filter((e) => e.reason === 'TokenMinted');
      assert.equal(minted.length, 1);
      assert.deepEqual([minted[0]!.involved.kind, minted[0]!.involved.namespace, minted[0]!.involved.name], ['SecretStore', 'team', 'vault']);
      assert.match(minted[0]!.message, /minted a token for ServiceAccount "team\/builder" with audiences \["vault"\], valid 600 s/);

      const unreviewed = setup({ providers: { fake: minting } });
      unreviewed.secretStore('vault', 'team', { fake: { data: [], audiences: ['vault'] } });
      await unreviewed.controller.storeReconciler.reconcile('SecretStore/team/vault').catch(() => undefined);
      assert.match(unreviewed.storeReady('SecretStore', 'vault', 'team')!.message, /could not check with a TokenReview/);
    });
  });
});
