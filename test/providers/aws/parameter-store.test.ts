// Wire tests for `service: ParameterStore`: the real SSM SDK, built by the provider's
// `connect`, against the local endpoint's Parameter Store (SigV4-checked for `ssm`).
import assert from 'node:assert/strict';
import { createAwsProvider, type AwsConfig } from '../../../providers/aws/index.js';
import {
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
import { Batcher } from '../../../src/fetch/batcher.js';
import { systemFetchClock } from '../../../src/fetch/fetch-clock.js';
import { compileUserPattern } from '../../../src/controller/user-pattern.js';
import { startDevCluster, type DevCluster } from '../../../src/devcluster/dev-cluster.js';
import { AwsTestServer } from '../../support/aws/aws-server.js';
import { makeTestDeps, type TestDeps } from '../../support/aws/provider-deps.js';

const accessKeyId = 'AKIAKEYFERRYSSMTEST1';
const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYKEYFERRY02';
const plantedValue = 'planted-Ssm-Value-4b2d9e71';
const chainRole = 'arn:aws:iam::123456789012:role/keyferry-ssm-chain';
const webRole = 'arn:aws:iam::123456789012:role/keyferry-ssm-web';
const provider = createAwsProvider({ maxAttempts: 1, requestTimeoutMs: 3000 });

describe('aws provider, service ParameterStore (wire)', function () {
  let server: AwsTestServer;
  const clients: ProviderClient[] = [];

  beforeEach(async () => {
    server = new AwsTestServer({
      users: [{ accessKeyId, secretAccessKey, allow: (name) => !name.startsWith('/forbidden') }],
      roles: [{ arn: chainRole, trustedAccessKeyIds: [accessKeyId] }],
    });
    await server.start();
    const ps = server.parameters;
    ps.put('/app/db', JSON.stringify({ user: 'app', password: plantedValue, nested: { host: 'db.local', port: 5432 } }), { type: 'SecureString', tags: { team: 'a', env: 'prod' } });
    ps.put('/app/hosts', 'a.local,b.local', { type: 'StringList', tags: { team: 'a', env: 'dev' } });
    ps.put('/app/nested/deep/flag', 'on', { tags: { team: 'b' } });
    ps.put('plain-name', 'v1', { labels: ['stable'] });
    ps.put('plain-name', 'v2');
    ps.put('/forbidden/x', plantedValue, { type: 'SecureString' });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server.close();
  });

  function config(extra: Partial<AwsConfig> = {}): AwsConfig {
    return {
      service: 'ParameterStore',
      region: 'us-east-1',
      endpoint: server.url,
      stsEndpoint: server.url,
      auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws', key: 'id' }, secretAccessKeySecretRef: { name: 'aws', key: 'secret' } } },
      ...extra,
    };
  }

  function deps(secret = secretAccessKey): TestDeps {
    return makeTestDeps({ secrets: { 'team-a/aws': { id: accessKeyId, secret } } });
  }

  async function connect(c: AwsConfig = config(), d: TestDeps = deps()): Promise<ProviderClient> {
    const client = await provider.connect(c, d);
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

  function assertClean(e: ProviderError): void {
    const text = `${e.message} ${e.code ?? ''} ${e.reason}`;
    for (const s of [plantedValue, secretAccessKey, accessKeyId]) assert.ok(!text.includes(s), `error text leaks a credential or value: ${text}`);
    assert.doesNotMatch(text, /Signature=|[0-9a-f]{64}/i);
  }

  describe('fetch', () => {
    it('reads the latest version decrypted, with its Version and LastModifiedDate, and selects properties', async () => {
      const d = deps();
      const client = await connect(config(), d);
      const secret = await client.fetch({ key: '/app/db' });
      const stored = server.parameters.parameters.get('/app/db')!.versions.at(-1)!;
      assert.equal(secret.versionId, '1');
      assert.equal(secret.createdAt?.getTime(), stored.lastModifiedDate.getTime());
      assert.equal(secret.metadata?.type, 'SecureString');
      assert.equal(selectProperty(secret, '/app/db', 'password').toString(), plantedValue);
      assert.equal(selectProperty(secret, '/app/db', 'nested.host').toString(), 'db.local');
      assert.equal(selectProperty(secret, '/app/db', 'nested.port').toString(), '5432');
      assert.deepEqual(Object.keys(extractAll(secret, '/app/db')).sort(), ['nested', 'password', 'user']);
      assert.equal((await client.fetch({ key: '/app/hosts' })).value.toString(), 'a.local,b.local');
      const log = server.parameters.log.filter((c) => c.operation === 'GetParameter');
      assert.ok(log.every((c) => c.input.WithDecryption === true), 'every read asks for decryption');
      assert.deepEqual(d.observed.map((o) => [o.operation, o.outcome]), [['GetParameter', 'success'], ['GetParameter', 'success']]);
    });

    it('reads by ARN, and selects versions by number and by label as name:selector', async () => {
      const client = await connect();
      const arn = server.parameters.parameters.get('/app/hosts')!.arn;
      assert.equal((await client.fetch({ key: arn })).value.toString(), 'a.local,b.local');
      const latest = await client.fetch({ key: 'plain-name' });
      assert.equal(latest.value.toString(), 'v2');
      assert.equal(latest.versionId, '2');
      const first = await client.fetch({ key: 'plain-name', version: '1' });
      assert.equal(first.value.toString(), 'v1');
      assert.equal(first.versionId, '1');
      assert.equal((await client.fetch({ key: 'plain-name', version: 'stable' })).value.toString(), 'v1');
      const names = server.parameters.log.filter((c) => c.operation === 'GetParameter').map((c) => c.input.Name);
      assert.deepEqual(names.slice(-2), ['plain-name:1', 'plain-name:stable']);
      const missing = await failure(client.fetch({ key: 'plain-name', version: '9' }));
      assert.ok(isNotFound(missing), missing.message);
      assert.equal(missing.reason, 'ParameterVersionNotFound');
    });

    it('assumes a role with STS AssumeRole on top of static keys', async () => {
      const client = await connect(config({ role: chainRole }));
      assert.equal((await client.fetch({ key: 'plain-name' })).value.toString(), 'v2');
      assert.equal(server.calls.AssumeRole, 1);
    });
  });

  describe('metadataPolicy Fetch', () => {
    it('reads the tags with ListTagsForResource (never the value), as a sorted JSON object or one tag; no tags is {}', async () => {
      const d = deps();
      const client = await connect(config(), d);
      const secret = await client.fetchMetadata!({ key: '/app/db', version: '1', metadata: true });
      assert.equal(secret.value.length, 0, 'the value is not read');
      assert.equal(readUserMetadata(secret, '/app/db')!.toString(), '{"env":"prod","team":"a"}');
      assert.equal(readUserMetadata(secret, '/app/db', 'team')!.toString(), 'a');
      assert.throws(() => readUserMetadata(secret, '/app/db', 'absent'), (e) => isNotFound(e) && e.reason === 'MetadataNotFound');
      assert.equal(readUserMetadata(await client.fetchMetadata!({ key: 'plain-name', metadata: true }), 'plain-name')!.toString(), '{}');
      const calls = server.parameters.log.map((c) => [c.operation, c.input.ResourceType, c.input.ResourceId]);
      // The version plays no part: tags belong to the parameter.
      assert.deepEqual(calls, [['ListTagsForResource', 'Parameter', '/app/db'], ['ListTagsForResource', 'Parameter', 'plain-name']]);
      assert.deepEqual(d.observed.map((o) => [o.operation, o.outcome]), [['ListTagsForResource', 'success'], ['ListTagsForResource', 'success']]);
    });

    it('maps a missing parameter to NotFound and a denied ListTagsForResource to Auth, without leaking', async () => {
      const client = await connect();
      const missing = await failure(client.fetchMetadata!({ key: '/app/none', metadata: true }));
      assert.ok(isNotFound(missing));
      assert.equal(missing.code, 'InvalidResourceId');
      const denied = await failure(client.fetchMetadata!({ key: '/forbidden/x', metadata: true }));
      assert.ok(isAuthError(denied));
      assert.match(denied.message, /ListTagsForResource/);
      assertClean(denied);
    });
  });

  describe('web identity', () => {
    let cluster: DevCluster;

    before(async () => {
      cluster = await startDevCluster();
      await cluster.apply([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'puller', namespace: 'team-a' } },
      ]);
    });

    after(async () => {
      await cluster.stop();
    });

    it('mints a ServiceAccount token, exchanges it with AssumeRoleWithWebIdentity and reads parameters signed for ssm', async () => {
      server.addOidcProvider(cluster.issuer.issuer, ['sts.amazonaws.com']);
      server.addRole({ arn: webRole, webIdentitySubjects: ['system:serviceaccount:team-a:puller'], allow: (name) => name.startsWith('/app') });
      const d = makeTestDeps({ cluster: { url: cluster.url, bearer: 'keyferry-dev' } });
      const client = await connect({ service: 'ParameterStore', region: 'us-east-1', endpoint: server.url, stsEndpoint: server.url, role: webRole, auth: { jwt: { serviceAccountRef: { name: 'puller' } } } }, d);
      assert.equal(selectProperty(await client.fetch({ key: '/app/db' }), '/app/db', 'user').toString(), 'app');
      const denied = await failure(client.fetch({ key: 'plain-name' }));
      assert.ok(isAuthError(denied), denied.message);
      assert.equal(server.calls.AssumeRoleWithWebIdentity, 1);
      assert.equal(d.minted.length, 1);
      for (const token of d.minted) assert.ok(!denied.message.includes(token));
    });
  });

  describe('batch', () => {
    it('reads up to 10 names (latest and pinned) with one GetParameters and reports missing ones in place', async () => {
      const client = await connect();
      assert.equal(client.maxBatchSize, 10);
      const refs = [
        { key: '/app/db' },
        { key: '/app/hosts' },
        { key: 'plain-name' },
        { key: 'plain-name', version: '1' },
        { key: 'plain-name', version: 'stable' },
        { key: '/missing' },
        { key: 'plain-name', version: '7' },
        { key: server.parameters.parameters.get('/app/nested/deep/flag')!.arn },
        ...[1, 2].map((i) => ({ key: `/extra/${i}` })),
      ];
      server.parameters.put('/extra/1', 'e1');
      server.parameters.put('/extra/2', 'e2');
      const results = await client.fetchMany!(refs);
      assert.equal(selectProperty(results[0] as RemoteSecret, '/app/db', 'user').toString(), 'app');
      assert.equal((results[1] as RemoteSecret).value.toString(), 'a.local,b.local');
      assert.equal((results[2] as RemoteSecret).value.toString(), 'v2');
      assert.equal((results[3] as RemoteSecret).value.toString(), 'v1');
      assert.equal((results[4] as RemoteSecret).value.toString(), 'v1');
      assert.ok(isNotFound(results[5]));
      assert.ok(isNotFound(results[6]));
      assert.equal((results[7] as RemoteSecret).value.toString(), 'on');
      assert.equal((results[9] as RemoteSecret).value.toString(), 'e2');
      const calls = server.parameters.log.filter((c) => c.operation === 'GetParameters');
      assert.equal(calls.length, 1);
      assert.equal((calls[0]!.input.Names as string[]).length, 10);
      assert.equal(calls[0]!.input.WithDecryption, true);
      await assert.rejects(client.fetchMany!([...refs, { key: '/one-too-many' }]), (e) => isConfigError(e));
    });

    it('through the fetch path\'s batcher, 25 reads become GetParameters calls of 10, 10 and 5 names', async () => {
      for (let i = 0; i < 25; i++) server.parameters.put(`/bulk/p${i}`, `value-${i}`);
      const client = await connect();
      const batcher = new Batcher({
        maxBatchSize: client.maxBatchSize!,
        windowMs: 20,
        clock: systemFetchClock,
        send: (take) => client.fetchMany!(take()),
      });
      const values = await Promise.all(Array.from({ length: 25 }, (_, i) => batcher.fetch({ key: `/bulk/p${i}` })));
      assert.deepEqual(values.map((v) => v.value.toString()), Array.from({ length: 25 }, (_, i) => `value-${i}`));
      const sizes = server.parameters.log.filter((c) => c.operation === 'GetParameters').map((c) => (c.input.Names as string[]).length);
      assert.deepEqual(sizes, [10, 10, 5]);
      assert.equal(server.calls.GetParameter ?? 0, 0);
    });

    it('fails the whole batch with Throttled when the call itself is throttled, and with Auth when a name is denied', async () => {
      const client = await connect();
      server.failNext('GetParameters', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
      assert.ok(isThrottled(await failure(client.fetchMany!([{ key: '/app/db' }, { key: 'plain-name' }]))));
      const denied = await failure(client.fetchMany!([{ key: '/app/db' }, { key: '/forbidden/x' }]));
      assert.ok(isAuthError(denied), denied.message);
      assertClean(denied);
    });
  });

  describe('find', () => {
    it('lists a path recursively with GetParametersByPath, across pages, and narrows by name regexp', async () => {
      for (let i = 0; i < 12; i++) server.parameters.put(`/app/many/m${String(i).padStart(2, '0')}`, `m${i}`);
      const client = await connect();
      const all = await client.find!({ path: '/app' });
      assert.equal(all.length, 3 + 12);
      assert.ok(all.includes('/app/nested/deep/flag'));
      assert.ok(!all.includes('plain-name'));
      const byPath = server.parameters.log.filter((c) => c.operation === 'GetParametersByPath');
      assert.equal(byPath.length, 2, 'two pages of at most 10');
      assert.ok(byPath.every((c) => c.input.Recursive === true && c.input.Path === '/app'));
      assert.deepEqual(await client.find!({ path: '/app', name: compileUserPattern('m0[0-2]$') }), ['/app/many/m00', '/app/many/m01', '/app/many/m02']);
    });

    it('lists by exact tags (and path) and by name regexp with DescribeParameters', async () => {
      const client = await connect();
      assert.deepEqual(await client.find!({ tags: { team: 'a' } }), ['/app/db', '/app/hosts']);
      assert.deepEqual(await client.find!({ tags: { team: 'a', env: 'prod' } }), ['/app/db']);
      assert.deepEqual(await client.find!({ tags: { team: 'b' }, path: '/app' }), ['/app/nested/deep/flag']);
      assert.deepEqual(await client.find!({ tags: { team: 'b' }, path: '/other' }), []);
      assert.deepEqual(await client.find!({ name: compileUserPattern('^plain') }), ['plain-name']);
      const describes = server.parameters.log.filter((c) => c.operation === 'DescribeParameters');
      assert.equal(describes.length, 5);
      assert.deepEqual(describes[1]!.input.ParameterFilters, [
        { Key: 'tag:team', Option: 'Equals', Values: ['a'] },
        { Key: 'tag:env', Option: 'Equals', Values: ['prod'] },
      ]);
    });

    it('refuses a path without a leading slash as Config, and a path the principal may not read as Auth', async () => {
      const client = await connect();
      assert.ok(isConfigError(await failure(client.find!({ path: 'app' }))));
      const denied = await failure(client.find!({ path: '/forbidden' }));
      assert.ok(isAuthError(denied), denied.message);
      assertClean(denied);
    });
  });

  describe('errors', () => {
    it('maps ParameterNotFound to NotFound', async () => {
      const client = await connect();
      const e = await failure(client.fetch({ key: '/nope' }));
      assert.ok(isNotFound(e), e.message);
      assert.equal(e.code, 'ParameterNotFound');
      assert.match(e.message, /AWS SSM parameter "\/nope"/);
    });

    it('maps access denied, a wrong secret key and a KMS key it may not use (InvalidKeyId) to Auth', async () => {
      const client = await connect();
      const denied = await failure(client.fetch({ key: '/forbidden/x' }));
      assert.ok(isAuthError(denied), denied.message);
      assert.equal(denied.code, 'AccessDeniedException');
      const badKey = await failure((await connect(config(), deps('wrong-secret-key-0000000000000000000000'))).fetch({ key: '/app/db' }));
      assert.ok(isAuthError(badKey), badKey.message);
      assert.equal(badKey.code, 'InvalidSignatureException');
      server.parameters.parameters.get('/app/db')!.kmsDenied = true;
      const kms = await failure(client.fetch({ key: '/app/db' }));
      assert.ok(isAuthError(kms), kms.message);
      assert.equal(kms.reason, 'DecryptionFailure');
      for (const e of [denied, badKey, kms]) assertClean(e);
    });

    it('maps the token bucket\'s ThrottlingException and a 429 with Retry-After to Throttled', async () => {
      const client = await connect();
      server.setThrottle({ requestsPerSecond: 1, burst: 1 });
      await client.fetch({ key: 'plain-name' });
      const throttled = await failure(client.fetch({ key: 'plain-name' }));
      assert.ok(isThrottled(throttled), throttled.message);
      assert.equal(throttled.code, 'ThrottlingException');
      server.setThrottle(undefined);
      server.failNext('GetParameter', { status: 429, type: 'TooManyRequestsException', message: 'slow down', headers: { 'retry-after': '7' } });
      const retryAfter = await failure(client.fetch({ key: 'plain-name' }));
      assert.ok(isThrottled(retryAfter));
      assert.equal(retryAfter.retryAfterMs, 7000);
    });

    it('maps 503, 500 and a closed port to Unavailable', async () => {
      const client = await connect();
      server.failNext('GetParameter', { status: 500, type: 'InternalServerError', message: 'An error occurred on the server side.' });
      assert.ok(isUnavailable(await failure(client.fetch({ key: 'plain-name' }))));
      server.unavailable = true;
      assert.ok(isUnavailable(await failure(client.fetch({ key: 'plain-name' }))));
      server.unavailable = false;
      await server.refuseConnections();
      const refused = await failure(client.fetch({ key: 'plain-name' }));
      assert.ok(isUnavailable(refused), refused.message);
      await server.acceptConnections();
    });

    it('puts no parameter value in any error of any class, for single reads, batches and finds', async () => {
      const client = await connect();
      const errors: ProviderError[] = [];
      errors.push(await failure(client.fetch({ key: '/app/db', version: '5' })));
      errors.push(await failure(client.fetch({ key: '/forbidden/x' })));
      errors.push(await failure(client.fetchMany!([{ key: '/app/db' }, { key: '/forbidden/x' }])));
      errors.push(...(await client.fetchMany!([{ key: '/app/db', version: '5' }])).filter(isProviderError));
      server.failNext('GetParameter', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
      errors.push(await failure(client.fetch({ key: '/app/db' })));
      server.failNext('GetParameters', { status: 503, type: 'ServiceUnavailable', message: 'Service Unavailable' });
      errors.push(await failure(client.fetchMany!([{ key: '/app/db' }])));
      server.parameters.parameters.get('/app/db')!.kmsDenied = true;
      errors.push(await failure(client.fetch({ key: '/app/db' })));
      errors.push(await failure(client.find!({ path: '/forbidden' })));
      assert.deepEqual(errors.map((e) => e.kind), ['NotFound', 'Auth', 'Auth', 'NotFound', 'Throttled', 'Unavailable', 'Auth', 'Auth']);
      for (const e of errors) assertClean(e);
    });
  });

  describe('config', () => {
    it('accepts ParameterStore, refuses another service, and gives Parameter Store stores a budget of their own', () => {
      const store = { kind: 'SecretStore' as const, name: 's', namespace: 'team-a' };
      assert.deepEqual(provider.validateConfig({ service: 'ParameterStore', region: 'eu-west-1' }, store), []);
      assert.deepEqual(provider.validateConfig({ service: 'Parameters', region: 'eu-west-1' }, store).map((i) => i.field), ['spec.provider.aws.service']);
      const sm = provider.endpointIdentity({ region: 'eu-west-1' }, store);
      const ps = provider.endpointIdentity({ service: 'ParameterStore', region: 'eu-west-1' }, store);
      assert.notEqual(sm, ps);
      assert.match(ps, /^aws-ssm:eu-west-1:/);
    });

    it('the store\'s service picks the API: a SecretsManager store reads secrets, a ParameterStore store parameters', async () => {
      const client = await connect(config({ service: 'SecretsManager' }));
      server.store.put('only-in-secrets-manager', 'x');
      assert.equal((await client.fetch({ key: 'only-in-secrets-manager' })).value.toString(), 'x');
      assert.equal(server.parameters.log.length, 0);
      const ps = await connect();
      assert.ok(isNotFound(await failure(ps.fetch({ key: 'only-in-secrets-manager' }))));
      assert.equal(server.parameters.log.length, 1);
    });
  });
});
