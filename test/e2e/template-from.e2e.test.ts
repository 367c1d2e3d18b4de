// target.template.templateFrom on both clusters, with the operator's own RBAC on the real
// control plane: a ConfigMap and a Secret of the ExternalSecret's namespace, read by name,
// render into data and labels; a changed ConfigMap is written as a new version at the next
// refresh; a ConfigMap of that name in another namespace is never used. metadata's label and
// annotation values render too (ESO's engine v2), admitted by the CRD on both API servers. No
// value shows anywhere.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { assertNothingLeaked, decoded, eventually, externalSecret, fakeStore, forEachCluster, namespace, namespaceView, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const PLANTED = 'planted-template-from-e2e-5d1b';
const SOURCE = 'planted-source-secret-e2e-8e02';
const NS = 'tplfrom';

const configMap = (name: string, ns: string, data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });

forEachCluster('operator end to end: target.template.templateFrom', (kind) => {
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;
  const view = namespaceView(() => fx, NS);

  before(async function () {
    this.timeout(180_000);
    fx = await startClusterFixture(kind);
  });
  after(async function () {
    this.timeout(180_000);
    await op?.kill();
    await fx?.close();
  });

  it('renders a ConfigMap and a Secret of its namespace, and writes a changed ConfigMap at the next refresh', async function () {
    this.timeout(120_000);
    const { cluster } = fx;
    await cluster.apply([
      namespace(NS),
      namespace('elsewhere'),
      // Same name in another namespace: it must never be what renders.
      configMap('tpl', 'elsewhere', { 'app.conf': 'stolen' }),
      configMap('tpl', NS, { 'app.conf': 'user={{ .user }}\npassword={{ .password }}\n', labels: 'tier: "{{ .user }}"' }),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tpl-secret', namespace: NS }, stringData: { pair: `token: "${SOURCE}-{{ .user }}"` } },
      fakeStore('fake', NS, [{ key: 'db', value: JSON.stringify({ user: 'admin', password: PLANTED }) }]),
      externalSecret('app', NS, {
        secretStoreRef: { name: 'fake' },
        refreshInterval: '2s',
        dataFrom: [{ extract: { key: 'db' } }],
        target: {
          versioning: { retain: 1, minRetention: '0s' },
          template: {
            templateFrom: [
              { configMap: { name: 'tpl', items: [{ key: 'app.conf' }] } },
              { secret: { name: 'tpl-secret', items: [{ key: 'pair', templateAs: 'KeysAndValues' }] } },
              { configMap: { name: 'tpl', items: [{ key: 'labels', templateAs: 'KeysAndValues' }] }, target: 'Labels' },
            ],
            metadata: { labels: { owner: '{{ .user | upper }}' }, annotations: { 'example.com/digest': '{{ .password | sha256sum | trunc 12 }}' } },
          },
        },
      }),
    ]);
    op = await startOperatorProcess({ ...fx.operator });
    const es = await view.waitReady('app', 60_000);
    const first = (es.status as { currentSecretName: string }).currentSecretName;
    const secret = await cluster.get('v1', 'Secret', first, NS);
    assert.deepEqual(Object.keys((secret?.data ?? {}) as Record<string, string>).sort(), ['app.conf', 'token']);
    assert.equal(decoded(secret, 'app.conf'), `user=admin\npassword=${PLANTED}\n`);
    assert.equal(decoded(secret, 'token'), `${SOURCE}-admin`);
    assert.equal((secret?.metadata?.labels as Record<string, string>).tier, 'admin');
    assert.equal((secret?.metadata?.labels as Record<string, string>).owner, 'ADMIN');
    assert.match((secret?.metadata?.annotations as Record<string, string>)['example.com/digest']!, /^[0-9a-f]{12}$/);

    await cluster.apply([configMap('tpl', NS, { 'app.conf': 'v2 user={{ .user }}\n', labels: 'tier: "{{ .user }}"' })]);
    const second = await eventually(async () => {
      const name = ((await view.statusOf('app')) as { currentSecretName?: string }).currentSecretName;
      return name && name !== first ? name : undefined;
    }, 30_000 * fx.slow, 'a new version after the ConfigMap changed');
    assert.equal(await view.secretValue(second, 'app.conf'), 'v2 user=admin\n');
    await assertNothingLeaked(op, cluster, NS, [PLANTED, SOURCE]);
  });

  it('the API server refuses a templateFrom entry with two sources', async function () {
    this.timeout(30_000);
    await assert.rejects(
      fx.cluster.apply([externalSecret('two', NS, { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'db' } }], target: { template: { templateFrom: [{ literal: 'a: b', configMap: { name: 'tpl', items: [{ key: 'k' }] } }] } } })]),
      /a templateFrom entry must set exactly one of: configMap, secret, literal/,
    );
  });
});
