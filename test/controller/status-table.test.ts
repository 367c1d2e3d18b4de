// The ExternalSecret status table of docs/api.md, row by row: each documented reason comes
// out of the reconciler in the situation the row describes, and every reason the code knows
// is documented.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXTERNAL_SECRET_REASONS } from '../../src/api/index.js';
import { buildVersionedSecret } from '../../src/versioning/index.js';
import { TEST_VERSION_KEY, createHarness } from './harness.js';

const docs = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'api.md'), 'utf8');
const section = docs.slice(docs.indexOf('### ExternalSecret status'));
const rows = [...section.slice(0, section.indexOf('\n\n', section.indexOf('|---'))).matchAll(/^\| `Ready` \| `(True|False)` \| `(\w+)` \|/gm)].map((m) => ({ status: m[1]!, reason: m[2]! }));

type H = ReturnType<typeof createHarness>;
const read = { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] };

async function synced(): Promise<H> {
  const h = createHarness();
  h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
  await h.reconcileStore('SecretStore/ns/fake');
  h.es('app', 'ns', read);
  await h.reconcile('ns/app');
  return h;
}

const attempt = async (h: H, key = 'ns/app') => h.reconcile(key).catch(() => undefined);

/** One situation per documented reason; each returns the harness after the ExternalSecret `ns/app` was reconciled. */
const scenarios: Record<string, () => Promise<H>> = {
  SecretSynced: synced,
  SecretSyncedError: async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'other', value: 'x' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', read);
    await attempt(h);
    assert.equal(h.get('app', 'ns').status?.currentSecretName, undefined);
    return h;
  },
  Stale: async () => {
    const h = await synced();
    h.store('fake', 'ns', [{ key: 'other', value: 'x' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', { ...read, refreshInterval: '1m' });
    await attempt(h);
    return h;
  },
  InvalidRemoteData: async () => {
    const h = await synced();
    h.store('fake', 'ns', [{ key: 'db', value: 'not base64!' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', { ...read, data: [{ secretKey: 'pw', remoteRef: { key: 'db', decodingStrategy: 'Base64' } }] });
    await attempt(h);
    return h;
  },
  StoreNotReady: async () => {
    const h = createHarness();
    h.es('app', 'ns', read);
    await attempt(h);
    return h;
  },
  NamespaceNotAllowed: async () => {
    const h = createHarness();
    h.caches.clusterSecretStores.set({ apiVersion: 'keyferry.io/v1alpha1', kind: 'ClusterSecretStore', metadata: { name: 'shared', generation: 1, uid: 'c1' }, spec: { provider: { fake: { data: [{ key: 'db', value: 'x' }] } }, conditions: [{ namespaces: ['other'] }] } } as never);
    await h.reconcileStore('ClusterSecretStore/shared');
    h.es('app', 'ns', { ...read, secretStoreRef: { name: 'shared', kind: 'ClusterSecretStore' } });
    await attempt(h);
    return h;
  },
  InvalidSpec: async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', { ...read, target: { template: { data: { dsn: '{{ .nothing }}' } } } });
    assert.deepEqual(await h.reconcile('ns/app'), {}, 'not retried');
    return h;
  },
  NameConflict: async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    const name = buildVersionedSecret({ namespace: 'ns', externalSecretName: 'app', targetName: 'app', type: 'Opaque', data: { pw: Buffer.from('one') }, templateLabels: {}, templateAnnotations: {}, remoteVersions: {}, key: TEST_VERSION_KEY }).secret.metadata.name;
    h.api.secrets.set(`ns/${name}`, { metadata: { name, namespace: 'ns' }, data: { pw: 'eA==' } });
    h.es('app', 'ns', read);
    await attempt(h);
    return h;
  },
  TargetConflict: async () => {
    const h = await synced();
    h.es('second', 'ns', { ...read, target: { name: 'app' } });
    await attempt(h, 'ns/second');
    // The table's ExternalSecret is the second one.
    h.caches.externalSecrets.remove('ns/app');
    h.caches.externalSecrets.set({ ...h.get('second', 'ns'), metadata: { ...h.get('second', 'ns').metadata, name: 'app' } });
    return h;
  },
  SecretDeleted: async () => {
    const h = await synced();
    h.es('app', 'ns', { ...read, target: { deletionPolicy: 'Delete' } });
    h.store('fake', 'ns', [{ key: 'other', value: 'x' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    await attempt(h);
    return h;
  },
  AliasConflict: async () => {
    const h = await synced();
    h.api.secrets.set('ns/app', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app', namespace: 'ns', resourceVersion: '1' }, data: {} });
    h.es('app', 'ns', { ...read, target: { versioning: { alias: true } } });
    await attempt(h);
    return h;
  },
  AliasForbidden: async () => {
    const h = await synced();
    h.api.forbidden.add('update secrets');
    h.es('app', 'ns', { ...read, target: { versioning: { alias: true } } });
    await attempt(h);
    return h;
  },
  AliasFailed: async () => {
    const h = await synced();
    h.es('app', 'ns', { ...read, target: { versioning: { alias: true } } });
    await attempt(h);
    // Someone made the alias immutable: the next version cannot be written into it.
    h.api.secrets.get('ns/app')!.immutable = true;
    h.store('fake', 'ns', [{ key: 'db', value: 'two' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    await attempt(h);
    return h;
  },
  MergeTargetNotFound: async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', { ...read, target: { creationPolicy: 'Merge' } });
    await attempt(h);
    return h;
  },
  MergeRefused: async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    // Another app's Secret that did not opt in.
    h.api.secrets.set('ns/app', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app', namespace: 'ns', resourceVersion: '1' }, data: { token: 'eA==' } });
    h.es('app', 'ns', { ...read, target: { creationPolicy: 'Merge' } });
    await attempt(h);
    assert.ok(!h.api.writes.some((w) => w.startsWith('update ')));
    return h;
  },
  MergeForbidden: async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.api.secrets.set('ns/app', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app', namespace: 'ns', resourceVersion: '1', annotations: { 'keyferry.io/merge-from': 'app' } }, data: {} });
    h.api.forbidden.add('update secrets');
    h.es('app', 'ns', { ...read, target: { creationPolicy: 'Merge' } });
    await attempt(h);
    return h;
  },
  CreationPolicyNone: async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', { ...read, target: { creationPolicy: 'None' } });
    await h.reconcile('ns/app');
    assert.ok(!h.api.writes.some((w) => /^(create|update) /.test(w)));
    return h;
  },
};

describe('docs/api.md ExternalSecret status table', () => {
  it('lists every Ready reason the code can set, and only those', () => {
    assert.deepEqual(rows.map((r) => r.reason).sort(), Object.values(EXTERNAL_SECRET_REASONS).sort());
  });

  for (const { status, reason } of rows) {
    it(`${reason}: Ready=${status} in the situation the row describes`, async () => {
      const scenario = scenarios[reason];
      assert.ok(scenario, `no scenario for the documented reason ${reason}: add one here`);
      const h = await scenario();
      const ready = h.ready('app', 'ns')!;
      assert.equal(ready.reason, reason, ready.message);
      assert.equal(ready.status, status);
      const row = section.split('\n').find((l) => l.includes(`| \`${reason}\` |`))!;
      if (/keeps serving/.test(row)) assert.match(ready.message, /the last good version "app-[0-9a-f]{10}" keeps serving/);
      if (/Nothing is written|writes and deletes nothing/.test(row)) assert.ok(!h.api.writes.some((w) => w.startsWith('create ns/app') && reason !== 'TargetConflict'));
    });
  }
});
