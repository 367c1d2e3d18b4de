import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, eventually, externalSecret, fakeStore, namespace, readyOf, startClusterFixture, type ClusterFixture } from './fixture.js';

const PLANTED = 'planted-s3cr3t-value-9f1c';

describe('operator end to end: sync', function () {
  this.timeout(60_000);
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;

  before(async () => {
    fx = await startClusterFixture();
  });
  after(async () => {
    await op?.kill();
    await fx?.close();
  });

  it('writes an immutable hash-named Secret, reports SecretSynced with currentSecretName and one Event', async () => {
    const { cluster } = fx;
    await cluster.apply([
      namespace('app'),
      fakeStore('fake', 'app', [{ key: 'db', value: JSON.stringify({ password: PLANTED, user: 'admin' }), version: 'v1' }]),
      externalSecret('db', 'app', {
        secretStoreRef: { name: 'fake' },
        refreshInterval: '1s',
        data: [{ secretKey: 'password', remoteRef: { key: 'db', property: 'password' } }, { secretKey: 'user', remoteRef: { key: 'db', property: 'user' } }],
        target: { name: 'db-creds', versioning: { retain: 1, minRetention: '0s' } },
      }),
    ]);
    op = await startOperatorProcess({ kubeconfigPath: fx.kubeconfigPath });
    const es = await eventually(() => {
      const obj = cluster.get(API, 'ExternalSecret', 'db', 'app');
      return readyOf(obj)?.status === 'True' ? obj : undefined;
    }, 20_000, 'ExternalSecret Ready');
    assert.equal(readyOf(es)!.reason, 'SecretSynced');
    const current = (es.status as { currentSecretName: string }).currentSecretName;
    assert.match(current, /^db-creds-[0-9a-f]{10}$/);
    const secret = cluster.get('v1', 'Secret', current, 'app')!;
    assert.equal(secret.immutable, true);
    const data = secret.data as Record<string, string>;
    assert.equal(Buffer.from(data.password!, 'base64').toString(), PLANTED);
    assert.equal(Buffer.from(data.user!, 'base64').toString(), 'admin');
    const events = await eventually(() => {
      const list = cluster.list('v1', 'Event', 'app').filter((e) => (e.involvedObject as { name?: string })?.name === 'db');
      return list.length > 0 ? list : undefined;
    }, 5000, 'an Event');
    assert.equal(events.length, 1);
  });
});

describe('operator end to end: --namespace scope', function () {
  this.timeout(60_000);
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;

  before(async () => {
    fx = await startClusterFixture();
  });
  after(async () => {
    await op?.kill();
    await fx?.close();
  });

  it('syncs ExternalSecrets of the watched namespace only', async () => {
    const { cluster } = fx;
    for (const ns of ['watched', 'ignored']) {
      await cluster.apply([
        namespace(ns),
        fakeStore('fake', ns, [{ key: 'k', value: 'v' }]),
        externalSecret('es', ns, { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] }),
      ]);
    }
    op = await startOperatorProcess({ kubeconfigPath: fx.kubeconfigPath, args: ['--namespace', 'watched'] });
    await eventually(() => readyOf(cluster.get(API, 'ExternalSecret', 'es', 'watched'))?.status === 'True', 20_000, 'watched ExternalSecret Ready');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(readyOf(cluster.get(API, 'ExternalSecret', 'es', 'ignored')), undefined);
    assert.equal(cluster.list('v1', 'Secret', 'ignored').length, 0);
  });
});
