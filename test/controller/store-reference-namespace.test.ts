// A SecretStore's credential references resolve only in its own namespace: one that names
// another namespace is refused, naming the field, before anything is read. A
// ClusterSecretStore names the namespace of each reference.
import assert from 'node:assert/strict';
import { fakeProvider } from '../../providers/fake/index.js';
import type { Provider, SecretKeySelector } from '../../providers/contract/index.js';
import type { KubeObject, SecretObject } from '../../src/kube/kube-object.js';
import { API, createHarness } from './harness.js';

const PLANTED = 'planted-credential-value';

/** The fake provider, reading the credential Secret its block names at connect, as real providers do. */
function readingProvider() {
  const reads: string[] = [];
  const provider = {
    ...fakeProvider,
    connect: async (config: { data?: unknown; auth?: { secretRef?: SecretKeySelector } }, deps: Parameters<typeof fakeProvider.connect>[1]) => {
      const ref = config.auth?.secretRef;
      if (ref) {
        const value = await deps.readSecret(ref);
        reads.push(`${ref.namespace ?? deps.store.namespace}/${ref.name}: ${value.length} bytes`);
      }
      return fakeProvider.connect({ data: (config.data ?? []) as never }, deps);
    },
  } as unknown as Provider;
  return { provider, reads };
}

function setup() {
  const { provider, reads } = readingProvider();
  const h = createHarness({ providers: { fake: provider } });
  for (const namespace of ['team-a', 'team-b']) {
    const secret: SecretObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace }, data: { token: Buffer.from(`${PLANTED}-${namespace}`).toString('base64') } };
    h.caches.credentialSecrets.set(secret);
    h.api.secrets.set(`${namespace}/creds`, secret);
  }
  const secretStore = (auth: Record<string, unknown>) => {
    const old = h.caches.secretStores.get('store', 'team-a') as { metadata?: { generation?: number } } | undefined;
    h.caches.secretStores.set({
      apiVersion: API, kind: 'SecretStore', metadata: { name: 'store', namespace: 'team-a', generation: (old?.metadata?.generation ?? 0) + 1, uid: 's1' },
      spec: { provider: { fake: { data: [{ key: 'db', value: 'v' }], auth } } },
    } as KubeObject);
  };
  const storeReady = (kind: 'SecretStore' | 'ClusterSecretStore', name: string, namespace?: string) => {
    const cache = kind === 'SecretStore' ? h.caches.secretStores : h.caches.clusterSecretStores;
    return (cache.get(name, namespace) as { status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } } | undefined)?.status?.conditions?.find((c) => c.type === 'Ready');
  };
  return { h, reads, secretStore, storeReady };
}

describe('credential references of a SecretStore that name another namespace', () => {
  it('are refused with InvalidProviderConfig naming each field; nothing is read or minted, nothing retried, and its ExternalSecrets write nothing', async () => {
    const { h, reads, secretStore, storeReady } = setup();
    secretStore({
      secretRef: { name: 'creds', key: 'token', namespace: 'team-b' },
      serviceAccountRef: { name: 'reader', namespace: 'team-b', audiences: ['vault'] },
    });
    assert.deepEqual(await h.reconcileStore('SecretStore/team-a/store'), {}, 'waits for a spec change, no backoff loop');
    const ready = storeReady('SecretStore', 'store', 'team-a')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'InvalidProviderConfig');
    assert.equal(ready.message, [
      'spec.provider.fake.auth.secretRef.namespace: a SecretStore may only reference objects in its own namespace; leave the namespace out, or use a ClusterSecretStore',
      'spec.provider.fake.auth.serviceAccountRef.namespace: a SecretStore may only reference objects in its own namespace; leave the namespace out, or use a ClusterSecretStore',
    ].join('; '));
    assert.deepEqual(reads, [], 'the provider never connected');
    assert.ok(!h.api.calls.some((c) => c.includes('team-b')), 'nothing asked of the other namespace');
    const warnings = h.api.events.filter((e) => e.type === 'Warning' && e.reason === 'InvalidProviderConfig');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.message, ready.message);
    assert.ok(!JSON.stringify([h.api.events, h.api.statuses]).includes(PLANTED));

    h.es('app', 'team-a', { secretStoreRef: { name: 'store' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    await h.reconcile('team-a/app').catch(() => undefined);
    assert.equal(h.ready('app', 'team-a')!.reason, 'StoreNotReady');
    assert.ok(!h.api.writes.some((w) => w.startsWith('create')));
  });

  it('its own namespace spelled out, or left out, is read there; dropping the other namespace makes the store Ready', async () => {
    const { h, reads, secretStore, storeReady } = setup();
    secretStore({ secretRef: { name: 'creds', key: 'token', namespace: 'team-b' } });
    await h.reconcileStore('SecretStore/team-a/store');
    assert.equal(storeReady('SecretStore', 'store', 'team-a')!.reason, 'InvalidProviderConfig');

    secretStore({ secretRef: { name: 'creds', key: 'token', namespace: 'team-a' } });
    await h.reconcileStore('SecretStore/team-a/store');
    assert.equal(storeReady('SecretStore', 'store', 'team-a')!.reason, 'Valid');
    secretStore({ secretRef: { name: 'creds', key: 'token' } });
    await h.reconcileStore('SecretStore/team-a/store');
    assert.equal(storeReady('SecretStore', 'store', 'team-a')!.reason, 'Valid');
    assert.deepEqual(reads, [`team-a/creds: ${PLANTED.length + 7} bytes`, `team-a/creds: ${PLANTED.length + 7} bytes`]);
  });

  it('are what a ClusterSecretStore must do: it reads the namespace it names', async () => {
    const { h, reads, storeReady } = setup();
    h.caches.clusterSecretStores.set({
      apiVersion: API, kind: 'ClusterSecretStore', metadata: { name: 'platform', generation: 1, uid: 'c1' },
      spec: { provider: { fake: { data: [], auth: { secretRef: { name: 'creds', key: 'token', namespace: 'team-b' } } } } },
    } as KubeObject);
    await h.reconcileStore('ClusterSecretStore/platform');
    assert.equal(storeReady('ClusterSecretStore', 'platform')!.reason, 'Valid');
    assert.deepEqual(reads, [`team-b/creds: ${PLANTED.length + 7} bytes`]);
  });
});
