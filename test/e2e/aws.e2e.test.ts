// End to end for AWS Secrets Manager: the operator process against each e2e cluster (dev and
// real) and the local Secrets Manager + STS server, once per auth mode: static keys from a Secret, web
// identity (a TokenRequest token exchanged with AssumeRoleWithWebIdentity) and the SDK's
// default chain (fed from the operator's environment, so nothing leaves 127.0.0.1).
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { AwsTestServer } from '../support/aws/aws-server.js';
import { API, eventually, externalSecret, forEachCluster, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject, namespaceView, assertNothingLeaked } from './fixture.js';

const NS = 'aws';
const KEY_ID = 'AKIAKEYFERRYE2E00001';
const SECRET_KEY = 'e2eSecretAccessKey/planted+0123456789abcd';
const ENV_KEY_ID = 'AKIAKEYFERRYE2EENV01';
const ENV_SECRET_KEY = 'e2eEnvSecretAccessKey/planted+0123456789ab';
const WRONG_KEY = 'wrong-secret-access-key-planted-000000000';
const WEB_ROLE = 'arn:aws:iam::123456789012:role/keyferry-e2e';
const PLANTED = ['planted-aws-value-one-6d1b', 'planted-aws-value-two-a93f', 'planted-aws-pinned-27c4'];
const PLANTED_TAGS = ['planted-aws-tag-5e1c', 'planted-aws-tag-0b7d'];

interface EsStatus {
  currentSecretName?: string;
  versions?: Array<{ name: string; remoteVersions?: Record<string, string> }>;
}

