// The workload features through the controller and the ExternalSecret reconciler, over fakes:
// retention that knows what is in use (and prunes without a fetch when the last reference goes),
// rollout Patch and Publish, the alias, remote expiry, maxAge and deletionPolicy.
import assert from 'node:assert/strict';
import { DirectFetcher } from '../../src/fetch/direct-fetcher.js';
import type { RemoteFetcher } from '../../src/fetch/remote-fetcher.js';
import { RetryLater } from '../../src/controller/external-secret-reconciler.js';
import { REFERENCING_KINDS, toReferencingObject, type ReferencingKindName } from '../../src/workloads/referencing-kinds.js';
import { EXPIRING_SOON_MS } from '../../src/versioning/expiry.js';
import type { KubeObject } from '../../src/kube/kube-object.js';
import { createHarness, drainQueue } from '../controller/harness.js';

const MINUTE = 60_000;

/** A fetcher that counts fetches and can add a remote expiry to what the fake provider returns. */
function countingFetcher() {
  const inner = new DirectFetcher();
  const f = {
    fetches: 0,
    expiresAt: undefined as Date | undefined,
    fetch: async (...a: Parameters<RemoteFetcher['fetch']>) => {
      f.fetches++;
      const secret = await inner.fetch(...a);
      return f.expiresAt ? { ...secret, expiresAt: f.expiresAt } : secret;
    },
    find: (...a: Parameters<RemoteFetcher['find']>) => inner.find(...a),
    forgetStore: (id: string) => inner.forgetStore(id),
  };
  return f;
}

async function setup(versioning: Record<string, unknown> = {}, target: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) {
  const fetcher = countingFetcher();
  const h = createHarness({ fetcher: fetcher as unknown as RemoteFetcher, rolloutDebounce: { quietMs: 1000, maxWaitMs: 5000 } });
  const rotate = async (value: string) => {
    h.store('fake', 'ns', [{ key: 'db', value }]);
    await h.reconcileStore('SecretStore/ns/fake');
  };
  await rotate('one');
  h.es('db', 'ns', {
    secretStoreRef: { name: 'fake' }, refreshInterval: '1h', data: [{ secretKey: 'password', remoteRef: { key: 'db' } }],
    target: { name: 'db', versioning: { retain: 0, minRetention: '0s', ...versioning }, ...target }, ...spec,
  });
  const current = () => h.get('db', 'ns').status!.currentSecretName!;
  /** Puts a referencing object in its cache (reduced, as the informer would) and, for workloads, in the fake API. */
  const put = (kind: ReferencingKindName, obj: KubeObject & Record<string, unknown>) => {
    const stored = ['Deployment', 'StatefulSet', 'DaemonSet'].includes(kind) ? h.api.putObject({ ...obj, kind }) : { ...obj, kind };
    h.caches.referencing[kind].set(toReferencingObject(REFERENCING_KINDS[kind], stored));
  };
  const podSpec = (secret: string) => ({ containers: [{ name: 'app', envFrom: [{ secretRef: { name: secret } }] }] });
  return { h, fetcher, rotate, current, put, podSpec, drainQueue: () => drainQueue(h.controller.externalSecretQueue) };
}

