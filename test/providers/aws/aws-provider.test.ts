// Wire tests: the real AWS SDK, built by the provider's `connect`, against the local
// Secrets Manager + STS server, with tokens minted by the dev cluster's TokenRequest API.
import assert from 'node:assert/strict';
import { startDevCluster, type DevCluster } from '../../../src/devcluster/dev-cluster.js';
import { createAwsProvider } from '../../../providers/aws/index.js';
import type { AwsConfig } from '../../../providers/aws/index.js';
import {
  ConfigError,
  extractAll,
  isAuthError,
  isConfigError,
  isNotFound,
  isProviderError,
  isThrottled,
  isUnavailable,
  readUserMetadata,
  selectProperty,
  type ProviderClient,
  type ProviderError,
  type RemoteSecret,
} from '../../../providers/contract/index.js';
import { AwsTestServer } from '../../support/aws/aws-server.js';
import { makeTestDeps, type TestDeps } from '../../support/aws/provider-deps.js';
import { compileUserPattern } from '../../../src/controller/user-pattern.js';
import { Registry } from 'prom-client';
import { FetchPath } from '../../../src/fetch/fetch-path.js';
import type { StoreHandle } from '../../../src/fetch/remote-fetcher.js';

const accessKeyId = 'AKIAKEYFERRYTEST0001';
const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYKEYFERRY01';
const plantedValue = 'planted-Value-7c1f2e9a';
const webRole = 'arn:aws:iam::123456789012:role/keyferry-web';
const chainRole = 'arn:aws:iam::123456789012:role/keyferry-chain';
const provider = createAwsProvider({ maxAttempts: 1, requestTimeoutMs: 3000 });

