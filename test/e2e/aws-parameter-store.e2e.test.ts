// End to end for `service: ParameterStore`: the operator process against each e2e cluster
// (dev and real) and the local AWS endpoint's SSM Parameter Store, with static keys: single
// and batched reads, a pinned version, a JSON property, `dataFrom.extract`, `dataFrom.find`
// by path, a new parameter version becoming a new Secret version, and a missing parameter.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { AwsTestServer } from '../support/aws/aws-server.js';
import { API, eventually, externalSecret, forEachCluster, namespace, startClusterFixture, type ClusterFixture, namespaceView, assertNothingLeaked } from './fixture.js';

const NS = 'aws-ssm';
const KEY_ID = 'AKIAKEYFERRYE2ESSM01';
const SECRET_KEY = 'e2eSsmSecretAccessKey/planted+0123456789a';
const PLANTED = ['planted-ssm-password-5e1c', 'planted-ssm-rotated-0b7a', 'planted-ssm-pinned-c2d8', 'planted-ssm-config-91fe'];
const PLANTED_TAG = 'planted-ssm-tag-7a40';

interface EsStatus {
  currentSecretName?: string;
  versions?: Array<{ name: string; remoteVersions?: Record<string, string> }>;
}

forEachCluster('operator end to end: aws ParameterStore', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let aws: AwsTestServer;
  let op: OperatorProcess;

  const { statusOf, secretValue, waitReady, waitReason } = namespaceView<EsStatus>(() => fx, NS);
  const ref = (key: string) => ({ name: 'aws-creds', key });
  const es = (name: string, spec: Record<string, unknown>) => externalSecret(name, NS, {
    secretStoreRef: { name: 'ssm' }, refreshInterval: '1s', target: { name, versioning: { retain: 2, minRetention: '0s' } }, ...spec,
  });

  before(async () => {
    fx = await startClusterFixture(kind);
    aws = new AwsTestServer({ users: [{ accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY }] });
    await aws.start();
    const ps = aws.parameters;
    ps.put('/app/db', JSON.stringify({ user: 'app', password: PLANTED[0] }), { type: 'SecureString' });
    ps.put('/app/pinned', PLANTED[2]!);
    ps.put('/app/pinned', 'newer-than-the-pin');
    ps.put('/app/config/host', 'db.internal', { tags: { owner: PLANTED_TAG } });
    ps.put('/app/config/port', '5432');
    ps.put('/app/config/token', PLANTED[3]!, { type: 'SecureString' });

    await fx.cluster.apply([
      namespace(NS),
      {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aws-creds', namespace: NS },
        data: { id: Buffer.from(KEY_ID).toString('base64'), secret: Buffer.from(SECRET_KEY).toString('base64') },
      },
      {
        apiVersion: API, kind: 'SecretStore', metadata: { name: 'ssm', namespace: NS },
        spec: { provider: { aws: { service: 'ParameterStore', region: 'us-east-1', endpoint: aws.url, stsEndpoint: aws.url, auth: { secretRef: { accessKeyIDSecretRef: ref('id'), secretAccessKeySecretRef: ref('secret') } } } } },
      },
      es('db', {
        data: [
          { secretKey: 'password', remoteRef: { key: '/app/db', property: 'password' } },
          { secretKey: 'host', remoteRef: { key: '/app/config/host' } },
          { secretKey: 'pinned', remoteRef: { key: '/app/pinned', version: '1' } },
        ],
      }),
      es('extracted', { dataFrom: [{ extract: { key: '/app/db' } }] }),
      es('found', { dataFrom: [{ find: { path: '/app/config' }, rewrite: [{ regexp: { source: '^/app/config/', target: '' } }] }] }),
      es('missing', { data: [{ secretKey: 'value', remoteRef: { key: '/app/nope' } }] }),
      es('tags', {
        data: [
          { secretKey: 'owner', remoteRef: { key: '/app/config/host', metadataPolicy: 'Fetch', property: 'owner' } },
          { secretKey: 'tags', remoteRef: { key: '/app/config/host', metadataPolicy: 'Fetch' } },
        ],
      }),
    ]);
    op = await startOperatorProcess(fx.operator);
  });

  after(async () => {
    await op?.kill();
    await aws?.close();
    await fx?.close();
  });

  it('syncs properties, pinned versions, extract and find from SSM, batching reads with GetParameters', async () => {
    const db = (await waitReady('db')).status as EsStatus;
    assert.equal(await secretValue(db.currentSecretName!, 'password'), PLANTED[0]);
    assert.equal(await secretValue(db.currentSecretName!, 'host'), 'db.internal');
    assert.equal(await secretValue(db.currentSecretName!, 'pinned'), PLANTED[2]);
    assert.equal((await fx.cluster.get('v1', 'Secret', db.currentSecretName!, NS))?.immutable, true);
    const extracted = (await waitReady('extracted')).status as EsStatus;
    assert.equal(await secretValue(extracted.currentSecretName!, 'user'), 'app');
    assert.equal(await secretValue(extracted.currentSecretName!, 'password'), PLANTED[0]);
    const found = (await waitReady('found')).status as EsStatus;
    assert.equal(await secretValue(found.currentSecretName!, 'host'), 'db.internal');
    assert.equal(await secretValue(found.currentSecretName!, 'port'), '5432');
    assert.equal(await secretValue(found.currentSecretName!, 'token'), PLANTED[3]);
    assert.ok((aws.calls.GetParameters ?? 0) >= 1, 'reads went through GetParameters');
    assert.ok((aws.calls.GetParametersByPath ?? 0) >= 1, 'find listed the path');
    const sizes = aws.parameters.log.filter((c) => c.operation === 'GetParameters').map((c) => (c.input.Names as string[]).length);
    assert.ok(sizes.every((n) => n >= 1 && n <= 10), `GetParameters batches of 1 to 10 names: ${sizes.join(',')}`);
    assert.ok(aws.parameters.log.filter((c) => c.operation === 'GetParameters').some((c) => (c.input.Names as string[]).includes('/app/pinned:1')), 'the pinned version was read as name:version');
    assert.doesNotMatch(op.output(), /NodeVersionSupportWarning|require node >=22/);
  });

  it('a new parameter version produces a new Secret version; the pinned one stays', async () => {
    const before = (await waitReady('db')).status as EsStatus;
    await new Promise((r) => setTimeout(r, 1100)); // distinct creation seconds for the versions
    aws.parameters.put('/app/db', JSON.stringify({ user: 'app', password: PLANTED[1] }), { type: 'SecureString' });
    const next = await eventually(async () => {
      const current = (await statusOf('db')).currentSecretName;
      return current && current !== before.currentSecretName ? current : undefined;
    }, 20_000 * fx.slow, 'db rotated');
    assert.equal(await secretValue(next, 'password'), PLANTED[1]);
    assert.equal(await secretValue(next, 'pinned'), PLANTED[2]);
    assert.equal(await secretValue(before.currentSecretName!, 'password'), PLANTED[0], 'the previous version is untouched');
  });

  it('metadataPolicy Fetch writes the parameter\'s tags, read with ListTagsForResource', async () => {
    const tags = (await waitReady('tags')).status as EsStatus;
    assert.equal(await secretValue(tags.currentSecretName!, 'owner'), PLANTED_TAG);
    assert.equal(await secretValue(tags.currentSecretName!, 'tags'), `{"owner":"${PLANTED_TAG}"}`);
    assert.ok(aws.parameters.log.some((c) => c.operation === 'ListTagsForResource' && c.input.ResourceId === '/app/config/host'));
  });

  it('a missing parameter is NotFound, with no credential or value in any text', async () => {
    assert.match((await waitReason('missing', 'SecretSyncedError')).message ?? '', /^NotFound: /);
    await assertNothingLeaked(op, fx.cluster, NS, [SECRET_KEY, KEY_ID, ...PLANTED, PLANTED_TAG, 'Signature=']);
  });
});