describe('retention that knows what is in use', () => {
  it('keeps versions a Pod, a ReplicaSet template or a ControllerRevision references, and prunes one within one reconcile of its last reference going, without a fetch', async () => {
    const t = await setup();
    await t.h.reconcile('ns/db');
    const v1 = t.current();
    t.put('Pod', { metadata: { name: 'p', namespace: 'ns' }, spec: t.podSpec(v1) });
    t.put('ReplicaSet', { metadata: { name: 'rs', namespace: 'ns' }, spec: { template: { spec: t.podSpec(v1) } } });
    await t.rotate('two');
    await t.h.reconcile('ns/db');
    const v2 = t.current();
    t.put('ControllerRevision', { metadata: { name: 'sts-1', namespace: 'ns' }, data: { spec: { template: { spec: t.podSpec(v2) } } } });
    await t.rotate('three');
    await t.h.reconcile('ns/db');
    const v3 = t.current();
    assert.ok(t.h.api.secrets.has(`ns/${v1}`) && t.h.api.secrets.has(`ns/${v2}`) && t.h.api.secrets.has(`ns/${v3}`), 'retain 0, yet all in use');
    await t.drainQueue();

    // The Pod goes: the ReplicaSet still holds v1.
    t.h.caches.referencing.Pod.remove('ns/p');
    assert.deepEqual(await t.drainQueue(), []);
    // The ReplicaSet goes too: the ExternalSecret is queued, and its reconcile prunes v1 without reading the store.
    t.h.caches.referencing.ReplicaSet.remove('ns/rs');
    assert.deepEqual(await t.drainQueue(), ['ns/db']);
    const fetches = t.fetcher.fetches;
    await t.h.reconcile('ns/db');
    assert.equal(t.fetcher.fetches, fetches, 'no fetch');
    assert.ok(!t.h.api.secrets.has(`ns/${v1}`));
    assert.ok(t.h.api.secrets.has(`ns/${v2}`), 'the ControllerRevision keeps v2');
    assert.deepEqual(t.h.get('db', 'ns').status!.versions!.map((v) => v.name), [v3, v2]);
    assert.ok(t.h.api.events.some((e) => e.reason === 'VersionsPruned' && e.message.includes(v1)));
  });

  it('asks again when a version it keeps only for its age passes minRetention', async () => {
    const t = await setup({ minRetention: '10m' });
    await t.h.reconcile('ns/db');
    await t.rotate('two');
    const result = await t.h.reconcile('ns/db');
    assert.ok(result.requeueAfter! <= 10 * MINUTE, `requeue in ${result.requeueAfter} ms`);
  });
});

describe('rollout Patch through the controller', () => {
  it('moves a follower to each new version once its debounce ends, and a burst of five ExternalSecrets rolls it once', async () => {
    const t = await setup({ rollout: 'Patch' });
    await t.h.reconcile('ns/db');
    const deployment = (follow: string, secrets: string[]) => ({
      apiVersion: 'apps/v1', metadata: { name: 'web', namespace: 'ns', annotations: { 'keyferry.io/follow': follow } },
      spec: { template: { spec: { containers: [{ name: 'app', envFrom: secrets.map((name) => ({ secretRef: { name } })) }] } } },
    });
    t.put('Deployment', deployment('db', ['db']));
    t.h.timers.advance(1000);
    await t.h.controller.consumers.rollouts.idle();
    const refs = () => (t.h.api.objects.get('Deployment/ns/web') as { spec: { template: { spec: { containers: Array<{ envFrom: Array<{ secretRef: { name: string } }> }> } } } }).spec.template.spec.containers[0]!.envFrom.map((e) => e.secretRef.name);
    assert.deepEqual(refs(), [t.current()], 'the base name moves to the current version');
    await t.rotate('two');
    await t.h.reconcile('ns/db');
    t.h.timers.advance(1000);
    await t.h.controller.consumers.rollouts.idle();
    assert.deepEqual(refs(), [t.current()]);

    // Five more ExternalSecrets, all followed by the Deployment, get new versions together.
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const n of names) t.h.es(n, 'ns', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'db' } }], target: { name: n, versioning: { rollout: 'Patch' } } });
    for (const n of names) await t.h.reconcile(`ns/${n}`);
    t.put('Deployment', deployment(['db', ...names].join(','), ['db', ...names]));
    t.h.timers.advance(1000);
    await t.h.controller.consumers.rollouts.idle();
    const patchesBefore = t.h.api.calls.filter((c) => c === 'patch Deployment/ns/web').length;
    await t.rotate('three');
    for (const n of ['db', ...names]) {
      await t.h.reconcile(`ns/${n}`);
      t.h.timers.advance(200);
    }
    t.h.timers.advance(1000);
    await t.h.controller.consumers.rollouts.idle();
    assert.equal(t.h.api.calls.filter((c) => c === 'patch Deployment/ns/web').length - patchesBefore, 1, 'one rollout for the burst');
    assert.deepEqual(refs(), ['db', ...names].map((n) => t.h.get(n, 'ns').status!.currentSecretName));
  });
});

