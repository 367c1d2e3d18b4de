// Wire tests: node-vault, built by the provider's `connect`, against the local Vault API,
// with kubernetes-auth tokens minted by the dev cluster's TokenRequest API. Token lifetimes
// run on one fake clock shared by the server and the provider.
import assert from 'node:assert/strict';
import { startDevCluster, type DevCluster } from '../../../src/devcluster/dev-cluster.js';
import { createVaultProvider, type VaultConfig } from '../../../providers/vault/index.js';
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
} from '../../../providers/contract/index.js';
import { VaultTestServer } from '../../support/vault/vault-server.js';
import { makeTestDeps, type TestDeps } from '../../support/aws/provider-deps.js';
import { requestServiceAccountToken } from '../../support/aws/service-account-tokens.js';
import { compileUserPattern } from '../../../src/controller/user-pattern.js';

const plantedValue = 'planted-vault-Value-3b9e';
const roleId = 'role-id-1234';
const secretId = 'secret-id-5678-abcdef';
const provider = createVaultProvider({ requestTimeoutMs: 3000 });

describe('vault provider (wire)', function () {
  let cluster: DevCluster;
  let server: VaultTestServer;
  let nowMs: number;
  let rootToken: string;
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
    nowMs = Date.now();
    server = new VaultTestServer({ now: () => new Date(nowMs), namespaces: ['team-a'], kubernetesIssuers: [cluster.issuer.issuer] });
    await server.start();
    rootToken = server.createToken({ policies: ['root'] });
    const kv = server.enableKv('secret', 2);
    kv.write('app/db', { user: 'app', password: 'old-password' }, { owner: 'team-a' });
    kv.write('app/db', { user: 'app', password: plantedValue, config: { host: 'db.local', port: 5432 } });
    kv.write('app/api', { token: 'api-1' }, { owner: 'team-b' });
    kv.write('app/nested/deep', { x: '1' }, { owner: 'team-a' });
    kv.write('other', { y: '2' });
    server.enableKv('kv1', 1).write('legacy/creds', { user: 'old', password: 'p1' });
    server.enableKv('secret', 2, 'team-a').write('scoped', { value: 'in-namespace' });
    server.addAppRole({ roleId, secretIds: [secretId], token: { ttlSeconds: 60, maxTtlSeconds: 150, renewable: true } });
    server.addKubernetesRole({ name: 'reader', boundServiceAccountNames: ['puller'], boundServiceAccountNamespaces: ['team-a'], audience: 'vault', token: { ttlSeconds: 300, renewable: true } });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server.close();
  });

  function deps(secrets: Record<string, Record<string, string>> = {}): TestDeps {
    return makeTestDeps({
      secrets: { 'team-a/vault-token': { token: rootToken }, 'team-a/approle': { secretId }, ...secrets },
      cluster: { url: cluster.url, bearer: 'keyferry-dev' },
      now: () => nowMs,
    });
  }

  const tokenAuth = { tokenSecretRef: { name: 'vault-token', key: 'token' } };
  const appRoleAuth = { appRole: { roleId, secretRef: { name: 'approle', key: 'secretId' } } };
  const kubeAuth = (sa = 'puller') => ({ kubernetes: { role: 'reader', serviceAccountRef: { name: sa, audiences: ['vault'] } } });

  function config(auth: VaultConfig['auth'], extra: Partial<VaultConfig> = {}): VaultConfig {
    return { server: server.url, path: 'secret', version: 'v2', auth, ...extra };
  }

  async function connect(c: VaultConfig, d: TestDeps): Promise<ProviderClient> {
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

  function assertClean(e: ProviderError, d: TestDeps): void {
    const text = `${e.message} ${e.code ?? ''} ${e.reason}`;
    for (const s of [plantedValue, rootToken, secretId, ...server.issuedTokens(), ...d.minted]) assert.ok(!text.includes(s), `error text leaks a credential or value: ${text}`);
  }

  describe('KV v2 with a token from a Secret', () => {
    it('reads the latest version with its number, created_time and custom_metadata; property reads fields and dotted paths', async () => {
      const d = deps();
      const client = await connect(config(tokenAuth), d);
      const secret = await client.fetch({ key: 'app/db' });
      assert.equal(secret.versionId, '2');
      assert.equal(secret.createdAt?.getTime(), nowMs);
      assert.deepEqual(secret.metadata, { owner: 'team-a' });
      assert.equal(selectProperty(secret, 'app/db', 'password').toString(), plantedValue);
      assert.equal(selectProperty(secret, 'app/db', 'config.host').toString(), 'db.local');
      assert.equal(selectProperty(secret, 'app/db', 'config.port').toString(), '5432');
      assert.deepEqual(JSON.parse(selectProperty(secret, 'app/db', 'config').toString()), { host: 'db.local', port: 5432 });
      assert.deepEqual(JSON.parse(secret.value.toString()), { user: 'app', password: plantedValue, config: { host: 'db.local', port: 5432 } }, 'no property: the whole data map');
      assert.deepEqual(Object.keys(extractAll(secret, 'app/db')).sort(), ['config', 'password', 'user']);
      assert.throws(() => selectProperty(secret, 'app/db', 'missing'), (e) => isNotFound(e));
      assert.equal(server.lastHeaders['x-vault-token'], rootToken);
      assert.deepEqual(d.observed.map((o) => [o.operation, o.outcome]), [['LookupSelf', 'success'], ['ReadSecret', 'success']]);
    });

    it('metadataPolicy Fetch: custom_metadata is the user metadata, as JSON or by property; none is {}; KV v1 has none to read', async () => {
      const client = await connect(config(tokenAuth), deps());
      const secret = await client.fetchMetadata!({ key: 'app/db', metadata: true });
      assert.deepEqual(secret.userMetadata, { owner: 'team-a' });
      assert.equal(readUserMetadata(secret, 'app/db')?.toString(), '{"owner":"team-a"}');
      assert.equal(readUserMetadata(secret, 'app/db', 'owner')?.toString(), 'team-a');
      assert.throws(() => readUserMetadata(secret, 'app/db', 'password'), (e) => isNotFound(e) && e.reason === 'MetadataNotFound' && !e.message.includes(plantedValue));
      assert.deepEqual((await client.fetch({ key: 'app/api' })).userMetadata, { owner: 'team-b' });
      assert.equal(readUserMetadata(await client.fetch({ key: 'other' }), 'other')?.toString(), '{}', 'a secret without custom_metadata');
      const v1 = await connect(config(tokenAuth, { path: 'kv1', version: 'v1' }), deps());
      assert.equal(v1.fetchMetadata, undefined, 'a KV v1 store declares it cannot, so Fetch is refused before any call');
      const legacy = await v1.fetch({ key: 'legacy/creds' });
      assert.equal(legacy.userMetadata, undefined);
      assert.equal(readUserMetadata(legacy, 'legacy/creds'), undefined);
    });

    it('pins versions; deleted and destroyed versions and missing keys are NotFound', async () => {
      const client = await connect(config(tokenAuth), deps());
      assert.equal(selectProperty(await client.fetch({ key: 'app/db', version: '1' }), 'app/db', 'password').toString(), 'old-password');
      assert.equal((await client.fetch({ key: 'secret/app/db', version: '2' })).versionId, '2', 'a key may repeat the mount');
      server.kv('secret').softDelete('app/db', [1]);
      const deleted = await failure(client.fetch({ key: 'app/db', version: '1' }));
      assert.ok(isNotFound(deleted));
      assert.equal(deleted.reason, 'VersionDeleted');
      server.kv('secret').destroy('app/db', [2]);
      const destroyed = await failure(client.fetch({ key: 'app/db' }));
      assert.equal(destroyed.reason, 'VersionDestroyed');
      assert.ok(isNotFound(await failure(client.fetch({ key: 'app/db', version: '9' }))));
      const missing = await failure(client.fetch({ key: 'nope' }));
      assert.ok(isNotFound(missing));
      assert.equal(missing.reason, 'SecretNotFound');
      assert.ok(isConfigError(await failure(client.fetch({ key: 'app/db', version: 'latest' }))));
    });

    it('re-reads the token Secret after the token is revoked, and gives Auth when the new one is bad too', async () => {
      const d = deps();
      const client = await connect(config(tokenAuth), d);
      await client.fetch({ key: 'app/api' });
      server.revokeToken(rootToken);
      const replacement = server.createToken({ ttlSeconds: 0 });
      d.secrets.set('team-a/vault-token', { token: replacement });
      assert.equal(selectProperty(await client.fetch({ key: 'app/api' }), 'app/api', 'token').toString(), 'api-1');
      assert.equal(server.lastHeaders['x-vault-token'], replacement);
      server.revokeToken(replacement);
      const e = await failure(client.fetch({ key: 'app/api' }));
      assert.ok(isAuthError(e));
      assertClean(e, d);
    });

    it('gives Auth for a path the token\'s policy does not allow, without leaking the token', async () => {
      const limited = server.createToken({ allow: (p) => !p.includes('app/db') });
      const d = deps({ 'team-a/limited': { token: limited } });
      const client = await connect(config({ tokenSecretRef: { name: 'limited', key: 'token' } }), d);
      const e = await failure(client.fetch({ key: 'app/db' }));
      assert.ok(isAuthError(e));
      assert.equal(e.code, '403');
      assertClean(e, d);
    });
  });

  describe('KV v1 and namespaces', () => {
    it('reads KV v1 as a field map and refuses a version', async () => {
      const client = await connect(config(tokenAuth, { path: 'kv1', version: 'v1' }), deps());
      const s = await client.fetch({ key: 'legacy/creds' });
      assert.equal(selectProperty(s, 'legacy/creds', 'password').toString(), 'p1');
      assert.equal(s.versionId, undefined);
      assert.ok(isConfigError(await failure(client.fetch({ key: 'legacy/creds', version: '1' }))));
      assert.deepEqual(await client.find!({ path: 'legacy' }), ['legacy/creds']);
    });

    it('without a configured path, takes the mount from each key\'s first segment', async () => {
      const client = await connect({ server: server.url, auth: tokenAuth }, deps());
      assert.equal((await client.fetch({ key: 'secret/app/db' })).versionId, '2');
      assert.deepEqual(await client.find!({ path: 'secret/app/nested' }), ['secret/app/nested/deep']);
      assert.ok(isConfigError(await failure(client.find!({}))));
      assert.ok(isConfigError(await failure(client.fetch({ key: 'toplevel' }))));
    });

    it('sends X-Vault-Namespace on logins and reads', async () => {
      server.addAppRole({ roleId, secretIds: [secretId], namespace: 'team-a' });
      const client = await connect(config(appRoleAuth, { namespace: 'team-a' }), deps());
      assert.equal(selectProperty(await client.fetch({ key: 'scoped' }), 'scoped', 'value').toString(), 'in-namespace');
      assert.equal(server.lastHeaders['x-vault-namespace'], 'team-a');
      const root = await connect(config(tokenAuth), deps());
      assert.ok(isNotFound(await failure(root.fetch({ key: 'scoped' }))));
    });
  });

  describe('AppRole', () => {
    it('logs in once, renews before expiry, and logs in again when the max TTL is reached', async () => {
      const d = deps();
      const client = await connect(config(appRoleAuth), d);
      await client.fetch({ key: 'app/api' });
      await client.fetch({ key: 'app/api' });
      assert.equal(server.calls['login:approle'], 1);
      nowMs += 45_000; // 15 s of 60 left: under a third, so renew first
      await client.fetch({ key: 'app/api' });
      assert.equal(server.calls['renew-self'], 1);
      nowMs += 50_000; // renewed at 45 s for 60 s; now 55 s into it
      await client.fetch({ key: 'app/api' });
      assert.equal(server.calls['renew-self'], 2);
      nowMs += 56_000; // 151 s after login: past max TTL, renewal impossible
      assert.equal(selectProperty(await client.fetch({ key: 'app/api' }), 'app/api', 'token').toString(), 'api-1');
      assert.equal(server.calls['login:approle'], 2);
    });

    it('survives tokens revoked mid-run: 403 invalid token leads to one new login and a retry', async () => {
      const client = await connect(config(appRoleAuth), deps());
      await client.fetch({ key: 'app/api' });
      server.revokeAllTokens();
      assert.equal((await client.fetch({ key: 'app/api' })).versionId, '1');
      assert.equal(server.calls['login:approle'], 2);
    });

    it('gives Auth for a wrong secret id without leaking it', async () => {
      const d = deps({ 'team-a/approle': { secretId: 'wrong-secret-id-000' } });
      const client = await connect(config(appRoleAuth), d);
      const e = await failure(client.fetch({ key: 'app/api' }));
      assert.ok(isAuthError(e));
      assert.equal(e.reason, 'LoginFailed');
      assert.ok(!e.message.includes('wrong-secret-id-000'));
    });
  });

  describe('kubernetes auth', () => {
    it('logs in with a TokenRequest token for the ServiceAccount, verified against the cluster JWKS', async () => {
      const d = deps();
      const client = await connect(config(kubeAuth()), d);
      assert.deepEqual(await client.validate(), { warnings: ['server uses plain http: tokens and secret values are not encrypted in transit'] });
      assert.equal((await client.fetch({ key: 'app/db' })).versionId, '2');
      assert.equal(server.calls['login:kubernetes'], 1);
      assert.equal(d.minted.length, 1);
    });

    it('logs in with a JWT read from a Secret and a custom mount path', async () => {
      server.addKubernetesRole({ mount: 'k8s-dev', name: 'reader', boundServiceAccountNames: ['puller'], boundServiceAccountNamespaces: ['team-a'] });
      const { token } = await requestServiceAccountToken(cluster.url, 'keyferry-dev', { namespace: 'team-a', name: 'puller' });
      const d = deps({ 'team-a/jwt': { token } });
      const client = await connect(config({ kubernetes: { mountPath: 'k8s-dev', role: 'reader', secretRef: { name: 'jwt', key: 'token' } } }), d);
      await client.fetch({ key: 'app/api' });
      assert.equal(server.calls['login:k8s-dev'], 1);
    });

    it('refuses a ServiceAccount the role is not bound to, and a token without the role\'s audience', async () => {
      const d = deps();
      const stranger = await connect(config(kubeAuth('stranger')), d);
      const e = await failure(stranger.fetch({ key: 'app/api' }));
      assert.ok(isAuthError(e));
      assertClean(e, d);
      const otherAudience = await connect(config({ kubernetes: { role: 'reader', serviceAccountRef: { name: 'puller', audiences: ['elsewhere'] } } }), d);
      assert.ok(isAuthError(await failure(otherAudience.fetch({ key: 'app/api' }))));
    });

    it('never asks for a token without an audience (that would be one for the API server): "vault" when the store names none', async () => {
      const d = deps();
      const audiences: Array<string[] | undefined> = [];
      const mint = d.mintServiceAccountToken.bind(d);
      d.mintServiceAccountToken = (ref, opts) => { audiences.push(opts?.audiences); return mint(ref, opts); };
      const client = await connect(config({ kubernetes: { role: 'reader', serviceAccountRef: { name: 'puller' } } }), d);
      assert.equal((await client.fetch({ key: 'app/api' })).value.length > 0, true);
      assert.deepEqual(audiences, [['vault']]);
    });
  });

  describe('find', () => {
    it('walks the metadata LIST tree under a path, filtering by regexp and custom_metadata tags', async () => {
      const client = await connect(config(tokenAuth), deps());
      assert.deepEqual(await client.find!({}), ['app/api', 'app/db', 'app/nested/deep', 'other']);
      assert.deepEqual(await client.find!({ path: 'app' }), ['app/api', 'app/db', 'app/nested/deep']);
      assert.deepEqual(await client.find!({ path: 'app/', name: compileUserPattern('d[be]') }), ['app/db', 'app/nested/deep']);
      assert.deepEqual(await client.find!({ tags: { owner: 'team-a' } }), ['app/db', 'app/nested/deep']);
      assert.deepEqual(await client.find!({ path: 'missing' }), []);
    });
  });

  describe('errors', () => {
    it('maps a 429 quota to Throttled', async () => {
      const d = deps();
      const client = await connect(config(tokenAuth), d);
      await client.fetch({ key: 'app/api' });
      server.setRateLimit({ requestsPerSecond: 0.001, burst: 1 });
      await client.fetch({ key: 'app/api' });
      const e = await failure(client.fetch({ key: 'app/api' }));
      assert.ok(isThrottled(e));
      assert.equal(e.code, '429');
      assert.equal((e as ProviderError & { retryAfterMs?: number }).retryAfterMs, 1000 * 1000, 'Retry-After of the quota (1000 s at 0.001/s)');
      assert.equal(d.observed.at(-1)?.outcome, 'Throttled');
    });

    it('maps sealed to Unavailable (fetch and validate), 500 to Unavailable, and a closed port to Unavailable', async () => {
      const client = await connect(config(tokenAuth), deps());
      await client.fetch({ key: 'app/api' });
      server.sealed = true;
      const sealed = await failure(client.fetch({ key: 'app/api' }));
      assert.ok(isUnavailable(sealed));
      assert.equal(sealed.reason, 'Sealed');
      await assert.rejects(client.validate(), (e) => isUnavailable(e) && (e as ProviderError).reason === 'Sealed');
      server.sealed = false;
      server.failNext(/^secret\/data\//, 500, ['internal error']);
      assert.ok(isUnavailable(await failure(client.fetch({ key: 'app/api' }))));
      const url = server.url;
      await server.close();
      const closed = await connect(config(tokenAuth, { server: url }), deps());
      server = new VaultTestServer();
      await server.start();
      const refused = await failure(closed.fetch({ key: 'app/api' }));
      assert.ok(isUnavailable(refused), refused.message);
      assert.equal(refused.reason, 'Unreachable');
    });

    it('stops a call when its signal aborts', async () => {
      const client = await connect(config(tokenAuth), deps());
      await client.fetch({ key: 'app/api' });
      server.latencyMs = 2000;
      const controller = new AbortController();
      const pending = failure(client.fetch({ key: 'app/api' }, { signal: controller.signal }));
      setTimeout(() => controller.abort(), 20);
      const started = Date.now();
      assert.ok(isUnavailable(await pending));
      assert.ok(Date.now() - started < 1000, 'did not wait for the slow answer');
      server.latencyMs = 0;
    });

    it('reports a missing credential Secret as NotFound', async () => {
      const client = await connect(config({ tokenSecretRef: { name: 'absent', key: 'token' } }), deps());
      assert.ok(isNotFound(await failure(client.fetch({ key: 'app/api' }))));
    });
  });

  describe('config', () => {
    const store = { kind: 'SecretStore' as const, name: 's', namespace: 'team-a' };
    it('validates fields with paths', () => {
      assert.deepEqual(provider.validateConfig({ server: 'https://vault:8200', auth: tokenAuth }, store), []);
      assert.deepEqual(provider.validateConfig({ server: 'https://vault:8200', auth: kubeAuth() }, store), []);
      const issues = provider.validateConfig({ server: 'vault', path: '/secret/', version: 'v3', auth: { appRole: { secretRef: { name: 'x' } } } }, store);
      assert.deepEqual(issues.map((i) => i.field), [
        'spec.provider.vault.server',
        'spec.provider.vault.path',
        'spec.provider.vault.version',
        'spec.provider.vault.auth.appRole.roleId',
        'spec.provider.vault.auth.appRole.secretRef.key',
      ]);
      assert.deepEqual(provider.validateConfig({ server: 'https://v', auth: { ...tokenAuth, ...appRoleAuth } }, store).map((i) => i.field), ['spec.provider.vault.auth']);
      assert.deepEqual(provider.validateConfig({ server: 'https://v', auth: { kubernetes: { role: 'r' } } }, store).map((i) => i.field), ['spec.provider.vault.auth.kubernetes']);
      assert.deepEqual(provider.validateConfig({ server: 'https://v', auth: tokenAuth }, { kind: 'ClusterSecretStore', name: 'c' }).map((i) => i.field), ['spec.provider.vault.auth.tokenSecretRef.namespace']);
    });

    it('shares a budget per server, namespace and mount', () => {
      assert.equal(provider.endpointIdentity({ server: 'https://v/', namespace: 'a', path: 'secret', auth: tokenAuth }, store), 'vault:https://v:a:secret');
      assert.notEqual(provider.endpointIdentity({ server: 'https://v', auth: tokenAuth }, store), provider.endpointIdentity({ server: 'https://v', namespace: 'a', auth: tokenAuth }, store));
    });

    it('refuses to connect with an invalid config', async () => {
      await assert.rejects(provider.connect({ server: '', auth: {} } as VaultConfig, deps()), (e) => isConfigError(e));
    });
  });
});
