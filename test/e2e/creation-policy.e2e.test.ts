// target.creationPolicy Merge and None on both clusters, with the operator's own RBAC on the
// real control plane: Merge needs manifests/optional/merge-mode there (MergeForbidden names it
// until it is applied), then writes its key into the Secret that opted in, keeping the owner's
// keys; a Secret that did not opt in is refused and left as it was; None reads and checks the
// remote data, writes no Secret and reaches its CreationPolicyNone condition. No value shows anywhere.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectl } from '../support/control-plane/shared-control-plane.js';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { assertNothingLeaked, decoded, externalSecret, fakeStore, forEachCluster, namespace, namespaceView, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PLANTED = 'planted-merge-e2e-value-4c7e';
const VICTIM = 'victim-own-value-e2e-91d3';
const NS = 'merge-none';

const secret = (name: string, annotations: Record<string, string>, data: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS, annotations }, stringData: data });

forEachCluster('operator end to end: creationPolicy Merge and None', (kind) => {
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;
  let mergeModeApplied = false;
  const view = namespaceView(() => fx, NS);
  const mergeMode = (verb: 'apply' | 'delete') => kubectl(fx.adminKubeconfigPath, [verb, '-k', join(root, 'manifests', 'optional', 'merge-mode')]);

  before(async function () {
    this.timeout(180_000);
    fx = await startClusterFixture(kind);
  });
  after(async function () {
    this.timeout(180_000);
    await op?.kill();
    if (mergeModeApplied) await mergeMode('delete').catch(() => undefined);
    await fx?.close();
  });

  it('Merge writes into the opted-in Secret only, keeping its other keys; None reaches CreationPolicyNone and writes nothing', async function () {
    this.timeout(120_000);
    const { cluster } = fx;
    const read = { secretStoreRef: { name: 'fake' }, refreshInterval: '2s', data: [{ secretKey: 'password', remoteRef: { key: 'db' } }] };
    await cluster.apply([
      namespace(NS),
      fakeStore('fake', NS, [{ key: 'db', value: PLANTED }]),
      secret('app-config', { 'keyferry.io/merge-from': 'merger' }, { other: 'kept by the owner' }),
      secret('victim', {}, { password: VICTIM }),
      externalSecret('merger', NS, { ...read, target: { name: 'app-config', creationPolicy: 'Merge', deletionPolicy: 'Merge' } }),
      externalSecret('intruder', NS, { ...read, target: { name: 'victim', creationPolicy: 'Merge' } }),
      externalSecret('checker', NS, { ...read, target: { creationPolicy: 'None' } }),
    ]);
    op = await startOperatorProcess({ ...fx.operator });

    if (kind === 'real') {
      // The base RBAC has no update on Secrets: the condition says what to apply.
      const forbidden = await view.waitReason('merger', 'MergeForbidden', 30_000);
      assert.match(forbidden.message!, /kubectl apply -k manifests\/optional\/merge-mode/);
      await mergeMode('apply');
      mergeModeApplied = true;
    }
    const merged = await view.waitReady('merger', 60_000);
    assert.equal((merged.status as { currentSecretName?: string }).currentSecretName, 'app-config');
    const target = await cluster.get('v1', 'Secret', 'app-config', NS);
    assert.equal(decoded(target, 'password'), PLANTED);
    assert.equal(decoded(target, 'other'), 'kept by the owner');
    const annotations = target!.metadata!.annotations as Record<string, string>;
    assert.equal(annotations['keyferry.io/merge-from'], 'merger');
    assert.equal(annotations['keyferry.io/merged-keys'], 'password');
    assert.equal(target!.metadata!.ownerReferences, undefined);

    const refused = await view.waitReason('intruder', 'MergeRefused', 30_000);
    assert.match(refused.message!, /has not opted in/);
    assert.equal(decoded(await cluster.get('v1', 'Secret', 'victim', NS), 'password'), VICTIM, "the other app's Secret is untouched");

    const none = await view.waitReason('checker', 'CreationPolicyNone', 30_000);
    assert.match(none.message!, /the remote data was read \(1 key\) and makes a valid Secret; no Secret is written/);
    const secrets = (await cluster.list('v1', 'Secret', NS)).map((s) => s.metadata!.name).filter((n) => !n!.startsWith('default-token'));
    assert.deepEqual(secrets.sort(), ['app-config', 'victim'], 'no Secret written for None, and no version for Merge');
    await assertNothingLeaked(op, cluster, NS, [PLANTED, VICTIM]);
  });

  it('the API server refuses deletionPolicy Merge without creationPolicy Merge, and Delete with it', async function () {
    this.timeout(30_000);
    const spec = (target: Record<string, unknown>) => ({ secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'db' } }], target });
    await assert.rejects(fx.cluster.apply([externalSecret('bad-merge', NS, spec({ deletionPolicy: 'Merge' }))]), /target.deletionPolicy Merge goes with creationPolicy Merge only/);
    await assert.rejects(fx.cluster.apply([externalSecret('bad-delete', NS, spec({ creationPolicy: 'Merge', deletionPolicy: 'Delete' }))]), /target.deletionPolicy Delete cannot go with creationPolicy Merge/);
  });
});
