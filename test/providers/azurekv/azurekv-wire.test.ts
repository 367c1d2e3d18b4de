// Wire tests: the provider's real SecretClient and @azure/identity credentials against the
// local Entra ID and Key Vault (TLS with a test CA, bearer challenge, real error bodies).
import { strict as assert } from 'node:assert';
import { azureKeyVaultProvider, type AzureKeyVaultConfig } from '../../../providers/azurekv/index.js';
import {
  extractAll,
  isProviderError,
  readUserMetadata,
  selectProperty,
  type ProviderClient,
  type ProviderError,
} from '../../../providers/contract/index.js';
import { startAzureEnvironment, type AzureEnvironment } from '../../support/azure/azure-environment.js';
import { recordingDeps, type RecordingDeps } from '../../support/azure/provider-deps.js';
import { createClientCertificate, type ClientCertificate } from '../../support/azure/test-pki.js';
import { blockedAttempts, installLoopbackGuard } from '../../support/loopback-guard.js';
import * as k8s from '@kubernetes/client-node';
import { startDevCluster, type DevCluster } from '../../../src/devcluster/dev-cluster.js';
import { compileUserPattern } from '../../../src/controller/user-pattern.js';

const clientSecret = 'Qx8~planted.client-secret_9f3Kd2';
const plantedValue = 'planted-value-7c1e9a0b';

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isProviderError(error), `expected a ProviderError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('azurekv provider against a local Key Vault and Entra ID', function () {
  let env: AzureEnvironment;
  let cert: ClientCertificate;
  // Workload identity tokens come from the dev cluster's TokenRequest API, and the local
  // Entra ID verifies them through the cluster's OIDC discovery and JWKS.
  let cluster: DevCluster;
  let core: k8s.CoreV1Api;
  const clients: ProviderClient[] = [];
  const errors: ProviderError[] = [];
  const allDeps: RecordingDeps[] = [];

  // Anything trying to leave 127.0.0.0/8 (instance discovery, IMDS, the public cloud) throws.
  let uninstallGuard: () => void;
  let blockedBefore = 0;
  let expectBlocked = false;

  before(async () => {
    uninstallGuard = installLoopbackGuard();
    env = await startAzureEnvironment({ pageSize: 2 });
    cert = await createClientCertificate('keyferry-test-app');
    cluster = await startDevCluster({ port: 0 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfigYaml());
    core = kc.makeApiClient(k8s.CoreV1Api);
    await cluster.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'keyferry', namespace: 'apps' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'intruder', namespace: 'apps' } },
    ]);
    env.entra.register({ clientId: 'secret-app', clientSecret });
    env.entra.register({ clientId: 'cert-app', certificatePem: cert.certPem });
    env.entra.register({ clientId: 'wi-app', federated: { issuer: cluster.issuer.issuer, subject: 'system:serviceaccount:apps:keyferry' } });
    env.entra.register({ clientId: 'no-rights-app', clientSecret });
    for (const app of ['secret-app', 'cert-app', 'wi-app']) env.vault.grant(app, ['get', 'list']);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await env.close();
    await cluster.stop();
    uninstallGuard();
  });

  beforeEach(() => {
    blockedBefore = blockedAttempts.length;
    expectBlocked = false;
  });

  afterEach(() => {
    if (!expectBlocked) {
      assert.deepEqual(blockedAttempts.slice(blockedBefore).map((e) => e.message), [], 'no connection outside 127.0.0.1');
    }
    // Nothing any store produced (errors, logs, metric observations) may carry a credential or a value.
    const text = [
      ...errors.map((e) => `${e.message} ${e.reason} ${e.code ?? ''}`),
      ...allDeps.flatMap((d) => [...d.logLines, ...d.observations.map((o) => JSON.stringify(o))]),
    ].join('\n');
    for (const needle of [clientSecret, plantedValue, cert.keyPem.split('\n')[1]!, 'eyJ']) {
      assert.ok(!text.includes(needle), `leaked ${needle.slice(0, 6)}… in: ${text}`);
    }
  });

  function deps(extra: Parameters<typeof recordingDeps>[0] = {}): RecordingDeps {
    const d = recordingDeps({
      secrets: {
        'default/azure-sp': { clientId: 'secret-app', clientSecret, certificate: cert.combinedPem, wrongSecret: 'not-the-secret-123', noRights: 'no-rights-app' },
        'default/azure-cert': { clientId: 'cert-app', certificate: cert.combinedPem },
        'default/azure-wi': { clientId: 'wi-app' },
      },
      mint: async (ref, audiences, expirationSeconds) => {
        const made = await core.createNamespacedServiceAccountToken({ namespace: ref.namespace ?? 'apps', name: ref.name, body: { spec: { audiences, expirationSeconds } } });
        return { token: made.status!.token, expiresAt: new Date(made.status!.expirationTimestamp!) };
      },
      ...extra,
    });
    allDeps.push(d);
    return d;
  }

  function secretConfig(overrides: Partial<AzureKeyVaultConfig> = {}): AzureKeyVaultConfig {
    return {
      vaultUrl: env.vault.vaultUrl,
      tenantId: env.tenantId,
      authorityHost: env.entra.authorityHost,
      caBundle: env.caBundle,
      authSecretRef: { clientId: { name: 'azure-sp', key: 'clientId' }, clientSecret: { name: 'azure-sp', key: 'clientSecret' } },
      ...overrides,
    };
  }

  async function connect(config: AzureKeyVaultConfig, d = deps()): Promise<ProviderClient> {
    const client = await azureKeyVaultProvider.connect(config, d);
    clients.push(client);
    return client;
  }

  async function fails(promise: Promise<unknown>): Promise<ProviderError> {
    const error = await rejection(promise);
    errors.push(error);
    return error;
  }

  describe('ServicePrincipal with a client secret', () => {
    it('answers the 401 challenge with a token from the configured authority and reads the latest version', async () => {
      const version = env.vault.setSecret('sp-db', plantedValue);
      const tokenRequestsBefore = env.entra.tokenRequests.length;
      const client = await connect(secretConfig());
      const secret = await client.fetch({ key: 'sp-db' });
      assert.equal(secret.value.toString('utf8'), plantedValue);
      assert.equal(secret.versionId, version);
      const newTokens = env.entra.tokenRequests.slice(tokenRequestsBefore);
      assert.equal(newTokens.length, 1);
      assert.equal(newTokens[0]!.method, 'secret');
      assert.equal(newTokens[0]!.scope, 'https://vault.azure.net/.default');
      // Later fetches reuse the cached token: no new token request, no new challenge.
      await client.fetch({ key: 'sp-db' });
      await client.fetch({ key: 'sp-db' });
      assert.equal(env.entra.tokenRequests.length, tokenRequestsBefore + 1);
    });

    it('reads a pinned version after rotation, and reports version and dates from the attributes', async () => {
      const notBefore = new Date(Date.now() - 3600_000);
      const expires = new Date(Date.now() + 7 * 86400_000);
      const v1 = env.vault.setSecret('sp-rotating', 'first', { notBefore, expires, contentType: 'text/plain', tags: { team: 'payments' } });
      const v2 = env.vault.setSecret('sp-rotating', 'second');
      const client = await connect(secretConfig());
      const latest = await client.fetch({ key: 'sp-rotating' });
      assert.equal(latest.value.toString(), 'second');
      assert.equal(latest.versionId, v2);
      const pinned = await client.fetch({ key: 'sp-rotating', version: v1 });
      assert.equal(pinned.value.toString(), 'first');
      assert.equal(pinned.versionId, v1);
      assert.equal(pinned.expiresAt?.getTime(), Math.floor(expires.getTime() / 1000) * 1000);
      assert.ok(pinned.createdAt instanceof Date && pinned.updatedAt instanceof Date);
      assert.deepEqual(Object.keys(pinned.metadata ?? {}).sort(), ['contentType', 'created', 'expires', 'notBefore', 'tag.team', 'updated', 'version']);
      assert.equal(pinned.metadata!.version, v1);
      assert.equal(pinned.metadata!.notBefore, new Date(Math.floor(notBefore.getTime() / 1000) * 1000).toISOString());
      assert.equal(pinned.metadata!['tag.team'], 'payments');
      // metadataPolicy Fetch reads the tags of the version read, as ESO does.
      assert.deepEqual(pinned.userMetadata, { team: 'payments' });
      assert.equal(readUserMetadata(pinned, 'sp-rotating')?.toString(), '{"team":"payments"}');
      assert.equal(readUserMetadata(pinned, 'sp-rotating', 'team')?.toString(), 'payments');
      assert.deepEqual((await client.fetchMetadata!({ key: 'sp-rotating', version: v1, metadata: true })).userMetadata, { team: 'payments' });
      assert.deepEqual(latest.userMetadata, {}, 'the latest version has no tags');
    });

    it('accepts ESO\'s secret/ prefix and refuses cert/ and key/ objects as config errors', async () => {
      env.vault.setSecret('sp-prefixed', 'x');
      const client = await connect(secretConfig());
      assert.equal((await client.fetch({ key: 'secret/sp-prefixed' })).value.toString(), 'x');
      const error = await fails(client.fetch({ key: 'cert/sp-prefixed' }));
      assert.equal(error.kind, 'Config');
    });

    it('reads a property as a JSON path of the value, and extracts every top-level key', async () => {
      env.vault.setSecret('sp-json', JSON.stringify({ user: 'app', db: { host: 'pg.internal', port: 5432 }, 'dotted.key': 'd' }));
      const client = await connect(secretConfig());
      const secret = await client.fetch({ key: 'sp-json' });
      assert.equal(secret.fields, undefined);
      assert.equal(selectProperty(secret, 'sp-json', 'user').toString(), 'app');
      assert.equal(selectProperty(secret, 'sp-json', 'db.host').toString(), 'pg.internal');
      assert.equal(selectProperty(secret, 'sp-json', 'db.port').toString(), '5432');
      assert.equal(selectProperty(secret, 'sp-json', 'dotted.key').toString(), 'd');
      const missing = await rejection(Promise.resolve().then(() => selectProperty(secret, 'sp-json', 'db.password')));
      assert.equal(missing.kind, 'NotFound');
      assert.deepEqual(Object.keys(extractAll(secret, 'sp-json')).sort(), ['db', 'dotted.key', 'user']);
    });

    it('maps 404 SecretNotFound (missing name or version) to NotFound', async () => {
      env.vault.setSecret('sp-exists', 'x');
      const client = await connect(secretConfig());
      const missing = await fails(client.fetch({ key: 'sp-missing' }));
      assert.equal(missing.kind, 'NotFound');
      assert.equal(missing.reason, 'SecretNotFound');
      assert.equal(missing.code, 'SecretNotFound');
      const missingVersion = await fails(client.fetch({ key: 'sp-exists', version: '0123456789abcdef0123456789abcdef' }));
      assert.equal(missingVersion.kind, 'NotFound');
    });

    it('gives a disabled secret and a not-yet-valid secret a clear reason', async () => {
      env.vault.setSecret('sp-disabled', plantedValue, { enabled: false });
      env.vault.setSecret('sp-future', plantedValue, { notBefore: new Date(Date.now() + 86400_000) });
      const client = await connect(secretConfig());
      const disabled = await fails(client.fetch({ key: 'sp-disabled' }));
      assert.equal(disabled.kind, 'NotFound');
      assert.equal(disabled.reason, 'SecretDisabled');
      assert.match(disabled.message, /disabled/);
      const future = await fails(client.fetch({ key: 'sp-future' }));
      assert.equal(future.reason, 'SecretNotYetValid');
      assert.match(future.message, /not valid before \d{4}-/);
    });

    it('returns an expired secret with its expiry so it can be surfaced', async () => {
      const expires = new Date(Date.now() - 60_000);
      env.vault.setSecret('sp-expired', 'old', { expires });
      const client = await connect(secretConfig());
      const secret = await client.fetch({ key: 'sp-expired' });
      assert.equal(secret.expiresAt?.getTime(), Math.floor(expires.getTime() / 1000) * 1000);
    });

    it('maps 429 to Throttled with Retry-After, without retrying inside the SDK', async () => {
      env.vault.setSecret('sp-throttled', 'x');
      const client = await connect(secretConfig());
      await client.fetch({ key: 'sp-throttled' });
      const before = env.vault.requests.length;
      env.vault.throttleNext(1, 7);
      const started = Date.now();
      const error = await fails(client.fetch({ key: 'sp-throttled' }));
      assert.equal(error.kind, 'Throttled');
      assert.equal((error as ProviderError & { retryAfterMs?: number }).retryAfterMs, 7000);
      assert.equal(error.code, 'Throttled');
      assert.equal(env.vault.requests.length, before + 1, 'exactly one request: no SDK retry');
      assert.ok(Date.now() - started < 5000, 'no wait for the 7 s Retry-After');
    });

    it('maps 503 and an unreachable vault to Unavailable', async () => {
      env.vault.setSecret('sp-flaky', 'x');
      const client = await connect(secretConfig());
      await client.fetch({ key: 'sp-flaky' });
      env.vault.failNext(1, 503);
      const error = await fails(client.fetch({ key: 'sp-flaky' }));
      assert.equal(error.kind, 'Unavailable');
      assert.equal(error.retryable, true);

      const closed = await connect(secretConfig({ vaultUrl: 'https://127.0.0.1:9' }));
      const unreachable = await fails(closed.fetch({ key: 'sp-flaky' }));
      assert.equal(unreachable.kind, 'Unavailable');
    });

    it('stops on the caller\'s abort signal', async () => {
      env.vault.setSecret('sp-abort', 'x');
      const client = await connect(secretConfig());
      await client.fetch({ key: 'sp-abort' });
      const before = env.vault.requests.length;
      const error = await fails(client.fetch({ key: 'sp-abort' }, { signal: AbortSignal.abort() }));
      assert.equal(error.kind, 'Unavailable');
      assert.equal(error.reason, 'Aborted');
      assert.equal(env.vault.requests.length, before);
    });

    it('maps a 403 from RBAC to Auth', async () => {
      env.vault.setSecret('sp-guarded', 'x');
      const client = await connect(secretConfig({ authSecretRef: { clientId: { name: 'azure-sp', key: 'noRights' }, clientSecret: { name: 'azure-sp', key: 'clientSecret' } } }));
      const error = await fails(client.fetch({ key: 'sp-guarded' }));
      assert.equal(error.kind, 'Auth');
      assert.equal(error.reason, 'ForbiddenByRbac');
    });

    it('maps a wrong client secret to Auth with the AADSTS code, never the secret', async () => {
      const d = deps();
      const client = await connect(secretConfig({ authSecretRef: { clientId: { name: 'azure-sp', key: 'clientId' }, clientSecret: { name: 'azure-sp', key: 'wrongSecret' } } }), d);
      const error = await fails(client.fetch({ key: 'sp-db' }));
      assert.equal(error.kind, 'Auth');
      assert.match(error.message, /AADSTS7000215/);
      assert.ok(!error.message.includes('not-the-secret-123'));
      assert.ok(d.observations.some((o) => o.operation === 'GetToken' && o.outcome === 'Auth'));
      const validation = await fails(client.validate());
      assert.equal(validation.kind, 'Auth');
    });

    it('maps Entra ID throttling and outages to Throttled and Unavailable', async () => {
      const client = await connect(secretConfig());
      env.entra.failNextTokenRequests(1, 429, 30);
      const throttled = await fails(client.validate());
      assert.equal(throttled.kind, 'Throttled');
      // MSAL keeps honouring the Retry-After itself: the next attempt is refused locally.
      const requests = env.entra.tokenRequests.length;
      assert.equal((await fails(client.validate())).kind, 'Throttled');
      assert.equal(env.entra.tokenRequests.length, requests);

      const other = await connect(secretConfig());
      env.entra.failNextTokenRequests(1, 503);
      const down = await fails(other.validate());
      assert.equal(down.kind, 'Unavailable');
      // MSAL also holds back after a 5xx, per credential; a fresh store recovers at once.
      const ok = await (await connect(secretConfig())).validate();
      assert.deepEqual(ok.warnings, []);
    });

    it('maps an unreachable or untrusted authority to Unavailable', async () => {
      const unreachable = await connect(secretConfig({ authorityHost: 'https://127.0.0.1:9' }));
      const error = await fails(unreachable.validate());
      assert.equal(error.kind, 'Unavailable');
      assert.equal(error.reason, 'AuthorityUnreachable');
    });

    it('refuses the vault\'s certificate without the CA bundle (TLS is verified, not skipped)', async () => {
      const client = await connect(secretConfig({ caBundle: undefined }));
      const error = await fails(client.fetch({ key: 'sp-db' }));
      assert.equal(error.kind, 'Unavailable');
    });

    it('takes the CA bundle from a ConfigMap through caProvider', async () => {
      env.vault.setSecret('sp-ca', 'y');
      const d = deps({
        configMaps: { 'default/ca': { 'ca.crt': env.pki.caCert } },
        secrets: { 'default/azure-sp': { clientId: 'secret-app', clientSecret } },
      });
      const client = await connect(secretConfig({ caBundle: undefined, caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' } }), d);
      assert.equal((await client.fetch({ key: 'sp-ca' })).value.toString(), 'y');
    });

    it('observes vault calls and token exchanges for metrics', async () => {
      env.vault.setSecret('sp-observed', 'x');
      const d = deps();
      const client = await connect(secretConfig(), d);
      await client.fetch({ key: 'sp-observed' });
      await fails(client.fetch({ key: 'sp-not-there' }));
      const ops = d.observations.map((o) => `${o.operation}:${o.outcome}`);
      assert.deepEqual(ops, ['GetToken:success', 'GetSecret:success', 'GetSecret:NotFound']);
    });
  });

  describe('ServicePrincipal with a client certificate', () => {
    it('signs a client assertion Entra ID verifies against the registered certificate', async () => {
      env.vault.setSecret('cert-db', 'via-cert');
      const before = env.entra.tokenRequests.length;
      const client = await connect(secretConfig({ authSecretRef: { clientId: { name: 'azure-cert', key: 'clientId' }, clientCertificate: { name: 'azure-cert', key: 'certificate' } } }));
      assert.equal((await client.fetch({ key: 'cert-db' })).value.toString(), 'via-cert');
      const made = env.entra.tokenRequests.slice(before);
      assert.deepEqual(made.map((r) => [r.clientId, r.method, r.status]), [['cert-app', 'certificate', 200]]);
    });

    it('is refused (Auth) when the certificate is not the one registered on the app', async () => {
      const other = await createClientCertificate('someone-else');
      const d = deps({ secrets: { 'default/azure-cert': { clientId: 'cert-app', certificate: other.combinedPem } } });
      const client = await connect(secretConfig({ authSecretRef: { clientId: { name: 'azure-cert', key: 'clientId' }, clientCertificate: { name: 'azure-cert', key: 'certificate' } } }), d);
      const error = await fails(client.fetch({ key: 'cert-db' }));
      assert.equal(error.kind, 'Auth');
      assert.match(error.message, /AADSTS700027/);
      assert.ok(!error.message.includes(other.keyPem.split('\n')[1]!));
    });

    it('refuses a Secret that holds no private key as a config error', async () => {
      const d = deps({ secrets: { 'default/azure-cert': { clientId: 'cert-app', certificate: cert.certPem } } });
      const error = await fails(azureKeyVaultProvider.connect(secretConfig({ authSecretRef: { clientId: { name: 'azure-cert', key: 'clientId' }, clientCertificate: { name: 'azure-cert', key: 'certificate' } } }), d));
      assert.equal(error.kind, 'Config');
    });
  });

  describe('WorkloadIdentity', () => {
    const wiConfig = (): AzureKeyVaultConfig => secretConfig({
      authType: 'WorkloadIdentity',
      authSecretRef: { clientId: { name: 'azure-wi', key: 'clientId' } },
      serviceAccountRef: { name: 'keyferry', namespace: 'apps' },
    });

    it('exchanges a TokenRequest ServiceAccount token (audience api://AzureADTokenExchange) for a vault token', async () => {
      env.vault.setSecret('wi-db', 'via-wi');
      const d = deps();
      const before = env.entra.tokenRequests.length;
      const client = await connect(wiConfig(), d);
      assert.equal((await client.fetch({ key: 'wi-db' })).value.toString(), 'via-wi');
      assert.ok(d.mintRequests.length >= 1);
      for (const m of d.mintRequests) assert.deepEqual([m.ref.name, m.audiences], ['keyferry', ['api://AzureADTokenExchange']]);
      assert.deepEqual(env.entra.tokenRequests.slice(before).map((r) => [r.clientId, r.method, r.status]), [['wi-app', 'federated', 200]]);
    });

    it('takes the client id from identityId as well', async () => {
      const client = await connect({ ...wiConfig(), authSecretRef: undefined, identityId: 'wi-app' });
      assert.equal((await client.fetch({ key: 'wi-db' })).value.toString(), 'via-wi');
    });

    it('fails validation when the ServiceAccount token cannot be minted', async () => {
      const client = await connect({ ...wiConfig(), serviceAccountRef: { name: 'ghost', namespace: 'apps' } });
      const error = await fails(client.validate());
      assert.equal(error.kind, 'Auth');
      assert.equal(error.reason, 'ServiceAccountTokenFailed');
      assert.match(error.message, /ServiceAccount token for workload identity could not be minted/);
    });

    it('is refused (Auth) when no federated credential matches the ServiceAccount', async () => {
      const config = { ...wiConfig(), serviceAccountRef: { name: 'intruder', namespace: 'apps' } };
      const client = await connect(config);
      const error = await fails(client.fetch({ key: 'wi-db' }));
      assert.equal(error.kind, 'Auth');
      assert.match(error.message, /AADSTS70021/);
    });
  });

  describe('staying on 127.0.0.1', () => {
    it('a store left on the public cloud is stopped by the loopback guard instead of leaving the machine', async () => {
      expectBlocked = true;
      const client = await connect({
        vaultUrl: 'https://keyferry-test.vault.azure.net',
        tenantId: env.tenantId,
        authSecretRef: { clientId: { name: 'azure-sp', key: 'clientId' }, clientSecret: { name: 'azure-sp', key: 'clientSecret' } },
      });
      const error = await fails(client.fetch({ key: 'db' }));
      assert.equal(error.kind, 'Unavailable');
      const validation = await fails(client.validate());
      assert.equal(validation.kind, 'Unavailable');
      assert.equal(validation.reason, 'AuthorityUnreachable');
      const blocked = blockedAttempts.slice(blockedBefore).map((e) => e.target);
      assert.ok(blocked.some((t) => t.startsWith('keyferry-test.vault.azure.net')), blocked.join(', '));
      assert.ok(blocked.some((t) => t.startsWith('login.microsoftonline.com')), blocked.join(', '));
    });
  });

  describe('ManagedIdentity', () => {
    it('validates and connects without contacting anything (the identity endpoint only exists on Azure compute)', async () => {
      const config: AzureKeyVaultConfig = { authType: 'ManagedIdentity', vaultUrl: 'https://example.vault.azure.net', identityId: '00000000-0000-0000-0000-000000000001' };
      assert.deepEqual(azureKeyVaultProvider.validateConfig(config, { kind: 'SecretStore', name: 's', namespace: 'default' }), []);
      // The node's identity is the operator's own: a ClusterSecretStore's (or one the operator allows).
      const d = { ...deps(), allowAmbientCredentials: true };
      const client = await azureKeyVaultProvider.connect(config, d);
      await client.close();
      assert.deepEqual(d.secretReads, []);
    });

    it('is refused for a namespaced SecretStore unless the operator allows it, before anything is read', async () => {
      const config: AzureKeyVaultConfig = { authType: 'ManagedIdentity', vaultUrl: 'https://example.vault.azure.net' };
      const d = deps();
      const e = await fails(azureKeyVaultProvider.connect(config, d));
      assert.equal(e.reason, 'AmbientCredentialsNotAllowed');
      assert.match(e.message, /the Azure managed identity of the node the operator runs on/);
    });
  });

  describe('find', () => {
    it('lists every page (nextLink), matching name regexp and tags, skipping disabled and certificate-backed secrets', async () => {
      env.vault.setSecret('find-app-a', 'x', { tags: { env: 'prod', team: 'a' } });
      env.vault.setSecret('find-app-b', 'x', { tags: { env: 'dev' } });
      env.vault.setSecret('find-app-c', 'x', { tags: { env: 'prod' } });
      env.vault.setSecret('find-app-d', 'x', { tags: { env: 'prod' }, enabled: false });
      env.vault.setSecret('find-app-e', 'x', { tags: { env: 'prod' }, managed: true });
      env.vault.setSecret('find-other', 'x', { tags: { env: 'prod' } });
      const client = await connect(secretConfig());
      const before = env.vault.requests.length;
      assert.deepEqual(await client.find!({ name: compileUserPattern('^find-app-'), tags: { env: 'prod' } }), ['find-app-a', 'find-app-c']);
      const pages = env.vault.requests.slice(before).filter((r) => r.path === '/secrets' && r.status === 200);
      assert.ok(pages.length > 3, `expected several pages, got ${pages.length}`);
      assert.deepEqual(await client.find!({ path: 'find-', tags: { team: 'a' } }), ['find-app-a']);
    });
  });

  describe('config', () => {
    const store = { kind: 'ClusterSecretStore' as const, name: 'cluster' };

    it('names wrong fields by path', () => {
      const issues = azureKeyVaultProvider.validateConfig({
        authType: 'ServicePrincipal',
        vaultUrl: 'not a url',
        authSecretRef: { clientId: { name: 'a', key: 'b' } },
        environmentType: 'MarsCloud',
        authorityHost: 'http://login.example',
      }, store);
      const fields = issues.map((i) => i.field).sort();
      assert.deepEqual(fields, [
        'spec.provider.azurekv.authSecretRef',
        'spec.provider.azurekv.authSecretRef.clientId.namespace',
        'spec.provider.azurekv.authorityHost',
        'spec.provider.azurekv.environmentType',
        'spec.provider.azurekv.tenantId',
        'spec.provider.azurekv.vaultUrl',
      ]);
      const wi = azureKeyVaultProvider.validateConfig({ authType: 'WorkloadIdentity', vaultUrl: 'https://v.vault.azure.net', tenantId: 't' }, store);
      assert.deepEqual(wi.map((i) => i.field).sort(), ['spec.provider.azurekv.identityId', 'spec.provider.azurekv.serviceAccountRef.name']);
    });

    it('shares one rate budget per vault', () => {
      const a = azureKeyVaultProvider.endpointIdentity({ vaultUrl: 'https://My.vault.azure.net/' }, store);
      const b = azureKeyVaultProvider.endpointIdentity({ vaultUrl: 'https://my.vault.azure.net' }, { kind: 'SecretStore', name: 'x', namespace: 'n' });
      assert.equal(a, b);
    });

    it('refuses to connect with an invalid config', async () => {
      const error = await fails(azureKeyVaultProvider.connect({ vaultUrl: 'https://v.vault.azure.net' } as AzureKeyVaultConfig, deps()));
      assert.equal(error.kind, 'Config');
    });

    it('warns about a plaintext vault URL', async () => {
      const client = await connect(secretConfig({ vaultUrl: 'http://127.0.0.1:9' }));
      const result = await client.validate();
      assert.equal(result.warnings.length, 1);
      assert.match(result.warnings[0]!, /plaintext/);
    });
  });
});