describe('aws provider (wire)', function () {
  let cluster: DevCluster;
  let server: AwsTestServer;
  const clients: ProviderClient[] = [];

  before(async () => {
    cluster = await startDevCluster();
    await cluster.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'puller', namespace: 'team-a' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'stranger', namespace: 'team-a' } },
    ]);
  });

  after(async () => {
    await cluster.stop();
  });

  beforeEach(async () => {
    server = new AwsTestServer({
      users: [
        { accessKeyId, secretAccessKey, allow: (name) => !name.startsWith('forbidden/') },
      ],
      roles: [
        { arn: webRole, webIdentitySubjects: ['system:serviceaccount:team-a:puller'], allow: (name) => !name.startsWith('forbidden/') },
        { arn: chainRole, trustedAccessKeyIds: [accessKeyId] },
      ],
      oidcProviders: [{ issuer: cluster.issuer.issuer, audiences: ['sts.amazonaws.com'] }],
    });
    await server.start();
    server.store.put('db/creds', JSON.stringify({ user: 'app', password: plantedValue, nested: { host: 'db.local', port: 5432 } }), { tags: { team: 'a', env: 'prod' } });
    server.store.put('api/token', 'tok-1', { tags: { team: 'b' } });
    server.store.put('blob', Buffer.from([0, 1, 2, 254, 255]));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server.close();
  });

  function staticConfig(extra: Partial<AwsConfig> = {}): AwsConfig {
    return {
      region: 'us-east-1',
      endpoint: server.url,
      stsEndpoint: server.url,
      auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws', key: 'id' }, secretAccessKeySecretRef: { name: 'aws', key: 'secret' } } },
      ...extra,
    };
  }

  function staticDeps(secret = secretAccessKey): TestDeps {
    return makeTestDeps({ secrets: { 'team-a/aws': { id: accessKeyId, secret } } });
  }

  function webConfig(sa = 'puller', audiences?: string[]): AwsConfig {
    return { region: 'us-east-1', endpoint: server.url, stsEndpoint: server.url, role: webRole, auth: { jwt: { serviceAccountRef: { name: sa, audiences } } } };
  }

  function webDeps(): TestDeps {
    return makeTestDeps({ cluster: { url: cluster.url, bearer: 'keyferry-dev' } });
  }

  async function connect(config: AwsConfig, deps: TestDeps): Promise<ProviderClient> {
    const client = await provider.connect(config, deps);
    clients.push(client);
    return client;
  }

  async function failure(p: Promise<unknown>): Promise<ProviderError> {
    try {
      await p;
    } catch (e) {
      assert.ok(isProviderError(e), `expected a ProviderError, got ${String(e)}`);
      return e;
    }
    assert.fail('expected a rejection');
  }

  function assertClean(e: ProviderError, deps: TestDeps): void {
    const text = `${e.message} ${e.code ?? ''} ${e.reason}`;
    for (const s of [plantedValue, secretAccessKey, accessKeyId, ...deps.minted]) assert.ok(!text.includes(s), `error text leaks a credential or value: ${text}`);
    assert.doesNotMatch(text, /Signature=|[0-9a-f]{64}|x-amz-security-token/i);
  }

  describe('static keys', () => {
    it('reads the current version with its VersionId and CreatedDate, and selects dotted properties', async () => {
      const deps = staticDeps();
      const client = await connect(staticConfig(), deps);
      const secret = await client.fetch({ key: 'db/creds' });
      const current = server.store.selectVersion(server.store.lookup('db/creds')!)!;
      assert.equal(secret.versionId, current.versionId);
      assert.equal(secret.createdAt?.getTime(), current.createdDate.getTime());
      assert.equal(secret.metadata?.versionStages, 'AWSCURRENT');
      assert.equal(selectProperty(secret, 'db/creds', 'password').toString(), plantedValue);
      assert.equal(selectProperty(secret, 'db/creds', 'nested.host').toString(), 'db.local');
      assert.equal(selectProperty(secret, 'db/creds', 'nested.port').toString(), '5432');
      assert.deepEqual(Object.keys(extractAll(secret, 'db/creds')).sort(), ['nested', 'password', 'user']);
      assert.throws(() => selectProperty(secret, 'db/creds', 'nested.missing'), (e) => isNotFound(e));
      assert.deepEqual(deps.observed.map((o) => [o.operation, o.outcome]), [['GetSecretValue', 'success']]);
    });

    it('reads by ARN and returns SecretBinary bytes unchanged', async () => {
      const client = await connect(staticConfig(), staticDeps());
      const arn = server.store.lookup('api/token')!.arn;
      assert.equal((await client.fetch({ key: arn })).value.toString(), 'tok-1');
      assert.deepEqual([...(await client.fetch({ key: 'blob' })).value], [0, 1, 2, 254, 255]);
    });

    it('selects versions by stage (AWSCURRENT, AWSPREVIOUS, custom) and by uuid/<VersionId>', async () => {
      const client = await connect(staticConfig(), staticDeps());
      const v1 = server.store.selectVersion(server.store.lookup('api/token')!)!.versionId;
      const v2 = server.store.put('api/token', 'tok-2');
      server.store.put('api/token', 'tok-canary', { stages: ['CANARY'] });
      assert.equal((await client.fetch({ key: 'api/token' })).versionId, v2);
      assert.equal((await client.fetch({ key: 'api/token', version: 'AWSCURRENT' })).value.toString(), 'tok-2');
      const previous = await client.fetch({ key: 'api/token', version: 'AWSPREVIOUS' });
      assert.equal(previous.value.toString(), 'tok-1');
      assert.equal(previous.versionId, v1);
      assert.equal((await client.fetch({ key: 'api/token', version: 'CANARY' })).value.toString(), 'tok-canary');
      assert.equal((await client.fetch({ key: 'api/token', version: `uuid/${v1}` })).value.toString(), 'tok-1');
      const missing = await failure(client.fetch({ key: 'api/token', version: 'uuid/00000000-0000-0000-0000-000000000000' }));
      assert.ok(isNotFound(missing));
      assert.ok(isNotFound(await failure(client.fetch({ key: 'api/token', version: 'NOPE' }))));
    });

    it('assumes a role with STS AssumeRole on top of static keys', async () => {
      const deps = staticDeps();
      const client = await connect(staticConfig({ role: chainRole }), deps);
      assert.equal((await client.fetch({ key: 'api/token' })).value.toString(), 'tok-1');
      assert.equal(server.calls.AssumeRole, 1);
      await client.fetch({ key: 'api/token' });
      assert.equal(server.calls.AssumeRole, 1, 'STS credentials are cached until near expiry');
    });

    it('refuses a role the keys are not trusted for, as Auth', async () => {
      const deps = staticDeps();
      const client = await connect(staticConfig({ role: webRole }), deps);
      const e = await failure(client.fetch({ key: 'api/token' }));
      assert.ok(isAuthError(e), e.message);
      assertClean(e, deps);
    });
  });

  describe('web identity', () => {
    it('mints a ServiceAccount token, exchanges it with AssumeRoleWithWebIdentity and reads', async () => {
      const deps = webDeps();
      const client = await connect(webConfig(), deps);
      assert.deepEqual(await client.validate(), { warnings: ['endpoint uses plain http: traffic, including secret values, is not encrypted'] });
      const secret = await client.fetch({ key: 'db/creds' });
      assert.equal(selectProperty(secret, 'db/creds', 'user').toString(), 'app');
      assert.equal(server.calls.AssumeRoleWithWebIdentity, 1);
      assert.equal(deps.minted.length, 1);
    });

    it('survives credential expiry: short-lived STS credentials are re-obtained with a fresh token', async () => {
      await server.close();
      server = new AwsTestServer({
        roles: [{ arn: webRole, webIdentitySubjects: ['system:serviceaccount:team-a:puller'] }],
        oidcProviders: [{ issuer: cluster.issuer.issuer, audiences: ['sts.amazonaws.com'] }],
        credentialTtlSeconds: 60, // inside the SDK's 5-minute refresh window: every call refreshes
      });
      await server.start();
      server.store.put('api/token', 'tok-1');
      const deps = webDeps();
      const client = await connect(webConfig(), deps);
      for (let i = 0; i < 3; i++) assert.equal((await client.fetch({ key: 'api/token' })).value.toString(), 'tok-1');
      // The SDK refreshes credentials inside its 5-minute window, at least once per call.
      assert.ok(server.calls.AssumeRoleWithWebIdentity! >= 3);
      assert.equal(new Set(deps.minted).size, server.calls.AssumeRoleWithWebIdentity, 'each exchange uses a newly minted token');
    });

    it('survives credentials the service expired early, by refreshing once and repeating the call', async () => {
      const deps = webDeps();
      const client = await connect(webConfig(), deps);
      await client.fetch({ key: 'api/token' });
      server.expireTemporaryCredentials();
      assert.equal((await client.fetch({ key: 'api/token' })).value.toString(), 'tok-1');
      assert.equal(server.calls.AssumeRoleWithWebIdentity, 2);
      assert.equal(server.calls.GetSecretValue, 3);
    });

    it('a token the operator refuses to mint is reported with the refusal, and nothing is sent', async () => {
      const deps = webDeps();
      deps.mintServiceAccountToken = async () => {
        throw new ConfigError('audience "https://kubernetes.default.svc" is one the Kubernetes API server accepts; keyferry does not mint such tokens for a store', { reason: 'TokenAudienceRefused' });
      };
      const client = await connect(webConfig('puller', ['https://kubernetes.default.svc']), deps);
      const refused = await failure(client.fetch({ key: 'api/token' }));
      assert.match(refused.message, /is one the Kubernetes API server accepts/);
      assert.equal(server.calls.AssumeRoleWithWebIdentity ?? 0, 0);
    });

    it('gives Auth for a ServiceAccount the role does not trust, and for a wrong audience', async () => {
      const deps = webDeps();
      const stranger = await connect(webConfig('stranger'), deps);
      const denied = await failure(stranger.fetch({ key: 'api/token' }));
      assert.ok(isAuthError(denied), denied.message);
      assert.match(denied.code ?? '', /AccessDenied/);
      const wrongAudience = await connect(webConfig('puller', ['vault']), deps);
      const invalid = await failure(wrongAudience.fetch({ key: 'api/token' }));
      assert.ok(isAuthError(invalid), invalid.message);
      assert.match(invalid.code ?? '', /InvalidIdentityToken/);
      await assert.rejects(wrongAudience.validate(), (e) => isAuthError(e));
      assertClean(denied, deps);
      assertClean(invalid, deps);
    });
  });

  describe('batch', () => {
    it('reads up to 20 latest values with one BatchGetSecretValue and reports per-secret errors in place', async () => {
      const client = await connect(staticConfig(), staticDeps());
      assert.equal(client.maxBatchSize, 20);
      const pinned = server.store.selectVersion(server.store.lookup('api/token')!)!.versionId;
      server.store.put('api/token', 'tok-2');
      server.store.put('forbidden/x', 'nope');
      const arn = server.store.lookup('db/creds')!.arn;
      const results = await client.fetchMany!([
        { key: 'api/token' },
        { key: arn },
        { key: 'missing' },
        { key: 'api/token', version: `uuid/${pinned}` },
        { key: 'forbidden/x' },
        { key: 'blob' },
      ]);
      assert.equal((results[0] as RemoteSecret).value.toString(), 'tok-2');
      assert.equal(selectProperty(results[1] as RemoteSecret, 'db', 'user').toString(), 'app');
      assert.ok(isNotFound(results[2]));
      assert.equal((results[3] as RemoteSecret).value.toString(), 'tok-1');
      assert.ok(isAuthError(results[4]));
      assert.deepEqual([...(results[5] as RemoteSecret).value], [0, 1, 2, 254, 255]);
      assert.equal(server.calls.BatchGetSecretValue, 1);
      assert.equal(server.calls.GetSecretValue, 1, 'only the pinned ref needs its own call');
      await assert.rejects(client.fetchMany!(Array.from({ length: 21 }, (_, i) => ({ key: `k${i}` }))), (e) => isConfigError(e));
    });

    it('fails the whole batch with Throttled when the call itself is throttled', async () => {
      const client = await connect(staticConfig(), staticDeps());
      server.failNext('BatchGetSecretValue', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
      await assert.rejects(client.fetchMany!([{ key: 'api/token' }]), (e) => isThrottled(e));
    });
  });

  describe('metadataPolicy Fetch', () => {
    it('reads the tags with DescribeSecret (never the value), as a sorted JSON object or one tag; no tags is {}', async () => {
      const deps = staticDeps();
      const client = await connect(staticConfig(), deps);
      server.store.put('db/creds', 'v2', { tags: { team: 'a', env: 'prod', 'a.b': 'dotted', json: '{"tier":"gold"}', html: '<a&b>' } });
      const secret = await client.fetchMetadata!({ key: 'db/creds', metadata: true });
      assert.equal(readUserMetadata(secret, 'db/creds')!.toString(), '{"a.b":"dotted","env":"prod","html":"\\u003ca\\u0026b\\u003e","json":"{\\"tier\\":\\"gold\\"}","team":"a"}');
      assert.equal(readUserMetadata(secret, 'db/creds', 'env')!.toString(), 'prod');
      assert.equal(readUserMetadata(secret, 'db/creds', 'a.b')!.toString(), 'dotted');
      assert.equal(readUserMetadata(secret, 'db/creds', 'json.tier')!.toString(), 'gold');
      assert.throws(() => readUserMetadata(secret, 'db/creds', 'absent'), (e) => isNotFound(e) && e.reason === 'MetadataNotFound');
      assert.equal(secret.value.length, 0, 'the value is not read');
      // By ARN, and a version plays no part: tags belong to the secret.
      const byArn = await client.fetchMetadata!({ key: server.store.lookup('db/creds')!.arn, version: 'AWSPREVIOUS', metadata: true });
      assert.deepEqual(byArn.userMetadata, secret.userMetadata);
      assert.equal(readUserMetadata(await client.fetchMetadata!({ key: 'blob', metadata: true }), 'blob')!.toString(), '{}');
      assert.equal(server.calls.DescribeSecret, 3);
      assert.equal(server.calls.GetSecretValue, undefined);
      assert.deepEqual(deps.observed.map((o) => o.operation), ['DescribeSecret', 'DescribeSecret', 'DescribeSecret']);
    });

    it('maps a missing secret to NotFound and a denied DescribeSecret to Auth, without leaking', async () => {
      const deps = staticDeps();
      const client = await connect(staticConfig(), deps);
      server.store.put('forbidden/x', plantedValue, { tags: { t: 'v' } });
      const missing = await failure(client.fetchMetadata!({ key: 'nope', metadata: true }));
      assert.ok(isNotFound(missing));
      assert.equal(missing.reason, 'SecretNotFound');
      const denied = await failure(client.fetchMetadata!({ key: 'forbidden/x', metadata: true }));
      assert.ok(isAuthError(denied));
      assert.match(denied.message, /DescribeSecret/);
      assertClean(denied, deps);
    });

    it('through the fetch path: values still go in one batch, the metadata read is its own call and cache entry', async () => {
      const client = await connect(staticConfig(), staticDeps());
      const path = new FetchPath({ registry: new Registry(), batchWindowMs: 5, retry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1 } });
      const store: StoreHandle = { id: 'SecretStore/team-a/aws', label: 'team-a/aws', provider: 'aws', endpoint: 'aws:test', client, rateLimit: { requestsPerSecond: 1000, burst: 1000, maxConcurrent: 10 }, latestTtlMs: 60_000 };
      try {
        const [value, other, tags] = await Promise.all([
          path.fetch(store, { key: 'db/creds' }),
          path.fetch(store, { key: 'api/token' }),
          path.fetch(store, { key: 'db/creds', metadata: true }),
        ]);
        assert.equal(selectProperty(value, 'db/creds', 'password').toString(), plantedValue);
        assert.equal(other.value.toString(), 'tok-1');
        assert.deepEqual(tags.userMetadata, { team: 'a', env: 'prod' });
        assert.deepEqual([server.calls.BatchGetSecretValue, server.calls.DescribeSecret, server.calls.GetSecretValue], [1, 1, undefined]);
        // Each answer is cached under its own entry: neither stands in for the other.
        assert.equal((await path.fetch(store, { key: 'db/creds', metadata: true })).userMetadata?.team, 'a');
        assert.equal(selectProperty(await path.fetch(store, { key: 'db/creds' }), 'db/creds', 'user').toString(), 'app');
        assert.deepEqual([server.calls.BatchGetSecretValue, server.calls.DescribeSecret, server.calls.GetSecretValue], [1, 1, undefined]);
      } finally {
        await path.close();
      }
    });
  });

  describe('find', () => {
    it('lists by name regexp, exact tags and name prefix, across pages', async () => {
      for (let i = 0; i < 130; i++) server.store.put(`bulk/s${String(i).padStart(3, '0')}`, 'x', { tags: { team: i % 2 === 0 ? 'a' : 'ab' } });
      server.store.put('gone/x', 'x');
      server.store.scheduleDeletion('gone/x');
      const client = await connect(staticConfig(), staticDeps());
      const bulk = await client.find!({ path: 'bulk/' });
      assert.equal(bulk.length, 130);
      assert.equal(server.calls.ListSecrets, 2, '100 per page');
      assert.deepEqual(await client.find!({ name: compileUserPattern('^(db|api)/') }), ['api/token', 'db/creds']);
      const teamA = await client.find!({ tags: { team: 'a' } });
      assert.equal(teamA.length, 66);
      assert.ok(teamA.includes('db/creds') && !teamA.includes('bulk/s001'), 'tag-value is a prefix match remotely; pairs are exact here');
      assert.deepEqual(await client.find!({ name: compileUserPattern('gone') }), []);
    });
  });

  describe('errors', () => {
    it('maps a missing secret and a secret marked for deletion to NotFound', async () => {
      const client = await connect(staticConfig(), staticDeps());
      const e = await failure(client.fetch({ key: 'nope' }));
      assert.ok(isNotFound(e));
      assert.equal(e.reason, 'SecretNotFound');
      server.store.scheduleDeletion('api/token');
      const deleted = await failure(client.fetch({ key: 'api/token' }));
      assert.ok(isNotFound(deleted));
      assert.equal(deleted.reason, 'SecretMarkedForDeletion');
    });

    it('maps the token bucket\'s ThrottlingException and a 429 with Retry-After to Throttled', async () => {
      const deps = staticDeps();
      const client = await connect(staticConfig(), deps);
      server.setThrottle({ requestsPerSecond: 0.001, burst: 2 });
      await client.fetch({ key: 'api/token' });
      await client.fetch({ key: 'api/token' });
      const throttled = await failure(client.fetch({ key: 'api/token' }));
      assert.ok(isThrottled(throttled));
      assert.equal(server.throttledCalls, 1);
      assert.equal(server.calls.GetSecretValue, 3);
      assert.equal(server.served.GetSecretValue, 2);
      assert.deepEqual(deps.observed.map((o) => o.outcome), ['success', 'success', 'Throttled']);
      server.setThrottle(undefined);
      server.failNext('GetSecretValue', { status: 429, type: 'TooManyRequestsException', message: 'slow down', headers: { 'retry-after': '7' } });
      const limited = await failure(client.fetch({ key: 'api/token' }));
      assert.ok(isThrottled(limited));
      assert.equal((limited as ProviderError & { retryAfterMs?: number }).retryAfterMs, 7000);
    });

    it('maps bad keys, an unknown key id, access denied and a KMS decryption failure to Auth', async () => {
      const badDeps = staticDeps('wrong-secret-key-0123456789abcdefghijklm');
      const bad = await failure((await connect(staticConfig(), badDeps)).fetch({ key: 'api/token' }));
      assert.ok(isAuthError(bad));
      assert.match(bad.code ?? '', /InvalidSignature/);
      assertClean(bad, badDeps);
      assert.ok(!bad.message.includes('wrong-secret-key'));

      const unknownDeps = makeTestDeps({ secrets: { 'team-a/aws': { id: 'AKIAUNKNOWNUNKNOWN00', secret: secretAccessKey } } });
      const unknown = await failure((await connect(staticConfig(), unknownDeps)).fetch({ key: 'api/token' }));
      assert.ok(isAuthError(unknown));
      assert.match(unknown.code ?? '', /UnrecognizedClient/);

      const deps = staticDeps();
      const client = await connect(staticConfig(), deps);
      server.store.put('forbidden/y', plantedValue);
      const denied = await failure(client.fetch({ key: 'forbidden/y' }));
      assert.ok(isAuthError(denied));
      server.store.lookup('db/creds')!.kmsDenied = true;
      const kms = await failure(client.fetch({ key: 'db/creds' }));
      assert.ok(isAuthError(kms));
      assert.equal(kms.reason, 'DecryptionFailure');
      for (const e of [denied, kms, unknown]) assertClean(e, deps);
    });

    it('can start in 503 mode, with per-call latency, for benchmarks', async () => {
      const slow = new AwsTestServer({ users: [{ accessKeyId, secretAccessKey }], unavailable: true, latencyMs: 30 });
      await slow.start();
      try {
        slow.store.put('k', 'v');
        const client = await connect({ ...staticConfig(), endpoint: slow.url }, staticDeps());
        assert.ok(isUnavailable(await failure(client.fetch({ key: 'k' }))));
        slow.unavailable = false;
        const started = Date.now();
        assert.equal((await client.fetch({ key: 'k' })).value.toString(), 'v');
        assert.ok(Date.now() - started >= 25);
        assert.deepEqual([slow.calls.GetSecretValue, slow.served.GetSecretValue], [2, 1]);
      } finally {
        await slow.close();
      }
    });

    it('maps 503, 500 and a closed port to Unavailable', async () => {
      const deps = staticDeps();
      const client = await connect(staticConfig(), deps);
      server.unavailable = true;
      assert.ok(isUnavailable(await failure(client.fetch({ key: 'api/token' }))));
      server.unavailable = false;
      server.failNext('*', { status: 500, type: 'InternalServiceError', message: 'An error occurred on the server side.' });
      assert.ok(isUnavailable(await failure(client.fetch({ key: 'api/token' }))));
      const url = server.url;
      await server.close();
      const closed = await connect({ ...staticConfig(), endpoint: url }, deps);
      server = new AwsTestServer();
      await server.start();
      const refused = await failure(closed.fetch({ key: 'api/token' }));
      assert.ok(isUnavailable(refused), refused.message);
      assert.deepEqual(deps.observed.map((o) => o.outcome), ['Unavailable', 'Unavailable', 'Unavailable']);
    });

    it('reports a missing credential Secret at connect', async () => {
      await assert.rejects(provider.connect(staticConfig(), makeTestDeps({})), (e) => isNotFound(e));
    });
  });

  describe('config', () => {
    const store = { kind: 'SecretStore' as const, name: 's', namespace: 'team-a' };
    it('validates fields with paths', () => {
      assert.deepEqual(provider.validateConfig({ region: 'eu-west-1' }, store), []);
      assert.deepEqual(provider.validateConfig(webConfigFor('http://127.0.0.1:1'), store), []);
      const issues = provider.validateConfig({ region: 'moon', endpoint: 'ftp://x', role: 'admin', auth: { secretRef: { accessKeyIDSecretRef: { name: 'a' } } } }, store);
      assert.deepEqual(issues.map((i) => i.field), [
        'spec.provider.aws.region',
        'spec.provider.aws.role',
        'spec.provider.aws.endpoint',
        'spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.key',
        'spec.provider.aws.auth.secretRef.secretAccessKeySecretRef',
      ]);
      assert.deepEqual(provider.validateConfig({ region: 'eu-west-1', auth: { jwt: { serviceAccountRef: { name: 'sa' } } } }, store).map((i) => i.field), ['spec.provider.aws.role']);
      assert.deepEqual(
        provider.validateConfig({ region: 'eu-west-1', auth: { secretRef: { accessKeyIDSecretRef: { name: 'a', key: 'b' }, secretAccessKeySecretRef: { name: 'a', key: 'c' } } } }, { kind: 'ClusterSecretStore', name: 'c' }).map((i) => i.field),
        ['spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.namespace', 'spec.provider.aws.auth.secretRef.secretAccessKeySecretRef.namespace'],
      );
    });

    it('names the endpoint by region, endpoint, role and credential source', () => {
      const a = provider.endpointIdentity(webConfigFor('http://x'), store);
      const b = provider.endpointIdentity({ ...webConfigFor('http://x'), region: 'eu-west-1' }, store);
      assert.notEqual(a, b);
      assert.match(a, /^aws:us-east-1:http:\/\/x:arn:aws:iam::123456789012:role\/keyferry-web:sa:team-a\/puller$/);
    });

    function webConfigFor(url: string): AwsConfig {
      return { region: 'us-east-1', endpoint: url, stsEndpoint: url, role: webRole, auth: { jwt: { serviceAccountRef: { name: 'puller' } } } };
    }
  });
});
