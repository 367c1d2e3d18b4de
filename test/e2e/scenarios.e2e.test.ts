// The "Must show" scenarios of the sync controller, against one dev cluster and one
// operator process; each scenario has its own namespace.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, decoded, eventually, externalSecret, fakeStore, forEachCluster, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const PLANTED = ['planted-value-alpha-7c2e', 'planted-value-beta-41d9', 'planted-value-gamma-0b8a', 'planted-value-delta-9e13', 'planted-value-epsilon-5f60'];

forEachCluster('operator end to end: scenarios', function (kind) {
  this.timeout(90_000);
  let fx: ClusterFixture;
  let op: OperatorProcess;

  const es = (name: string, ns: string) => fx.cluster.get(API, 'ExternalSecret', name, ns);
  const statusOf = async (name: string, ns: string) => (await es(name, ns))?.status as { currentSecretName?: string; versions?: Array<{ name: string }> } | undefined;
  const waitReady = (name: string, ns: string, timeoutMs = 15_000) =>
    eventually(async () => { const o = await es(name, ns); return readyOf(o)?.status === 'True' ? o : undefined; }, timeoutMs * fx.slow, `${ns}/${name} Ready`);
  const waitReason = (name: string, ns: string, reason: string, timeoutMs = 15_000) =>
    eventually(async () => { const o = await es(name, ns); return readyOf(o)?.reason === reason ? o : undefined; }, timeoutMs * fx.slow, `${ns}/${name} ${reason}`);
  const events = async (ns: string, involved: string) => (await fx.cluster.list('v1', 'Event', ns)).filter((e) => (e.involvedObject as { name?: string }).name === involved);

  before(async () => {
    fx = await startClusterFixture(kind);
    await fx.cluster.apply([namespace('rotate'), namespace('late'), namespace('home'), namespace('other'), namespace('allowed'), namespace('denied'), namespace('bad'), namespace('owned')]);
    op = await startOperatorProcess({ ...fx.operator });
  });
  after(async () => {
    await op?.kill();
    await fx?.close();
  });

  it('changing the remote data makes a new version within one refresh, keeps `retain` previous ones and deletes the oldest', async () => {
    const { cluster } = fx;
    const store = (value: string) => fakeStore('fake', 'rotate', [{ key: 'api', value }]);
    await cluster.apply(store(PLANTED[0]!));
    await eventually(async () => readyOf(await cluster.get(API, 'SecretStore', 'fake', 'rotate'))?.reason === 'Valid', 10_000 * fx.slow, 'store Valid');
    await cluster.apply([externalSecret('api', 'rotate', {
      secretStoreRef: { name: 'fake' }, refreshInterval: '1s',
      data: [{ secretKey: 'token', remoteRef: { key: 'api' } }],
      target: { name: 'api', versioning: { retain: 1, minRetention: '0s' } },
    })]);
    const first = (await waitReady('api', 'rotate')).status as { currentSecretName: string };
    const names: string[] = [first.currentSecretName];
    for (const value of [PLANTED[1]!, PLANTED[2]!]) {
      // Creation timestamps have one-second resolution: keep versions in distinct seconds.
      await new Promise((r) => setTimeout(r, 1100));
      await cluster.apply(store(value));
      const next = await eventually(async () => {
        const s = await statusOf('api', 'rotate');
        return s?.currentSecretName && !names.includes(s.currentSecretName) ? s.currentSecretName : undefined;
      }, 3000 * fx.slow, 'a new version within one refresh');
      names.push(next);
    }
    await eventually(async () => (await managedSecrets(cluster, 'rotate', 'api')).length === 2, 5000 * fx.slow, 'the oldest version deleted');
    const left = (await managedSecrets(cluster, 'rotate', 'api')).map((s) => s.metadata!.name).sort();
    assert.deepEqual(left, [names[1], names[2]].sort(), 'current and one previous remain');
    const status = await eventually(async () => {
      const s = await statusOf('api', 'rotate');
      return s?.versions?.length === 2 ? s : undefined;
    }, 5000 * fx.slow, 'status versions');
    assert.equal(status.currentSecretName, names[2]);
    assert.deepEqual(status.versions!.map((v) => v.name), [names[2], names[1]]);
    const current = await cluster.get('v1', 'Secret', names[2]!, 'rotate');
    assert.equal(decoded(current, 'token'), PLANTED[2]);
  });

  it('shows StoreNotReady for a missing store and turns Ready within 2 s of the store appearing', async () => {
    const { cluster } = fx;
    await cluster.apply(externalSecret('waits', 'late', {
      secretStoreRef: { name: 'later' }, refreshInterval: '1h', data: [{ secretKey: 'k', remoteRef: { key: 'k' } }],
    }));
    const pending = await waitReason('waits', 'late', 'StoreNotReady');
    assert.equal(readyOf(pending)!.status, 'False');
    assert.match(readyOf(pending)!.message!, /later/);
    // Let the key's backoff grow past 2 s first, so only the store's re-trigger can be fast enough:
    // the work queue waits 1 s · 2^(n-1) after the n-th failure, 4 s after the third.
    await eventually(async () => ((await op.metricValue('externalsecret_sync_calls_error', { name: 'waits', namespace: 'late' })) ?? 0) >= 3, 20_000 * fx.slow, 'the third failed sync');
    const appeared = Date.now();
    await cluster.apply(fakeStore('later', 'late', [{ key: 'k', value: PLANTED[3]! }]));
    await waitReady('waits', 'late', 5000);
    const took = Date.now() - appeared;
    if (process.env.KEYFERRY_E2E_VERBOSE) console.log(`      Ready ${took} ms after the store appeared`);
    assert.ok(took < 2000, `Ready ${took} ms after the store appeared`);
    const store = await cluster.get(API, 'SecretStore', 'later', 'late');
    assert.equal(readyOf(store)?.reason, 'Valid');
  });

  it('refuses a SecretStore of another namespace and a ClusterSecretStore whose conditions exclude the namespace, writing nothing', async () => {
    const { cluster } = fx;
    await cluster.apply([
      fakeStore('home-store', 'home', [{ key: 'x', value: 'x-value' }]),
      externalSecret('steal', 'other', { secretStoreRef: { name: 'home-store' }, data: [{ secretKey: 'x', remoteRef: { key: 'x' } }] }),
      { apiVersion: API, kind: 'ClusterSecretStore', metadata: { name: 'shared' }, spec: { provider: { fake: { data: [{ key: 'x', value: 'x-value' }] } }, conditions: [{ namespaces: ['allowed'] }] } },
      externalSecret('use', 'allowed', { secretStoreRef: { name: 'shared', kind: 'ClusterSecretStore' }, data: [{ secretKey: 'x', remoteRef: { key: 'x' } }] }),
      externalSecret('use', 'denied', { secretStoreRef: { name: 'shared', kind: 'ClusterSecretStore' }, data: [{ secretKey: 'x', remoteRef: { key: 'x' } }] }),
    ]);
    // A SecretStore of another namespace reads as missing, and the message says nothing of it.
    const stolen = await waitReason('steal', 'other', 'StoreNotReady');
    assert.equal(readyOf(stolen)!.status, 'False');
    assert.match(readyOf(stolen)!.message!, /SecretStore "home-store" not found in namespace "other"/);
    assert.doesNotMatch(readyOf(stolen)!.message!, /home"|another namespace/);
    await waitReady('use', 'allowed');
    const denied = await waitReason('use', 'denied', 'NamespaceNotAllowed');
    assert.match(readyOf(denied)!.message!, /does not allow namespace "denied"/);
    assert.equal((await cluster.list('v1', 'Secret', 'other')).length, 0);
    assert.equal((await cluster.list('v1', 'Secret', 'denied')).length, 0);
  });

  it('refuses a SecretStore whose credential reference names another namespace, naming the field', async () => {
    const { cluster } = fx;
    await cluster.apply([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-token', namespace: 'other' }, data: { token: Buffer.from(PLANTED[4]!).toString('base64') } },
      {
        apiVersion: API, kind: 'SecretStore', metadata: { name: 'cross', namespace: 'home' },
        spec: { provider: { vault: { server: 'https://vault.example.invalid:8200', path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'vault-token', key: 'token', namespace: 'other' } } } } },
      },
    ]);
    const store = await eventually(async () => {
      const o = await cluster.get(API, 'SecretStore', 'cross', 'home');
      return readyOf(o)?.reason === 'InvalidProviderConfig' ? o : undefined;
    }, 10_000 * fx.slow, 'store InvalidProviderConfig');
    assert.equal(readyOf(store)!.status, 'False');
    assert.equal(readyOf(store)!.message, 'spec.provider.vault.auth.tokenSecretRef.namespace: a SecretStore may only reference objects in its own namespace; leave the namespace out, or use a ClusterSecretStore');
  });

  it('gives a bad spec one clear condition and bounded retries', async () => {
    const { cluster } = fx;
    // The store first: an ExternalSecret seen before its store would first (rightly) report that.
    await cluster.apply(fakeStore('fake', 'bad', [{ key: 'k', value: '{"a":"1"}' }]));
    await eventually(async () => readyOf(await cluster.get(API, 'SecretStore', 'fake', 'bad'))?.reason === 'Valid', 10_000 * fx.slow, 'store Valid');
    await cluster.apply([
      // Wrong in the spec itself: waits for a spec change.
      externalSecret('template', 'bad', {
        secretStoreRef: { name: 'fake' }, refreshInterval: '1s',
        data: [{ secretKey: 'a', remoteRef: { key: 'k', property: 'a' } }],
        target: { template: { data: { conn: 'x={{ .missing }}' } } },
      }),
      // Wrong against the remote data: retried with growing backoff.
      externalSecret('property', 'bad', {
        secretStoreRef: { name: 'fake' }, refreshInterval: '1s',
        data: [{ secretKey: 'a', remoteRef: { key: 'k', property: 'nope' } }],
      }),
    ]);
    const template = await waitReason('template', 'bad', 'InvalidSpec');
    assert.match(readyOf(template)!.message!, /spec\.target\.template\.data\.conn: refers to "missing"/);
    const property = await waitReason('property', 'bad', 'SecretSyncedError');
    assert.match(readyOf(property)!.message!, /spec\.data\[0\]\.remoteRef\.property/);
    const start = {
      template: (await op.metricValue('externalsecret_sync_calls_total', { name: 'template', namespace: 'bad' }))!,
      property: (await op.metricValue('externalsecret_sync_calls_total', { name: 'property', namespace: 'bad' }))!,
    };
    await new Promise((r) => setTimeout(r, 4000));
    const templateCalls = (await op.metricValue('externalsecret_sync_calls_total', { name: 'template', namespace: 'bad' }))! - start.template;
    const propertyCalls = (await op.metricValue('externalsecret_sync_calls_total', { name: 'property', namespace: 'bad' }))! - start.property;
    assert.equal(templateCalls, 0, 'a spec error is not retried until the spec changes');
    assert.ok(propertyCalls <= 3, `at most 3 retries in 4 s with backoff (saw ${propertyCalls})`);
    assert.equal((await events('bad', 'template')).length, 1, 'one Event for the one condition');
    assert.equal((await cluster.list('v1', 'Secret', 'bad')).length, 0);
  });

  it('deletes versions by cascade with creationPolicy Owner and keeps them with Orphan', async () => {
    const { cluster } = fx;
    await cluster.apply([
      fakeStore('fake', 'owned', [{ key: 'k', value: 'v' }]),
      externalSecret('owner', 'owned', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }], target: { name: 'owner', creationPolicy: 'Owner' } }),
      externalSecret('orphan', 'owned', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }], target: { name: 'orphan', creationPolicy: 'Orphan' } }),
    ]);
    await waitReady('owner', 'owned');
    await waitReady('orphan', 'owned');
    assert.equal((await managedSecrets(cluster, 'owned', 'owner')).length, 1);
    assert.equal((await managedSecrets(cluster, 'owned', 'orphan')).length, 1);
    await cluster.delete(API, 'ExternalSecret', 'owner', 'owned');
    await cluster.delete(API, 'ExternalSecret', 'orphan', 'owned');
    // On the real cluster this is kube-controller-manager's garbage collector at work. It learns
    // of custom resources by rediscovering the API every 30 s, so on a control plane started just
    // before this suite it may not watch ExternalSecrets yet: up to a minute more.
    await eventually(async () => (await managedSecrets(cluster, 'owned', 'owner')).length === 0, fx.kind === 'real' ? 75_000 : 5000, 'owned versions gone');
    assert.equal((await managedSecrets(cluster, 'owned', 'orphan')).length, 1);
  });

  it('exposes the ESO metrics with values that match the scenarios', async () => {
    const text = await op.metrics();
    for (const name of ['externalsecret_sync_calls_total', 'externalsecret_sync_calls_error', 'externalsecret_status_condition', 'externalsecret_reconcile_duration']) {
      assert.match(text, new RegExp(`^${name}\\{`, 'm'), `${name} present`);
    }
    assert.ok((await op.metricValue('externalsecret_sync_calls_total', { name: 'api', namespace: 'rotate' }))! >= 3);
    assert.equal(await op.metricValue('externalsecret_status_condition', { name: 'api', namespace: 'rotate', condition: 'Ready', status: 'True' }), 1);
    assert.equal(await op.metricValue('externalsecret_status_condition', { name: 'api', namespace: 'rotate', condition: 'Ready', status: 'False' }), 0);
    assert.equal(await op.metricValue('externalsecret_status_condition', { name: 'use', namespace: 'denied', condition: 'Ready', status: 'False' }), 1);
    assert.ok((await op.metricValue('externalsecret_sync_calls_error', { name: 'property', namespace: 'bad' }))! >= 1);
    // The store's spec changes under the refreshes: a fetch it stopped runs again, it is no failure.
    const apiErrors = await op.metricValue('externalsecret_sync_calls_error', { name: 'api', namespace: 'rotate' });
    const apiWarnings = () => op.output().split('\n').filter((l) => l.includes('rotate') && /"level":"(warn|error)"/.test(l)).join('\n');
    assert.equal(apiErrors, undefined, `rotate/api: reconcile error(s); the operator's warnings:\n${apiWarnings()}`);
    assert.ok((await op.metricValue('externalsecret_reconcile_duration', { name: 'api', namespace: 'rotate' }))! >= 0);
    assert.ok((await op.metricValue('externalsecret_provider_api_calls_count', { provider: 'fake', call: 'GetSecret' }))! > 0);
    const health = await fetch(`${op.healthUrl}/readyz`);
    assert.equal(health.status, 200);
  });

  it('never shows a planted value in logs, Events or status', async () => {
    const everything: KubeObject[] = [
      ...await fx.cluster.list('v1', 'Event'),
      ...await fx.cluster.list(API, 'ExternalSecret'),
      ...(await fx.cluster.list(API, 'SecretStore')).map((s) => ({ status: s.status }) as KubeObject),
    ];
    const haystacks = [op.output(), JSON.stringify(everything)];
    for (const value of PLANTED) {
      for (const h of haystacks) assert.ok(!h.includes(value) && !h.includes(Buffer.from(value).toString('base64')), 'planted value leaked');
    }
    assert.ok(op.output().length > 0);
  });
});