describe('rollout Publish through the controller', () => {
  it('writes keyferry-versions with the current version and asks the Flux Kustomization to reconcile', async () => {
    const t = await setup({ rollout: 'Publish', fluxKustomization: { name: 'apps', namespace: 'ns' } });
    t.h.api.putObject({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'ns' } } as KubeObject);
    for (const value of ['one', 'two']) {
      await t.rotate(value);
      await t.h.reconcile('ns/db');
      t.h.timers.advance(1000);
      await t.h.controller.consumers.publisher.idle();
      assert.deepEqual((t.h.api.objects.get('ConfigMap/ns/keyferry-versions') as { data: object }).data, { db: t.current() });
    }
    assert.equal(t.h.api.calls.filter((c) => /^(create|update) configmap/.test(c)).length, 2);
    const ks = t.h.api.objects.get('Kustomization/ns/apps')!;
    assert.equal(ks.metadata!.annotations!['reconcile.fluxcd.io/requestedAt'], new Date(t.h.timers.now()).toISOString());
  });

  it('refuses a Kustomization of another namespace: InvalidSpec naming the field, nothing published or requested', async () => {
    const t = await setup({ rollout: 'Publish', fluxKustomization: { name: 'apps', namespace: 'flux-system' } });
    t.h.api.putObject({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'flux-system' } } as KubeObject);
    await t.rotate('one');
    await t.h.reconcile('ns/db').catch(() => undefined);
    t.h.timers.advance(1000);
    await t.h.controller.consumers.publisher.idle();
    const ready = t.h.ready('db', 'ns')!;
    assert.deepEqual([ready.status, ready.reason], ['False', 'InvalidSpec']);
    assert.match(ready.message, /^spec\.target\.versioning\.fluxKustomization\.namespace: "flux-system" is not this ExternalSecret's namespace/);
    assert.equal(t.h.api.objects.get('ConfigMap/ns/keyferry-versions'), undefined);
    assert.equal(t.h.api.objects.get('Kustomization/flux-system/apps')!.metadata!.annotations?.['reconcile.fluxcd.io/requestedAt'], undefined);
  });
});

describe('alias through the controller', () => {
  it('keeps the alias in step, says so when it cannot be updated, and turns Ready again once it can, without a fetch', async () => {
    const t = await setup({ alias: true });
    await t.h.reconcile('ns/db');
    assert.equal(t.h.api.secrets.get('ns/db')!.metadata!.annotations!['keyferry.io/version'], t.current());
    t.h.api.forbidden.add('update secrets');
    await t.rotate('two');
    await assert.rejects(t.h.reconcile('ns/db'), RetryLater);
    const ready = t.h.ready('db', 'ns')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'AliasForbidden');
    assert.match(ready.message, /kubectl apply -k manifests\/optional\/alias-mode/);
    assert.equal(Buffer.from(t.h.api.secrets.get('ns/db')!.data!.password!, 'base64').toString(), 'one', 'the alias keeps the last data it got');

    t.h.api.forbidden.clear();
    const fetches = t.fetcher.fetches;
    await t.h.reconcile('ns/db');
    assert.equal(t.fetcher.fetches, fetches);
    assert.equal(t.h.ready('db', 'ns')!.reason, 'SecretSynced');
    assert.equal(Buffer.from(t.h.api.secrets.get('ns/db')!.data!.password!, 'base64').toString(), 'two');
    const updated = t.h.api.calls.filter((c) => c.startsWith('update '));
    assert.deepEqual([...new Set(updated)], ['update ns/db'], 'no Secret but the alias is ever updated');
  });
});