forEachCluster('operator end to end: aws', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let aws: AwsTestServer;
  let op: OperatorProcess;
  let pinnedVersion: string;

  const { es, statusOf, secretValue, waitReady, waitReason } = namespaceView<EsStatus>(() => fx, NS);

  const ref = (key: string) => ({ name: 'aws-creds', key });
  const store = (name: string, extra: Record<string, unknown>): KubeObject => ({
    apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: NS },
    spec: { provider: { aws: { region: 'us-east-1', endpoint: aws.url, stsEndpoint: aws.url, ...extra } } },
  });
  const sync = (name: string, storeName: string, remoteRef: Record<string, unknown>): KubeObject => externalSecret(name, NS, {
    secretStoreRef: { name: storeName }, refreshInterval: '1s',
    data: [{ secretKey: 'value', remoteRef }],
    target: { name, versioning: { retain: 2, minRetention: '0s' } },
  });

  before(async () => {
    fx = await startClusterFixture(kind);
    aws = new AwsTestServer({
      users: [
        { accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY, allow: (n) => !n.startsWith('forbidden/') },
        { accessKeyId: ENV_KEY_ID, secretAccessKey: ENV_SECRET_KEY },
      ],
      roles: [{ arn: WEB_ROLE, webIdentitySubjects: [`system:serviceaccount:${NS}:keyferry`] }],
      oidcProviders: [{ issuer: fx.cluster.issuer.issuer, audiences: ['sts.amazonaws.com'] }],
      // Inside the SDK's 5-minute refresh window: web identity credentials are re-obtained
      // (with a newly minted ServiceAccount token) while the operator runs.
      credentialTtlSeconds: 60,
    });
    await aws.start();
    aws.store.put('db/creds', JSON.stringify({ password: PLANTED[0], user: 'app' }), { tags: { team: PLANTED_TAGS[0]!, tier: 'gold' } });
    pinnedVersion = aws.store.put('pinned', PLANTED[2]!);
    aws.store.put('pinned', 'newer-than-the-pin');
    aws.store.put('removable', 'here-for-now');
    aws.store.put('forbidden/x', PLANTED[2]!);

    await fx.cluster.apply([
      namespace(NS),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'keyferry', namespace: NS } },
      {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aws-creds', namespace: NS },
        data: {
          id: Buffer.from(KEY_ID).toString('base64'),
          secret: Buffer.from(SECRET_KEY).toString('base64'),
          wrong: Buffer.from(WRONG_KEY).toString('base64'),
        },
      },
      store('sm-static', { auth: { secretRef: { accessKeyIDSecretRef: ref('id'), secretAccessKeySecretRef: ref('secret') } } }),
      // The two that keep failing each have a store of their own, so each attempt is a
      // GetSecretValue whose status the metric counts: failing in step (same start, same
      // backoff) on one store, they would share every BatchGetSecretValue, a call that succeeds.
      store('sm-missing', { auth: { secretRef: { accessKeyIDSecretRef: ref('id'), secretAccessKeySecretRef: ref('secret') } } }),
      store('sm-forbidden', { auth: { secretRef: { accessKeyIDSecretRef: ref('id'), secretAccessKeySecretRef: ref('secret') } } }),
      store('sm-web', { role: WEB_ROLE, auth: { jwt: { serviceAccountRef: { name: 'keyferry' } } } }),
      store('sm-chain', {}),
      store('sm-wrong-key', { auth: { secretRef: { accessKeyIDSecretRef: ref('id'), secretAccessKeySecretRef: ref('wrong') } } }),
      store('sm-unreachable', { endpoint: 'http://127.0.0.1:9', auth: { secretRef: { accessKeyIDSecretRef: ref('id'), secretAccessKeySecretRef: ref('secret') } } }),
      sync('db-static', 'sm-static', { key: 'db/creds', property: 'password' }),
      sync('db-web', 'sm-web', { key: 'db/creds', property: 'password' }),
      sync('db-chain', 'sm-chain', { key: 'db/creds', property: 'password' }),
      sync('pinned', 'sm-static', { key: 'pinned', version: `uuid/${pinnedVersion}` }),
      externalSecret('db-tags', NS, {
        secretStoreRef: { name: 'sm-static' }, refreshInterval: '1s',
        data: [
          { secretKey: 'password', remoteRef: { key: 'db/creds', property: 'password' } },
          { secretKey: 'team', remoteRef: { key: 'db/creds', metadataPolicy: 'Fetch', property: 'team' } },
          { secretKey: 'tags', remoteRef: { key: 'db/creds', metadataPolicy: 'Fetch' } },
        ],
        target: { name: 'db-tags', versioning: { retain: 2, minRetention: '0s' } },
      }),
      sync('removable', 'sm-static', { key: 'removable' }),
      sync('missing', 'sm-missing', { key: 'no-such-secret' }),
      sync('forbidden', 'sm-forbidden', { key: 'forbidden/x' }),
      sync('bad-credentials', 'sm-wrong-key', { key: 'db/creds' }),
      sync('unreachable', 'sm-unreachable', { key: 'db/creds' }),
    ]);
    op = await startOperatorProcess({
      ...fx.operator,
      // The default-chain store is a namespaced SecretStore: ambient credentials need the flag.
      args: ['--allow-ambient-credentials-in-secretstores'],
      env: { ...fx.operator.env, AWS_ACCESS_KEY_ID: ENV_KEY_ID, AWS_SECRET_ACCESS_KEY: ENV_SECRET_KEY, AWS_EC2_METADATA_DISABLED: 'true', AWS_PROFILE: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
  });

  after(async () => {
    await op?.kill();
    await aws?.close();
    await fx?.close();
  });

  it('syncs a versioned Secret through each auth mode, with the AWS VersionId in status', async () => {
    const currentId = aws.store.selectVersion(aws.store.lookup('db/creds')!)!.versionId;
    for (const name of ['db-static', 'db-web', 'db-chain']) {
      const obj = await waitReady(name);
      const status = obj.status as EsStatus;
      assert.match(status.currentSecretName!, new RegExp(`^${name}-[0-9a-f]{10}$`));
      assert.equal(await secretValue(status.currentSecretName!, 'value'), PLANTED[0]);
      assert.equal((await fx.cluster.get('v1', 'Secret', status.currentSecretName!, NS))?.immutable, true);
      assert.ok(Object.values(status.versions?.[0]?.remoteVersions ?? {}).includes(currentId), `${name} records the remote VersionId`);
    }
    assert.ok((aws.calls.AssumeRoleWithWebIdentity ?? 0) >= 1);
    // The SDK versions are pinned to releases that support Node 20: no reminder that later ones need Node 22.
    assert.doesNotMatch(op.output(), /NodeVersionSupportWarning|require node >=22/);
  });

  it('a new AWS version produces a new Secret version; a pinned VersionId keeps the old value', async () => {
    const names = ['db-static', 'db-web', 'db-chain'];
    const before = new Map(await Promise.all(names.map(async (name) => [name, (await statusOf(name)).currentSecretName!] as const)));
    const pinnedBefore = (await waitReady('pinned')).status as EsStatus;
    assert.equal(await secretValue(pinnedBefore.currentSecretName!, 'value'), PLANTED[2]);
    const exchangesBefore = aws.calls.AssumeRoleWithWebIdentity ?? 0;
    await new Promise((r) => setTimeout(r, 1100)); // distinct creation seconds for the versions
    aws.store.put('db/creds', JSON.stringify({ password: PLANTED[1], user: 'app' }));
    for (const name of names) {
      const next = await eventually(async () => {
        const current = (await statusOf(name)).currentSecretName;
        return current && current !== before.get(name) ? current : undefined;
      }, 20_000 * fx.slow, `${name} rotated`);
      assert.equal(await secretValue(next, 'value'), PLANTED[1]);
      assert.equal(await secretValue(before.get(name)!, 'value'), PLANTED[0], 'the previous version is untouched');
    }
    assert.equal((await managedSecrets(fx.cluster, NS, 'db-static')).length, 2, 'the previous version is retained');
    assert.ok((aws.calls.AssumeRoleWithWebIdentity ?? 0) > exchangesBefore, 'short-lived web identity credentials were renewed mid-run');
    aws.store.put('pinned', 'yet-another-latest');
    await new Promise((r) => setTimeout(r, 2500 * fx.slow)); // two refresh intervals (more where reconciles are slower)
    assert.equal((await statusOf('pinned')).currentSecretName, pinnedBefore.currentSecretName);
    assert.equal(readyOf(await es('pinned'))?.status, 'True');
  });

  it('survives STS credentials the service expired early', async () => {
    const before = (await statusOf('db-web')).currentSecretName;
    aws.expireTemporaryCredentials();
    await new Promise((r) => setTimeout(r, 1100));
    aws.store.put('db/creds', JSON.stringify({ password: 'after-expiry-value', user: 'app' }));
    const next = await eventually(async () => {
      const current = (await statusOf('db-web')).currentSecretName;
      return current && current !== before ? current : undefined;
    }, 20_000 * fx.slow, 'db-web rotated after credential expiry');
    assert.equal(await secretValue(next, 'value'), 'after-expiry-value');
    assert.equal(readyOf(await es('db-web'))?.status, 'True');
  });

  it('metadataPolicy Fetch writes the secret\'s tags (DescribeSecret) beside its value; a changed tag is a new version', async () => {
    await waitReady('db-tags');
    const password = (JSON.parse(aws.store.selectVersion(aws.store.lookup('db/creds')!)!.secretString!) as { password: string }).password;
    // Earlier tests rotate the value: wait for the version that has the current one.
    const first = await eventually(async () => {
      const current = (await statusOf('db-tags')).currentSecretName;
      return current && (await secretValue(current, 'password')) === password ? current : undefined;
    }, 20_000 * fx.slow, 'db-tags holds the current value');
    assert.equal(await secretValue(first, 'team'), PLANTED_TAGS[0]);
    assert.equal(await secretValue(first, 'tags'), `{"team":"${PLANTED_TAGS[0]}","tier":"gold"}`);
    assert.ok((aws.calls.DescribeSecret ?? 0) >= 1);
    // Tags change without a new version of the value.
    aws.store.lookup('db/creds')!.tags = [{ Key: 'team', Value: PLANTED_TAGS[1]! }, { Key: 'tier', Value: 'gold' }];
    const next = await eventually(async () => {
      const current = (await statusOf('db-tags')).currentSecretName;
      return current && current !== first ? current : undefined;
    }, 20_000 * fx.slow, 'db-tags has a new version');
    assert.equal(await secretValue(next, 'team'), PLANTED_TAGS[1]);
    assert.equal(await secretValue(next, 'password'), password, 'the value entry still reads the value');
  });

  it('a removed remote secret gives Ready=False and keeps the existing Secret', async () => {
    const ready = (await waitReady('removable')).status as EsStatus;
    aws.store.forceDelete('removable');
    const condition = await waitReason('removable', 'Stale');
    assert.equal(condition.status, 'False');
    assert.match(condition.message ?? '', /^NotFound: /);
    assert.equal((await statusOf('removable')).currentSecretName, ready.currentSecretName);
    assert.equal(await secretValue(ready.currentSecretName!, 'value'), 'here-for-now');
  });

  it('each error class ends up as its typed error, condition and metric status, with no credential, signature or value in any text', async () => {
    assert.match((await waitReason('missing', 'SecretSyncedError')).message ?? '', /^NotFound: /);
    assert.match((await waitReason('forbidden', 'SecretSyncedError')).message ?? '', /^Auth: /);
    assert.match((await waitReason('bad-credentials', 'SecretSyncedError')).message ?? '', /^Auth: .*InvalidSignature/);
    assert.match((await waitReason('unreachable', 'SecretSyncedError')).message ?? '', /^Unavailable: /);

    aws.failNext('GetSecretValue', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, 2);
    const metric = (status: string, call = 'GetSecretValue') => op.metricValue('externalsecret_provider_api_calls_count', { provider: 'aws', call, status });
    await eventually(async () => ((await metric('ThrottlingException')) ?? 0) >= 1, 20_000 * fx.slow, 'a throttled call counted');
    aws.unavailable = true;
    await eventually(async () => ((await metric('ServiceUnavailableException')) ?? 0) >= 1, 20_000 * fx.slow, 'a 503 counted');
    aws.unavailable = false;

    assert.ok(((await metric('200')) ?? 0) > 0);
    assert.ok(((await metric('ResourceNotFoundException')) ?? 0) > 0);
    assert.ok(((await metric('AccessDeniedException')) ?? 0) > 0);
    assert.ok(((await metric('InvalidSignatureException')) ?? 0) > 0);
    assert.ok(((await metric('ECONNREFUSED')) ?? 0) > 0);
    assert.equal(await op.metricValue('externalsecret_status_condition', { name: 'missing', namespace: NS, condition: 'Ready', status: 'False' }), 1);
    // Once the endpoint is back, the last good version keeps serving and the sync recovers.
    await eventually(async () => (await op.metricValue('externalsecret_status_condition', { name: 'db-static', namespace: NS, condition: 'Ready', status: 'True' })) === 1, 20_000 * fx.slow, 'db-static Ready again');

    await assertNothingLeaked(op, fx.cluster, NS, [SECRET_KEY, ENV_SECRET_KEY, WRONG_KEY, KEY_ID, ...PLANTED, ...PLANTED_TAGS, 'after-expiry-value', 'eyJ', 'Signature=', 'X-Amz-Security-Token']);
  });
});
