// The gcpsm provider's real @google-cloud/secret-manager client (built by `connect`) against
// a local Secret Manager gRPC server and Google token endpoints on 127.0.0.1, with the
// loopback guard on: nothing may reach a metadata server or a public endpoint.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { gcpSecretManagerProvider, crc32c, type GcpSecretManagerConfig } from '../../../providers/gcpsm/index.js';
import { isProviderError, readUserMetadata, selectProperty, extractAll, type ProviderClient, type ProviderError } from '../../../providers/contract/index.js';
import { FakeSecretManagerServer } from '../../support/gcp/secret-manager-server.js';
import { FakeGoogleTokenServer, type ServiceAccountKeyJson } from '../../support/gcp/token-server.js';
import { createServiceAccountIssuer, type GcpTestDeps, type ServiceAccountIssuer } from '../../support/gcp/provider-deps.js';
import { createLoopbackCertificate, type LoopbackCertificate } from '../../support/vault/loopback-certificate.js';
import { installLoopbackGuard } from '../../support/loopback-guard.js';
import { compileUserPattern } from '../../../src/controller/user-pattern.js';

const PROJECT = 'keyferry-test';
const PLANTED = 'planted-db-password-5d1f0c';
const POOL_AUDIENCE = '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/cluster/providers/keyferry';

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isProviderError(error), `expected a ProviderError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('gcpsm provider over gRPC', function () {
  let uninstallGuard: () => void;
  let cert: LoopbackCertificate;
  let tokens: FakeGoogleTokenServer;
  let sm: FakeSecretManagerServer;
  let issuer: ServiceAccountIssuer;
  let key: ServiceAccountKeyJson;
  const clients: ProviderClient[] = [];

  before(async () => {
    uninstallGuard = installLoopbackGuard();
    cert = await createLoopbackCertificate();
    tokens = new FakeGoogleTokenServer();
    await tokens.start();
    issuer = await createServiceAccountIssuer();
    tokens.addWorkloadIdentityPool({ audience: POOL_AUDIENCE, issuer: issuer.issuer, jwks: issuer.jwks });
    key = tokens.createServiceAccountKey(`keyferry@${PROJECT}.iam.gserviceaccount.com`, PROJECT);
    sm = new FakeSecretManagerServer({ tls: { key: cert.key, cert: cert.cert }, acceptToken: (t) => tokens.acceptToken(t) });
    await sm.start();
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await sm.close();
    await tokens.close();
    uninstallGuard();
  });

  beforeEach(() => {
    sm.secrets.clear();
    sm.calls.length = 0;
    sm.clearFailures();
    sm.corruptPayloads = false;
    sm.denied.clear();
    tokens.failWith = undefined;
    const db = `projects/${PROJECT}/secrets/db-password`;
    sm.addSecret(db, { labels: { team: 'payments' }, expireTime: new Date('2027-03-01T00:00:00Z') });
    sm.addVersion(db, 'old-value');
    sm.addVersion(db, PLANTED);
    const json = `projects/${PROJECT}/secrets/db-json`;
    sm.addSecret(json, { labels: { team: 'payments', tier: 'gold' } });
    sm.addVersion(json, JSON.stringify({ user: 'app', nested: { password: PLANTED } }));
    sm.addSecret(`projects/${PROJECT}/secrets/other-api-key`, { labels: { team: 'search' } });
    sm.addVersion(`projects/${PROJECT}/secrets/other-api-key`, 'k');
  });

  function keyDeps(): GcpTestDeps {
    const deps = issuer.deps();
    deps.secrets.set('team-a/gcp-key/key.json', Buffer.from(JSON.stringify(key)));
    return deps;
  }

  function tlsConfig(extra: Partial<GcpSecretManagerConfig> = {}): GcpSecretManagerConfig {
    return {
      projectID: PROJECT,
      endpoint: `127.0.0.1:${sm.port}`,
      caBundle: cert.caBundle,
      auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-key', key: 'key.json' } } },
      ...extra,
    };
  }

  async function connect(config: GcpSecretManagerConfig, deps: GcpTestDeps): Promise<ProviderClient> {
    const client = await gcpSecretManagerProvider.connect(config, deps);
    clients.push(client);
    return client;
  }

  describe('service account key (JWT bearer grant at the key\'s token_uri)', () => {
    it('reads the latest version with version, create time and the secret\'s expiry, sending a bearer token', async () => {
      const deps = keyDeps();
      const client = await connect(tlsConfig(), deps);
      const secret = await client.fetch({ key: 'db-password' });
      assert.equal(secret.value.toString(), PLANTED);
      assert.equal(secret.versionId, '2');
      assert.deepEqual(secret.createdAt, new Date(Date.UTC(2026, 0, 1, 0, 0, 2)));
      assert.deepEqual(secret.expiresAt, new Date('2027-03-01T00:00:00Z'));
      assert.equal(secret.metadata?.version, '2');
      const access = sm.callsOf('AccessSecretVersion');
      assert.equal(access.length, 1);
      assert.equal(access[0]!.name, `projects/${PROJECT}/secrets/db-password/versions/latest`);
      assert.match(access[0]!.authorization ?? '', /^Bearer ya29\./);
      assert.equal(tokens.requests.filter((r) => r.grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer' && r.status === 200).length >= 1, true);
      assert.ok(deps.observations.some((o) => o.operation === 'OAuthToken' && o.outcome === 'success'));
      assert.ok(deps.observations.some((o) => o.operation === 'AccessSecretVersion' && o.outcome === 'success' && o.status === 'OK'));
    });

    it('reads a pinned version number and caches version metadata', async () => {
      const client = await connect(tlsConfig(), keyDeps());
      sm.calls.length = 0;
      const first = await client.fetch({ key: 'db-password', version: '1' });
      const again = await client.fetch({ key: 'db-password', version: '1' });
      assert.equal(first.value.toString(), 'old-value');
      assert.equal(first.versionId, '1');
      assert.equal(again.versionId, '1');
      assert.equal(sm.callsOf('GetSecretVersion').length, 1, 'create time of a version is read once');
      assert.equal(sm.callsOf('GetSecret').length, 1, 'secret expiry is cached for a while');
    });

    it('accepts a full resource name as the key and refuses a version that is not a number or latest', async () => {
      const client = await connect(tlsConfig(), keyDeps());
      const secret = await client.fetch({ key: `projects/${PROJECT}/secrets/db-password`, version: 'latest' });
      assert.equal(secret.versionId, '2');
      const error = await rejection(client.fetch({ key: 'db-password', version: 'v2' }));
      assert.equal(error.kind, 'Config');
    });

    it('property reads a JSON path of the payload; extract returns the top-level keys', async () => {
      const client = await connect(tlsConfig(), keyDeps());
      const secret = await client.fetch({ key: 'db-json' });
      assert.equal(selectProperty(secret, 'db-json', 'user').toString(), 'app');
      assert.equal(selectProperty(secret, 'db-json', 'nested.password').toString(), PLANTED);
      assert.deepEqual(Object.keys(extractAll(secret, 'db-json')).sort(), ['nested', 'user']);
      assert.throws(() => selectProperty(secret, 'db-json', 'missing'), (e: unknown) => isProviderError(e) && e.kind === 'NotFound');
      const plain = await client.fetch({ key: 'db-password' });
      assert.throws(() => selectProperty(plain, 'db-password', 'user'), (e: unknown) => isProviderError(e) && e.kind === 'InvalidData');
    });

    it('a revoked key is an Auth error that carries neither the key nor the assertion', async () => {
      const other = tokens.createServiceAccountKey(`revoked@${PROJECT}.iam.gserviceaccount.com`, PROJECT);
      tokens.revokeKey(other.client_email);
      const deps = issuer.deps();
      deps.secrets.set('team-a/gcp-key/key.json', Buffer.from(JSON.stringify(other)));
      const client = await connect(tlsConfig(), deps);
      const error = await rejection(client.fetch({ key: 'db-password' }));
      assert.equal(error.kind, 'Auth');
      assert.equal(error.code, '400');
      assert.ok(!error.message.includes('PRIVATE KEY'));
      assert.ok(!/eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(error.message), 'no JWT in the message');
      assert.equal(sm.callsOf('AccessSecretVersion').length, 0, 'no RPC without a token');
    });

    it('a token endpoint outage is Unavailable', async () => {
      const deps = issuer.deps();
      const fresh = tokens.createServiceAccountKey(`outage@${PROJECT}.iam.gserviceaccount.com`, PROJECT);
      deps.secrets.set('team-a/gcp-key/key.json', Buffer.from(JSON.stringify(fresh)));
      tokens.failWith = 503;
      const client = await connect(tlsConfig(), deps);
      const error = await rejection(client.fetch({ key: 'db-password' }));
      assert.equal(error.kind, 'Unavailable');
    });

    it('reuses one access token across calls until it nears expiry', async () => {
      const deps = issuer.deps();
      const fresh = tokens.createServiceAccountKey(`cached@${PROJECT}.iam.gserviceaccount.com`, PROJECT);
      deps.secrets.set('team-a/gcp-key/key.json', Buffer.from(JSON.stringify(fresh)));
      const client = await connect(tlsConfig(), deps);
      const before = tokens.requests.length;
      await Promise.all([client.fetch({ key: 'db-password' }), client.fetch({ key: 'db-json' }), client.fetch({ key: 'db-password', version: '1' })]);
      await client.fetch({ key: 'other-api-key' });
      assert.equal(tokens.requests.length - before, 1);
    });

    it('an aborted call is refused without reaching the server', async () => {
      const client = await connect(tlsConfig(), keyDeps());
      const controller = new AbortController();
      controller.abort();
      const error = await rejection(client.fetch({ key: 'db-password' }, { signal: controller.signal }));
      assert.equal(error.kind, 'Unavailable');
      assert.equal(sm.callsOf('AccessSecretVersion').length, 0);
    });

    it('takes the project from the key when the store names none', async () => {
      const client = await connect(tlsConfig({ projectID: undefined }), keyDeps());
      assert.equal((await client.fetch({ key: 'db-password' })).versionId, '2');
    });
  });

  describe('workload identity federation (external_account, subject token from TokenRequest)', () => {
    function wifDeps(): GcpTestDeps {
      const deps = issuer.deps();
      deps.configMaps.set('team-a/gcp-wif/config.json', JSON.stringify({
        type: 'external_account',
        audience: POOL_AUDIENCE,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${tokens.url}/v1/token`,
        credential_source: { file: '/var/run/secrets/tokens/gcp' },
      }));
      return deps;
    }

    it('exchanges a minted ServiceAccount token at STS and reads with the federated token', async () => {
      const deps = wifDeps();
      const client = await connect(tlsConfig({
        auth: { workloadIdentityFederation: { serviceAccountRef: { name: 'keyferry' }, credConfig: { name: 'gcp-wif', key: 'config.json' } } },
      }), deps);
      const secret = await client.fetch({ key: 'db-password' });
      assert.equal(secret.value.toString(), PLANTED);
      assert.deepEqual(deps.mintRequests[0]!.audiences, [`https:${POOL_AUDIENCE}`]);
      const exchange = tokens.requests.filter((r) => r.path === '/v1/token');
      assert.equal(exchange.at(-1)!.status, 200);
      assert.match(sm.callsOf('AccessSecretVersion').at(-1)!.authorization ?? '', /^Bearer ya29\./);
    });

    it('a subject token for the wrong audience is refused by STS and becomes an Auth error without the token', async () => {
      const deps = wifDeps();
      const client = await connect(tlsConfig({
        auth: { workloadIdentityFederation: { serviceAccountRef: { name: 'keyferry', audiences: ['https://elsewhere'] }, credConfig: { name: 'gcp-wif', key: 'config.json' } } },
      }), deps);
      const error = await rejection(client.fetch({ key: 'db-password' }));
      assert.equal(error.kind, 'Auth');
      for (const token of deps.mintedTokens) assert.ok(!error.message.includes(token));
      assert.ok(deps.mintedTokens.length >= 1);
    });
  });

  describe('versions, integrity and errors', () => {
    let client: ProviderClient;
    before(async () => {
      client = await connect(tlsConfig(), keyDeps());
    });

    it('refuses a payload whose CRC32C does not match', async () => {
      sm.corruptPayloads = true;
      const error = await rejection(client.fetch({ key: 'db-password' }));
      assert.equal(error.kind, 'InvalidData');
      assert.equal(error.reason, 'ChecksumMismatch');
      assert.ok(!error.message.includes(PLANTED));
    });

    it('a disabled latest version gives a clear reason; a destroyed pinned version too', async () => {
      const name = `projects/${PROJECT}/secrets/db-password`;
      sm.setVersionState(name, 2, 'DISABLED');
      const disabled = await rejection(client.fetch({ key: 'db-password' }));
      assert.equal(disabled.kind, 'NotFound');
      assert.equal(disabled.reason, 'VersionDisabled');
      assert.match(disabled.message, /latest version \(2\) of secret "db-password" is DISABLED/);
      sm.setVersionState(name, 1, 'DESTROYED');
      const destroyed = await rejection(client.fetch({ key: 'db-password', version: '1' }));
      assert.equal(destroyed.reason, 'VersionDestroyed');
    });

    it('maps gRPC status codes to typed errors, each served once (no SDK retries)', async () => {
      const cases: Array<[grpc.status, string, string]> = [
        [grpc.status.NOT_FOUND, 'NotFound', 'NOT_FOUND'],
        [grpc.status.RESOURCE_EXHAUSTED, 'Throttled', 'RESOURCE_EXHAUSTED'],
        [grpc.status.PERMISSION_DENIED, 'Auth', 'PERMISSION_DENIED'],
        [grpc.status.UNAUTHENTICATED, 'Auth', 'UNAUTHENTICATED'],
        [grpc.status.UNAVAILABLE, 'Unavailable', 'UNAVAILABLE'],
      ];
      for (const [code, kind, codeName] of cases) {
        sm.calls.length = 0;
        sm.fail({ code, message: `injected ${codeName} for ya29.c.b0AXv0zTPlantedAccessToken_9f8e7d and assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl`, method: 'AccessSecretVersion', times: 1, retryAfterSeconds: code === grpc.status.RESOURCE_EXHAUSTED ? 7 : undefined });
        const error = await rejection(client.fetch({ key: 'db-password' }));
        assert.equal(error.kind, kind, codeName);
        assert.equal(error.code, codeName);
        assert.ok(!error.message.includes('ya29.c.') && !error.message.includes('eyJhbGci'), `${codeName}: no token in "${error.message}"`);
        assert.equal(sm.callsOf('AccessSecretVersion').length, 1, `${codeName} is not retried by the SDK`);
        if (kind === 'Throttled') assert.equal((error as ProviderError & { retryAfterMs?: number }).retryAfterMs, 7000);
      }
    });

    it('a secret that does not exist is NotFound', async () => {
      const error = await rejection(client.fetch({ key: 'no-such-secret' }));
      assert.equal(error.kind, 'NotFound');
    });

    it('metadata reads denied to an accessor-only identity are skipped, the value still read', async () => {
      const deps = keyDeps();
      const accessor = await connect(tlsConfig(), deps);
      sm.fail({ code: grpc.status.PERMISSION_DENIED, message: 'denied', method: 'GetSecret' });
      const secret = await accessor.fetch({ key: 'db-json' });
      assert.equal(secret.expiresAt, undefined);
      assert.equal(secret.versionId, '1');
      sm.clearFailures();
      sm.calls.length = 0;
      await accessor.fetch({ key: 'db-password' });
      assert.equal(sm.callsOf('GetSecret').length, 0, 'not asked again');
    });
  });

  describe('metadataPolicy Fetch', () => {
    it('reads the labels and annotations with GetSecret (never the value), as ESO writes them', async () => {
      const deps = keyDeps();
      const client = await connect(tlsConfig(), deps);
      const name = `projects/${PROJECT}/secrets/tagged`;
      sm.addSecret(name, { labels: { team: 'payments', env: 'prod' }, annotations: { 'owner.example.com/contact': 'db<&>team', rotation: '{"days":30}' } });
      sm.addVersion(name, PLANTED);
      sm.calls.length = 0;
      const secret = await client.fetchMetadata!({ key: 'tagged', version: '1', metadata: true });
      assert.equal(secret.value.length, 0, 'the value is not read');
      // All of it: {"annotations": {...}, "labels": {...}}, keys sorted, <, >, & escaped.
      assert.equal(readUserMetadata(secret, 'tagged')!.toString(), '{"annotations":{"owner.example.com/contact":"db\\u003c\\u0026\\u003eteam","rotation":"{\\"days\\":30}"},"labels":{"env":"prod","team":"payments"}}');
      assert.equal(readUserMetadata(secret, 'tagged', 'labels')!.toString(), '{"env":"prod","team":"payments"}');
      assert.equal(readUserMetadata(secret, 'tagged', 'labels.team')!.toString(), 'payments');
      // After the prefix the key is taken whole, dots and all.
      assert.equal(readUserMetadata(secret, 'tagged', 'annotations.owner.example.com/contact')!.toString(), 'db<&>team');
      for (const absent of ['labels.absent', 'annotations.team', 'team']) {
        assert.throws(() => readUserMetadata(secret, 'tagged', absent), (e) => isProviderError(e) && e.kind === 'NotFound' && e.reason === 'MetadataNotFound', absent);
      }
      assert.deepEqual(sm.calls.map((c) => [c.method, c.name]), [['GetSecret', name]]);
      assert.ok(deps.observations.some((o) => o.operation === 'GetSecret' && o.outcome === 'success'));
    });

    it('a secret without labels or annotations gives null for each, as ESO does; a missing or denied secret is an error', async () => {
      const client = await connect(tlsConfig(), keyDeps());
      sm.addSecret(`projects/${PROJECT}/secrets/bare`);
      const bare = await client.fetchMetadata!({ key: `projects/${PROJECT}/secrets/bare`, metadata: true });
      assert.equal(readUserMetadata(bare, 'bare')!.toString(), '{"annotations":null,"labels":null}');
      assert.equal(readUserMetadata(bare, 'bare', 'labels')!.toString(), 'null');
      assert.throws(() => readUserMetadata(bare, 'bare', 'labels.team'), (e) => isProviderError(e) && e.kind === 'NotFound');
      assert.equal((await rejection(client.fetchMetadata!({ key: 'no-such-secret', metadata: true }))).kind, 'NotFound');
      sm.denied.add(`projects/${PROJECT}/secrets/db-json`);
      assert.equal((await rejection(client.fetchMetadata!({ key: 'db-json', metadata: true }))).kind, 'Auth');
    });
  });

  describe('find, regional secrets, plaintext endpoints', () => {
    it('find lists by labels (ListSecrets filter) and name regexp', async () => {
      const client = await connect(tlsConfig(), keyDeps());
      assert.deepEqual(await client.find!({ tags: { team: 'payments' } }), ['db-json', 'db-password']);
      assert.deepEqual(await client.find!({ tags: { team: 'payments', tier: 'gold' } }), ['db-json']);
      assert.deepEqual(await client.find!({ name: compileUserPattern('api') }), ['other-api-key']);
      const list = sm.callsOf('ListSecrets');
      assert.equal(list.at(-1)!.name, `projects/${PROJECT}`);
    });

    it('reads regional secrets under projects/<p>/locations/<l>', async () => {
      const regional = `projects/${PROJECT}/locations/europe-west1/secrets/db-password`;
      sm.addSecret(regional);
      sm.addVersion(regional, 'regional-value');
      const client = await connect(tlsConfig({ location: 'europe-west1' }), keyDeps());
      assert.equal((await client.fetch({ key: 'db-password' })).value.toString(), 'regional-value');
      assert.deepEqual(await client.find!({}), ['db-password']);
    });

    it('an http:// endpoint uses an insecure channel, sends no credentials and warns', async () => {
      const plain = new FakeSecretManagerServer();
      await plain.start();
      try {
        const name = `projects/${PROJECT}/secrets/db-password`;
        plain.addSecret(name);
        plain.addVersion(name, 'plain');
        const client = await gcpSecretManagerProvider.connect({ ...tlsConfig(), endpoint: `http://127.0.0.1:${plain.port}`, caBundle: undefined }, keyDeps());
        try {
          assert.equal((await client.fetch({ key: 'db-password' })).value.toString(), 'plain');
          assert.equal(plain.calls[0]!.authorization, undefined);
          const { warnings } = await client.validate();
          assert.equal(warnings.length, 1);
          assert.match(warnings[0]!, /plaintext/);
        } finally {
          await client.close();
        }
      } finally {
        await plain.close();
      }
    });

    it('a server certificate not signed by the configured CA is Unavailable', async () => {
      const stranger = await createLoopbackCertificate();
      const client = await connect(tlsConfig({ caBundle: stranger.caBundle }), keyDeps());
      const error = await rejection(client.fetch({ key: 'db-password' }));
      assert.equal(error.kind, 'Unavailable');
    });
  });

  describe('secrets stay secret', () => {
    it('log lines and observations of a session with successes and failures carry no value, key or token', async () => {
      const deps = keyDeps();
      const client = await connect(tlsConfig(), deps);
      await client.fetch({ key: 'db-password' });
      await client.fetch({ key: 'db-json' });
      sm.corruptPayloads = true;
      await rejection(client.fetch({ key: 'db-password', version: '1' }));
      sm.corruptPayloads = false;
      sm.fail({ code: grpc.status.PERMISSION_DENIED, message: 'denied', method: 'GetSecret' });
      await client.fetch({ key: 'other-api-key' });
      const text = [...deps.logLines, JSON.stringify(deps.observations)].join('\n');
      assert.ok(deps.logLines.length > 0);
      for (const needle of [PLANTED, 'old-value', 'PRIVATE KEY', key.private_key_id, 'ya29.', 'eyJ']) assert.ok(!text.includes(needle), needle.slice(0, 10));
    });
  });

  describe('config and checksum', () => {
    it('validateConfig names fields', () => {
      const issues = gcpSecretManagerProvider.validateConfig({ location: 'Bad Location', endpoint: 'ftp://x', auth: { secretRef: {} } }, { kind: 'ClusterSecretStore', name: 'c' });
      const fields = issues.map((i) => i.field).sort();
      assert.deepEqual(fields, ['spec.provider.gcpsm.auth.secretRef.secretAccessKeySecretRef', 'spec.provider.gcpsm.endpoint', 'spec.provider.gcpsm.location']);
      assert.deepEqual(gcpSecretManagerProvider.validateConfig(tlsConfig(), { kind: 'SecretStore', name: 's', namespace: 'a' }), []);
    });

    it('crc32c matches the standard check value', () => {
      assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
      assert.equal(crc32c(Buffer.alloc(0)), 0);
    });
  });
});