describe('remote expiry', () => {
  it('turns ExpiringSoon, then Expired, each at its time, whether or not a fetch is due', async () => {
    const t = await setup();
    const at = t.h.timers.now() + EXPIRING_SOON_MS + 5 * MINUTE;
    t.fetcher.expiresAt = new Date(at);
    const first = await t.h.reconcile('ns/db');
    const cond = (type: string) => (t.h.get('db', 'ns').status!.conditions as unknown as Array<{ type: string; status: string }>).find((c) => c.type === type)?.status;
    assert.deepEqual([cond('Expired'), cond('ExpiringSoon')], ['False', 'False']);
    assert.equal(first.requeueAfter, 5 * MINUTE, 'asks again when ExpiringSoon is due');
    t.h.timers.advance(5 * MINUTE);
    const fetches = t.fetcher.fetches;
    await t.h.reconcile('ns/db');
    assert.deepEqual([cond('Expired'), cond('ExpiringSoon')], ['False', 'True']);
    assert.equal(t.fetcher.fetches, fetches, 'no refresh was due: the condition turned without a fetch');
    t.h.timers.advance(EXPIRING_SOON_MS);
    await t.h.reconcile('ns/db');
    assert.deepEqual([cond('Expired'), cond('ExpiringSoon')], ['True', 'False']);
  });
});

describe('maxAge', () => {
  it('renews the version at the end of each period with a fresh read, even when the value is unchanged', async () => {
    const t = await setup({ maxAge: '1h' }, {}, { refreshPolicy: 'OnChange' });
    const first = await t.h.reconcile('ns/db');
    const v1 = t.current();
    assert.ok(first.requeueAfter! <= 60 * MINUTE);
    assert.match(t.h.ready('db', 'ns')!.message, /maxAge 1h: renewed from /);
    const fetches = t.fetcher.fetches;
    await t.h.reconcile('ns/db');
    assert.equal(t.current(), v1, 'same period, same version');
    t.h.timers.advance(first.requeueAfter!);
    await t.h.reconcile('ns/db');
    assert.notEqual(t.current(), v1, 'a new version for the new period');
    assert.equal(t.fetcher.fetches, fetches + 1);
    assert.equal(t.h.api.secrets.get(`ns/${t.current()}`)!.data!.password, t.h.api.secrets.get(`ns/${v1}`)?.data?.password ?? Buffer.from('one').toString('base64'));
  });

  it('refuses a maxAge below one minute, naming the field', async () => {
    const t = await setup({ maxAge: '30s' });
    await t.h.reconcile('ns/db');
    assert.equal(t.h.ready('db', 'ns')!.reason, 'InvalidSpec');
    assert.match(t.h.ready('db', 'ns')!.message, /spec\.target\.versioning\.maxAge/);
  });
});

describe('deletionPolicy', () => {
  it('Delete: when the remote secret is gone, deletes the versions nothing uses (SecretDeleted); Retain keeps them (Stale)', async () => {
    for (const policy of ['Delete', 'Retain']) {
      const t = await setup({}, { deletionPolicy: policy }, { refreshInterval: '1m' });
      await t.h.reconcile('ns/db');
      const v1 = t.current();
      t.put('Pod', { metadata: { name: 'p', namespace: 'ns' }, spec: t.podSpec(v1) });
      await t.rotate('two');
      await t.h.reconcile('ns/db');
      const v2 = t.current();
      t.h.store('fake', 'ns', [{ key: 'other', value: 'x' }]);
      await t.h.reconcileStore('SecretStore/ns/fake');
      if (policy === 'Delete') {
        await t.h.reconcile('ns/db');
        assert.equal(t.h.ready('db', 'ns')!.reason, 'SecretDeleted');
        assert.ok(!t.h.api.secrets.has(`ns/${v2}`));
        assert.ok(t.h.api.secrets.has(`ns/${v1}`), 'the version a Pod uses stays');
        assert.equal(t.h.get('db', 'ns').status!.currentSecretName, undefined);
        t.h.caches.referencing.Pod.remove('ns/p');
        await t.drainQueue();
        await t.h.reconcile('ns/db');
        assert.ok(!t.h.api.secrets.has(`ns/${v1}`), 'and goes once released');
      } else {
        await assert.rejects(t.h.reconcile('ns/db'), RetryLater);
        assert.equal(t.h.ready('db', 'ns')!.reason, 'Stale');
        assert.ok(t.h.api.secrets.has(`ns/${v2}`));
      }
    }
  });
});
