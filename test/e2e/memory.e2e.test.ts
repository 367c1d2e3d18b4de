// The operator holds only what it owns or needs: Secrets of the cluster that no store
// references are neither listed nor watched, so 200 of them (100 KB each) created while it runs
// do not move its heap. The heap is the operator's own keyferry_heap_used_after_gc_bytes, with
// the operator started under `node --expose-gc` so that each scrape measures right after a full
// collection. A credential Secret that appears is still seen at once: its store turns Ready.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { VaultTestServer } from '../support/vault/vault-server.js';
import { API, eventually, externalSecret, forEachCluster, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const NS = 'memory';
const NOISE_NS = 'memory-unrelated';
const UNRELATED = 200;
const UNRELATED_BYTES = 100 * 1024;
const MiB = 1024 * 1024;

forEachCluster('operator end to end: memory', function (kind) {
  this.timeout(180_000);
  let fx: ClusterFixture;
  let vault: VaultTestServer;
  let op: OperatorProcess | undefined;

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const vaultStore = (name: string, secretName: string): KubeObject => ({
    apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: NS },
    spec: { provider: { vault: { server: vault.url, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: secretName, key: 'token' } } } } },
  });
  const storeReady = async (name: string) => readyOf(await fx.cluster.get(API, 'SecretStore', name, NS));

  before(async () => {
    fx = await startClusterFixture(kind);
    vault = new VaultTestServer({ kubernetesIssuers: [fx.cluster.issuer.issuer] });
    await vault.start();
    vault.enableKv('secret', 2).write('app/db', { password: 'memory-test-value' });
    await fx.cluster.apply([
      namespace(NS),
      namespace(NOISE_NS),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-creds', namespace: NS }, data: { token: b64(vault.createToken({ policies: ['root'] })) } },
      vaultStore('ready', 'vault-creds'),
      // Its credential Secret does not exist yet.
      vaultStore('late', 'late-creds'),
      externalSecret('db', NS, {
        secretStoreRef: { name: 'ready' },
        data: [{ secretKey: 'password', remoteRef: { key: 'app/db', property: 'password' } }],
        target: { name: 'db' },
      }),
    ]);
    op = await startOperatorProcess({ ...fx.operator, nodeArgs: ['--expose-gc'], logLevel: 'info', env: { ...fx.operator.env, VAULT_TOKEN: '', VAULT_ADDR: '' } });
  });

  after(async () => {
    await op?.kill();
    await vault?.close();
    await fx?.close();
  });

  it(`${UNRELATED} unrelated Secrets of 100 KB move the operator's heap by less than 5 MiB; a credential Secret that appears is seen`, async () => {
    await eventually(async () => readyOf(await fx.cluster.get(API, 'ExternalSecret', 'db', NS))?.status === 'True', 30_000 * fx.slow, 'db Ready');
    const late = await eventually(async () => { const c = await storeReady('late'); return c?.status === 'False' ? c : undefined; }, 30_000 * fx.slow, 'store late refused');
    assert.match(late.message ?? '', /credential Secret "memory\/late-creds" not found/);
    const heap = async () => {
      const value = await op!.metricValue('keyferry_heap_used_after_gc_bytes');
      assert.ok(value !== undefined && value > 0, 'the operator reports its heap after a full collection');
      return value;
    };
    // Work done, nothing left to do: the heap after a full collection holds steady. The
    // baseline is taken once two scrapes in a row agree within 256 KiB.
    let before = await heap();
    await eventually(async () => {
      const next = await heap();
      const steady = Math.abs(next - before) < 256 * 1024;
      before = next;
      return steady;
    }, 30_000 * fx.slow, 'a steady heap');

    const batch = 20;
    for (let i = 0; i < UNRELATED; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, UNRELATED - i) }, (_, j) => fx.cluster.apply({
        apiVersion: 'v1', kind: 'Secret', metadata: { name: `unrelated-${i + j}`, namespace: NOISE_NS },
        data: { blob: randomBytes(UNRELATED_BYTES).toString('base64') },
      })));
    }
    // Created after the unrelated ones: once the operator has seen it (the store turns Ready),
    // any watch of the cluster's Secrets would have delivered the 200 before it.
    await fx.cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'late-creds', namespace: NS }, data: { token: b64(vault.createToken({ policies: ['root'] })) } });
    await eventually(async () => (await storeReady('late'))?.status === 'True', 10_000 * fx.slow, 'store late Ready after its credential Secret appeared');

    const after = await heap();
    const grown = after - before;
    assert.ok(grown < 5 * MiB, `heap grew by ${(grown / MiB).toFixed(2)} MiB (from ${(before / MiB).toFixed(1)} to ${(after / MiB).toFixed(1)} MiB) with ${UNRELATED} unrelated Secrets of ${UNRELATED_BYTES / 1024} KB`);
  });
});
