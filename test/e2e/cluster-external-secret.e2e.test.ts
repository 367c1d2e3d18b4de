import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, assertNothingLeaked, decoded, eventually, externalSecret, forEachCluster, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const PLANTED = 'ces-planted-t0ken-51d2';
const STORE = 'ces-e2e-store';
const CES = 'ces-e2e-shared';
const SELECT = { 'ces-e2e': 'yes' };
const [A, B, C] = ['ces-e2e-a', 'ces-e2e-b', 'ces-e2e-c'];

interface CesStatus {
  provisionedNamespaces?: string[];
  failedNamespaces?: Array<{ namespace: string; reason?: string }>;
}

forEachCluster('operator end to end: ClusterExternalSecret', (kind) => {
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;

  before(async function () {
    this.timeout(180_000);
    fx = await startClusterFixture(kind);
  });
  after(async function () {
    this.timeout(180_000);
    await op?.kill();
    await fx?.close();
  });

  const clusterExternalSecret = (externalSecretSpec: Record<string, unknown>): KubeObject => ({
    apiVersion: API, kind: 'ClusterExternalSecret', metadata: { name: CES },
    spec: { namespaceSelectors: [{ matchLabels: SELECT }], namespaces: [B], refreshTime: '1m', externalSecretMetadata: { labels: { team: 'platform' } }, externalSecretSpec },
  });
  const statusOf = async () => ((await fx.cluster.get(API, 'ClusterExternalSecret', CES))?.status ?? {}) as CesStatus;
  const esIn = (ns: string) => fx.cluster.get(API, 'ExternalSecret', CES, ns);
  const waitFor = <T>(probe: () => Promise<T | undefined | false>, what: string, ms = 20_000) => eventually(probe, ms * fx.slow, what);
  /** The ExternalSecret in `ns` is Ready and its Secret holds the planted value. */
  const waitSynced = async (ns: string) => {
    const es = await waitFor(async () => { const o = await esIn(ns); return readyOf(o)?.status === 'True' ? o : undefined; }, `ExternalSecret in ${ns} Ready`);
    const current = (es.status as { currentSecretName: string }).currentSecretName;
    assert.equal(decoded(await fx.cluster.get('v1', 'Secret', current, ns), 'token'), PLANTED);
    return es;
  };

  it('provisions selected namespaces, follows namespaces added, relabelled and deleted, and leaves an unowned ExternalSecret alone', async function () {
    this.timeout(120_000);
    const { cluster } = fx;
    const esSpec = { secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' }, refreshInterval: '1h', data: [{ secretKey: 'token', remoteRef: { key: 'token' } }] };
    await cluster.apply([
      { apiVersion: API, kind: 'ClusterSecretStore', metadata: { name: STORE }, spec: { provider: { fake: { data: [{ key: 'token', value: PLANTED }] } } } } as KubeObject,
      namespace(A, SELECT),
      namespace(B),
      // Not the ClusterExternalSecret's: it must stay as it is.
      externalSecret(CES, B, { ...esSpec, target: { name: 'theirs' } }),
      clusterExternalSecret(esSpec),
    ]);
    op = await startOperatorProcess({ ...fx.operator });

    const first = await waitSynced(A);
    assert.equal(first.metadata?.labels?.['keyferry.io/cluster-external-secret'], CES);
    assert.equal(first.metadata?.labels?.team, 'platform');
    const owner = (first.metadata?.ownerReferences as Array<{ kind?: string; controller?: boolean }> | undefined)?.[0];
    assert.equal(owner?.kind, 'ClusterExternalSecret');
    assert.equal(owner?.controller, true);
    const status = await waitFor(async () => { const s = await statusOf(); return s.failedNamespaces?.length ? s : undefined; }, 'failedNamespaces');
    assert.deepEqual(status.provisionedNamespaces, [A]);
    assert.equal(status.failedNamespaces?.[0]?.namespace, B);
    assert.match(status.failedNamespaces?.[0]?.reason ?? '', /does not own/);
    const ready = readyOf(await cluster.get(API, 'ClusterExternalSecret', CES));
    assert.equal(ready?.reason, 'NamespacesFailed');
    const theirs = await esIn(B);
    assert.equal(theirs?.metadata?.ownerReferences, undefined);
    assert.equal((theirs?.spec as { target?: { name?: string } }).target?.name, 'theirs');

    // A spec change reaches the ExternalSecrets it wrote.
    await cluster.apply(clusterExternalSecret({ ...esSpec, refreshInterval: '2h' }));
    await waitFor(async () => ((await esIn(A))?.spec as { refreshInterval?: string } | undefined)?.refreshInterval === '2h', `ExternalSecret in ${A} updated`);

    // A namespace added with the label gets one.
    await cluster.apply(namespace(C, SELECT));
    await waitSynced(C);
    await waitFor(async () => (await statusOf()).provisionedNamespaces?.join() === [A, C].join(), 'provisioned a and c');

    // The label removed: it goes.
    await cluster.apply(namespace(A));
    await waitFor(async () => !(await esIn(A)), `ExternalSecret in ${A} deleted`);
    await waitFor(async () => (await statusOf()).provisionedNamespaces?.join() === C, 'provisioned c only');

    // The namespace deleted: it is no longer provisioned.
    await cluster.delete('v1', 'Namespace', C);
    await waitFor(async () => (await statusOf()).provisionedNamespaces?.length === 0, 'provisioned none');
    assert.deepEqual((await statusOf()).failedNamespaces?.map((f) => f.namespace), [B]);
    // One update in all (the spec change): re-evaluations leave an ExternalSecret the API server defaulted alone.
    const updated = async () => (await cluster.list('v1', 'Event', 'default')).filter((e) => (e.involvedObject as { name?: string })?.name === CES && e.reason === 'Updated');
    assert.equal((await waitFor(async () => { const l = await updated(); return l.length ? l : undefined; }, 'an Updated Event')).length, 1);
    // Its writes are counted with the controller's other Kubernetes requests.
    const writes = (verb: string) => op!.metricValue('keyferry_kube_requests_total', { verb, resource: 'externalsecrets', outcome: 'success' });
    assert.equal(await writes('create'), 2, 'created in a and c');
    assert.equal(await writes('update'), 1, 'the spec change');
    // a's on the label's removal; c's too, when the namespace's deletion has not taken it first.
    assert.ok(((await writes('delete')) ?? 0) >= 1, 'the one in a deleted');
    await assertNothingLeaked(op, cluster, A, [PLANTED]);
    assert.ok(!JSON.stringify(await cluster.get(API, 'ClusterExternalSecret', CES)).includes(PLANTED));
  });

  it('its ExternalSecrets go with it (owner reference, garbage collection)', async function () {
    this.timeout(60_000);
    const { cluster } = fx;
    await cluster.apply(namespace(A, SELECT));
    await waitSynced(A);
    await cluster.delete(API, 'ClusterExternalSecret', CES);
    await waitFor(async () => !(await esIn(A)), `ExternalSecret in ${A} collected`, 30_000);
    assert.ok(await esIn(B), 'the unowned one stays');
  });
});
