// dataFrom's remote names becoming Secret keys, on both clusters: the API server takes
// rewrite[].transform and conversionStrategy and refuses a rewrite with two methods (the CRD's
// rule); the operator writes the keys ESO would, and a transform that does not parse is
// InvalidSpec while the version already written keeps serving. No value shows anywhere.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { assertNothingLeaked, decoded, eventually, externalSecret, fakeStore, forEachCluster, namespace, namespaceView, startClusterFixture, type ClusterFixture } from './fixture.js';

const PLANTED = 'planted-key-rewrite-value-4b7a';
const NS = 'keys';

forEachCluster('operator end to end: dataFrom keys (rewrite transform, conversionStrategy)', (kind) => {
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

  it('the API server refuses a rewrite setting both regexp and transform', async function () {
    this.timeout(30_000);
    await fx.cluster.apply([namespace(NS)]);
    await assert.rejects(
      fx.cluster.apply([externalSecret('both', NS, { secretStoreRef: { name: 'fake' }, dataFrom: [{ find: { name: { regexp: '.' } }, rewrite: [{ regexp: { source: 'a', target: 'b' }, transform: { template: '{{ .value }}' } }] }] })]),
      /a rewrite must set exactly one of: regexp, transform/,
    );
  });

  it('writes the keys a transform and conversionStrategy make; a transform that does not parse is InvalidSpec and the version stays', async function () {
    this.timeout(120_000);
    const { cluster } = fx;
    await cluster.apply([
      fakeStore('fake', NS, [
        { key: 'app/db-user', value: 'admin' },
        { key: 'app/db-pass', value: PLANTED },
        { key: 'json', value: JSON.stringify({ 'api key': PLANTED, 'region/name': 'eu' }) },
      ]),
      externalSecret('keys', NS, {
        secretStoreRef: { name: 'fake' },
        dataFrom: [
          { find: { name: { regexp: '^app/' } }, rewrite: [{ regexp: { source: '^app/', target: '' } }, { transform: { template: '{{ .value | upper | replace "-" "_" }}' } }] },
          { extract: { key: 'json', conversionStrategy: 'Unicode' } },
          { extract: { key: 'json' } },
        ],
      }),
    ]);
    op = await startOperatorProcess({ ...fx.operator });
    const es = await view.waitReady('keys', 60_000);
    const current = (es.status as { currentSecretName: string }).currentSecretName;
    const secret = await cluster.get('v1', 'Secret', current, NS);
    assert.deepEqual(Object.keys((secret?.data ?? {}) as Record<string, string>).sort(), ['DB_PASS', 'DB_USER', 'api_U0020_key', 'api_key', 'region_U002f_name', 'region_name']);
    assert.equal(decoded(secret, 'DB_PASS'), PLANTED);
    assert.equal(decoded(secret, 'api_U0020_key'), PLANTED);
    assert.equal(decoded(secret, 'region_name'), 'eu');

    const spec = (es.spec ?? {}) as Record<string, unknown>;
    const dataFrom = structuredClone(spec.dataFrom) as Array<{ rewrite?: Array<{ transform?: { template: string } }> }>;
    dataFrom[0]!.rewrite![1]!.transform!.template = '{{ .value | upper';
    await cluster.apply([externalSecret('keys', NS, { ...spec, dataFrom })]);
    const failed = await view.waitReason('keys', 'InvalidSpec', 30_000);
    assert.match(failed.message ?? '', /^spec\.dataFrom\[0\]\.rewrite\[1\]\.transform\.template: template: transform:1: unclosed action/);
    assert.equal((await view.statusOf('keys') as { currentSecretName?: string }).currentSecretName, current);
    assert.ok(await cluster.get('v1', 'Secret', current, NS), 'the version written stays');
    await eventually(async () => (await cluster.list('v1', 'Event', NS)).some((e) => e.reason === 'InvalidSpec'), 10_000 * fx.slow, 'an InvalidSpec Event');
    await assertNothingLeaked(op, cluster, NS, [PLANTED]);
  });
}, ['dev', 'real']);
