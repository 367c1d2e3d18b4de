// Tenant attacks, played end to end against the operator process on both clusters: a tenant
// who may create SecretStores and ExternalSecrets in its own namespace tries to stall, borrow
// the operator's identity, probe and read other tenants. Each test does the attack and checks
// the outcome: other tenants unaffected, no data crossed, a clear condition. The clouds are the
// local wire servers of test/support (their call counters say what reached them), and the
// operator reaches the API server through a proxy that can leave chosen requests unanswered.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { AwsTestServer } from '../support/aws/aws-server.js';
import { startAzureEnvironment, type AzureEnvironment } from '../support/azure/azure-environment.js';
import { FakeGoogleTokenServer } from '../support/gcp/token-server.js';
import { KubeApiProxy } from '../support/kube-api-proxy.js';
import { API, decoded, eventually, externalSecret, fakeStore, forEachCluster, managedSecrets, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const suffix = Math.random().toString(36).slice(2, 7);
const ns = (name: string) => `${name}-${suffix}`;
const KEY_ID = 'AKIAKEYFERRYTENANT01';
const SECRET_KEY = 'tenantSecretAccessKey/planted+0123456789ab';
/** The reconcile deadline the operator runs with: a queue counts as stalled after twice this. */
const RECONCILE_TIMEOUT_S = 8;
const AWS_ROLE = 'arn:aws:iam::123456789012:role/tenant';
const GCP_POOL = '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/tenant/providers/k8s';

forEachCluster('tenant isolation', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let op: OperatorProcess;
  let proxy: Awaited<ReturnType<typeof KubeApiProxy.start>>;
  let dir: string;
  let aws: AwsTestServer;
  let googleTokens: FakeGoogleTokenServer;
  let azure: AzureEnvironment;
  const ready = async (name: string, namespace: string) => readyOf(await fx.cluster.get(API, 'ExternalSecret', name, namespace));
  const storeReady = async (kindOf: 'SecretStore' | 'ClusterSecretStore', name: string, namespace?: string) => readyOf(await fx.cluster.get(API, kindOf, name, namespace));
  const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000) => eventually(probe, ms * fx.slow, what);
  const readOne = (store: string, key: string, kindOf = 'SecretStore') => ({ secretStoreRef: { name: store, kind: kindOf }, refreshInterval: '1h', data: [{ secretKey: 'v', remoteRef: { key } }] });

  before(async () => {
    fx = await startClusterFixture(kind);
    await fx.cluster.apply(['attacker', 'tenant', 'victim', 'prod', 'notprod-attacker'].map((n) => namespace(ns(n))));
    // Each cloud trusts the cluster's ServiceAccount issuer for the attacker's labelled ServiceAccount.
    const storeIdentity = `system:serviceaccount:${ns('attacker')}:store-identity`;
    aws = new AwsTestServer({
      users: [{ accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY }],
      roles: [{ arn: AWS_ROLE, webIdentitySubjects: [storeIdentity] }],
      oidcProviders: [{ issuer: fx.cluster.issuer.issuer, audiences: ['sts.amazonaws.com'] }],
    });
    await aws.start();
    googleTokens = new FakeGoogleTokenServer();
    await googleTokens.start();
    googleTokens.addWorkloadIdentityPool({ audience: GCP_POOL, issuer: fx.cluster.issuer.issuer, jwks: fx.cluster.issuer.jwksUri });
    azure = await startAzureEnvironment();
    azure.entra.register({ clientId: 'tenant-app', federated: { issuer: fx.cluster.issuer.issuer, subject: storeIdentity } });
    // The operator talks to the API server through a proxy that can leave chosen writes unanswered.
    proxy = await KubeApiProxy.start(await readFile(fx.operator.kubeconfigPath, 'utf8'));
    dir = await mkdtemp(join(tmpdir(), 'keyferry-tenant-'));
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, proxy.kubeconfig(), { mode: 0o600 });
    // Two workers: a wait inside the limiter would hold both for 1 000 s. Tokens only for labelled ServiceAccounts.
    op = await startOperatorProcess({ ...fx.operator, kubeconfigPath, args: ['--concurrency', '2', '--shutdown-grace', '5', '--reconcile-timeout', String(RECONCILE_TIMEOUT_S), '--store-service-account-selector', 'keyferry.io/store-identity=true'] });
  });
  after(async () => {
    await op?.kill();
    await proxy?.close();
    await aws?.close();
    await googleTokens?.close();
    await azure?.close();
    await fx?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the API server refuses a rateLimit below one call per 1 000 s', async () => {
    const store = { ...fakeStore('glacial', ns('attacker'), [{ key: 'k', value: 'v' }]) } as KubeObject & { spec: Record<string, unknown> };
    store.spec.rateLimit = { requestsPerSecond: 0.0001, burst: 1 };
    await assert.rejects(fx.cluster.apply(store), /rateLimit\.requestsPerSecond/);
  });

  it('6 ExternalSecrets on a store allowing one call per 1 000 s stall nobody; deleting the store frees them', async () => {
    const attacker = ns('attacker');
    const tenant = ns('tenant');
    const glacial = fakeStore('glacial', attacker, Array.from({ length: 6 }, (_, i) => ({ key: `s${i}`, value: `attacker-${i}` }))) as KubeObject & { spec: Record<string, unknown> };
    glacial.spec.rateLimit = { requestsPerSecond: 0.001, burst: 1, maxConcurrent: 1 };
    await fx.cluster.apply([glacial, ...Array.from({ length: 6 }, (_, i) => externalSecret(`slow-${i}`, attacker, readOne('glacial', `s${i}`)))]);
    await fx.cluster.apply([fakeStore('normal', tenant, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `tenant-${i}` }))),
      ...Array.from({ length: 20 }, (_, i) => externalSecret(`es-${i}`, tenant, readOne('normal', `k${i}`)))]);
    await waitFor('every tenant ExternalSecret Ready', async () => {
      for (let i = 0; i < 20; i++) if ((await ready(`es-${i}`, tenant))?.status !== 'True') return false;
      return true;
    });
    const waiting = await waitFor('five slow ExternalSecrets told when their budget allows', async () => {
      const conditions = await Promise.all(Array.from({ length: 6 }, (_, i) => ready(`slow-${i}`, attacker)));
      const told = conditions.filter((c) => /rate limit \(spec\.rateLimit\) allows this call in about \d+ min/.test(c?.message ?? ''));
      return told.length === 5 ? told : undefined;
    });
    assert.ok(waiting.every((c) => c!.status === 'False'));
    const health = await fetch(`${op.healthUrl}/readyz`);
    assert.equal(health.status, 200, 'no work queue is stalled');

    await fx.cluster.delete(API, 'SecretStore', 'glacial', attacker);
    await waitFor('the slow ExternalSecrets see the store gone at once, not in 1 000 s', async () => {
      const conditions = await Promise.all(Array.from({ length: 6 }, (_, i) => ready(`slow-${i}`, attacker)));
      return conditions.every((c) => c?.reason === 'StoreNotReady');
    }, 15_000);
  });

  it('a SecretStore without credentials may not borrow the operator\'s cloud identity, and says why', async () => {
    const attacker = ns('attacker');
    await fx.cluster.apply({ apiVersion: API, kind: 'SecretStore', metadata: { name: 'borrow', namespace: attacker }, spec: { provider: { aws: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9' } } } });
    const c = await waitFor('the store refused', async () => { const r = await storeReady('SecretStore', 'borrow', attacker); return r?.status === 'False' ? r : undefined; });
    assert.equal(c.reason, 'InvalidProviderConfig');
    assert.match(c.message!, /no credentials are named, so this store would use the operator's own \(the AWS SDK default chain.*\); a namespaced SecretStore may not/);
  });

  it('a hostile pattern finishes in RE2 next to a normal ExternalSecret; a pattern RE2 refuses gets InvalidSpec', async () => {
    const attacker = ns('attacker');
    await fx.cluster.apply([fakeStore('patterns', attacker, [{ key: `${'a'.repeat(27)}!`, value: 'x' }, { key: 'aaaa', value: 'y' }]),
      externalSecret('hostile', attacker, { secretStoreRef: { name: 'patterns' }, refreshInterval: '1h', dataFrom: [{ find: { name: { regexp: '^(a+)+$' } } }] }),
      externalSecret('lookahead', attacker, { secretStoreRef: { name: 'patterns' }, refreshInterval: '1h', dataFrom: [{ find: { name: { regexp: '^(?=a)a+' } } }] })]);
    await waitFor('the hostile pattern synced', async () => (await ready('hostile', attacker))?.status === 'True');
    const refused = await waitFor('the lookahead refused', async () => { const r = await ready('lookahead', attacker); return r?.reason === 'InvalidSpec' ? r : undefined; });
    assert.match(refused.message!, /find\.name\.regexp: RE2 does not accept/);
  });

  it('an unanchored namespaceRegexes keeps ESO\'s meaning and the store warns about it', async () => {
    const store = `loose-${suffix}`;
    await fx.cluster.apply({ apiVersion: API, kind: 'ClusterSecretStore', metadata: { name: store }, spec: { provider: { fake: { data: [{ key: 'k', value: 'shared' }] } }, conditions: [{ namespaceRegexes: ['prod'] }] } });
    const c = await waitFor('the store Valid', async () => { const r = await storeReady('ClusterSecretStore', store); return r?.reason === 'Valid' ? r : undefined; });
    assert.match(c.message!, /namespaceRegexes\[0\] "prod" is not anchored: it admits every namespace whose name contains a match/);
    await fx.cluster.apply(externalSecret('in', ns('notprod-attacker'), readOne(store, 'k', 'ClusterSecretStore')));
    await waitFor('the look-alike namespace admitted, as ESO would', async () => (await ready('in', ns('notprod-attacker')))?.status === 'True');
  });

  it('naming another namespace\'s SecretStore reveals nothing about it', async () => {
    await fx.cluster.apply(fakeStore('payroll', ns('victim'), [{ key: 'k', value: 'victim-value' }]));
    await fx.cluster.apply([externalSecret('probe', ns('attacker'), readOne('payroll', 'k')), externalSecret('control', ns('attacker'), readOne('nothing-here', 'k'))]);
    const [probe, control] = await waitFor('both answered', async () => {
      const both = [await ready('probe', ns('attacker')), await ready('control', ns('attacker'))];
      return both.every((c) => c?.reason === 'StoreNotReady') ? both : undefined;
    });
    assert.equal(probe!.message, control!.message!.replace('nothing-here', 'payroll'));
    assert.doesNotMatch(probe!.message!, new RegExp(ns('victim')));
  });

  it('a store may not have a token minted for the API server\'s audience nor for an unlabelled ServiceAccount; a mint allowed is an Event on the store', async () => {
    const attacker = ns('attacker');
    const vault = (name: string, serviceAccount: string, audiences: string[]) => ({ apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: attacker },
      spec: { provider: { vault: { server: 'http://127.0.0.1:9', path: 'secret', auth: { kubernetes: { role: 'r', serviceAccountRef: { name: serviceAccount, audiences } } } } } } });
    await fx.cluster.apply([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'store-identity', namespace: attacker, labels: { 'keyferry.io/store-identity': 'true' } } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: attacker } },
    ]);
    await fx.cluster.apply([vault('impersonate', 'store-identity', [fx.cluster.issuer.issuer]), vault('unlabelled', 'app', ['vault']), vault('audience-ok', 'store-identity', ['vault'])]);
    const refused = await waitFor('the API server audience refused', async () => { const r = await storeReady('SecretStore', 'impersonate', attacker); return r?.status === 'False' ? r : undefined; });
    assert.match(refused.message!, /is one the Kubernetes API server accepts/);
    const unlabelled = await waitFor('the unlabelled ServiceAccount refused', async () => { const r = await storeReady('SecretStore', 'unlabelled', attacker); return r?.status === 'False' ? r : undefined; });
    assert.match(unlabelled.message!, new RegExp(`ServiceAccount "${attacker}/app" may not be used by stores: the operator allows only ServiceAccounts labelled keyferry\\.io/store-identity=true`));
    const minted = await waitFor('a TokenMinted Event', async () => (await fx.cluster.list('v1', 'Event', attacker))
      .find((e) => e.reason === 'TokenMinted' && (e.involvedObject as { name?: string }).name === 'audience-ok'));
    assert.match(String(minted.message), new RegExp(`minted a token for ServiceAccount "${attacker}/store-identity" with audiences \\["vault"\\], valid 600 s`));
    const events = await fx.cluster.list('v1', 'Event', attacker);
    for (const store of ['impersonate', 'unlabelled']) {
      assert.ok(!events.some((e) => e.reason === 'TokenMinted' && (e.involvedObject as { name?: string }).name === store), `nothing was minted for ${store}`);
    }
  });

  it('a store of AWS, GCP or Azure workload identity may not have a token minted for the API server\'s audience nor for an unlabelled ServiceAccount, and nothing reaches its endpoint', async () => {
    const attacker = ns('attacker');
    const issuer = fx.cluster.issuer.issuer;
    const store = (name: string, provider: Record<string, unknown>): KubeObject => ({ apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: attacker }, spec: { provider } });
    const awsStore = (name: string, serviceAccountRef: Record<string, unknown>) => store(name, { aws: { region: 'us-east-1', endpoint: aws.url, stsEndpoint: aws.url,
      role: AWS_ROLE, auth: { jwt: { serviceAccountRef } } } });
    // A TLS endpoint (host:port), so the client needs a token to validate; nothing listens there.
    const gcpStore = (name: string, serviceAccountRef: Record<string, unknown>) => store(name, { gcpsm: { projectID: 'tenant', endpoint: '127.0.0.1:9',
      auth: { workloadIdentityFederation: { serviceAccountRef, credConfig: { name: 'gcp-wif', key: 'config.json' } } } } });
    const azureStore = (name: string, serviceAccountRef: Record<string, unknown>) => store(name, { azurekv: { vaultUrl: azure.vault.vaultUrl, tenantId: azure.tenantId,
      authorityHost: azure.entra.authorityHost, caBundle: azure.caBundle, authType: 'WorkloadIdentity', identityId: 'tenant-app', serviceAccountRef } });
    await fx.cluster.apply([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'store-identity', namespace: attacker, labels: { 'keyferry.io/store-identity': 'true' } } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: attacker } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gcp-wif', namespace: attacker }, data: { 'config.json': JSON.stringify({
        type: 'external_account', audience: GCP_POOL,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', token_url: `${googleTokens.url}/v1/token` }) } },
    ]);
    const impersonating = { name: 'store-identity', audiences: [issuer] };
    const unlabelled = { name: 'app' };
    await fx.cluster.apply([
      awsStore('aws-impersonate', impersonating), awsStore('aws-unlabelled', unlabelled),
      gcpStore('gcp-impersonate', impersonating), gcpStore('gcp-unlabelled', unlabelled),
      azureStore('azure-impersonate', impersonating), azureStore('azure-unlabelled', unlabelled),
    ]);
    // Each store settles on Ready=False saying which rule refused the token (the last message seen is in a timeout's error).
    const refusedWith = async (name: string, expected: RegExp) => {
      let last: string | undefined;
      try {
        return await waitFor(`${name} refused`, async () => {
          const r = await storeReady('SecretStore', name, attacker);
          last = `${r?.status} ${r?.reason}: ${r?.message}`;
          return r?.status === 'False' && expected.test(r.message ?? '') ? r : undefined;
        });
      } catch (e) {
        throw new Error(`${String(e)}; last condition: ${last}`, { cause: e });
      }
    };
    const escaped = issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const provider of ['aws', 'gcp', 'azure']) {
      await refusedWith(`${provider}-impersonate`, new RegExp(`audience "${escaped}" is one the Kubernetes API server accepts; keyferry does not mint such tokens for a store`));
      await refusedWith(`${provider}-unlabelled`, new RegExp(`ServiceAccount "${attacker}/app" may not be used by stores: the operator allows only ServiceAccounts labelled keyferry\\.io/store-identity=true`));
    }
    const events = await fx.cluster.list('v1', 'Event', attacker);
    for (const name of ['aws-impersonate', 'aws-unlabelled', 'gcp-impersonate', 'gcp-unlabelled', 'azure-impersonate', 'azure-unlabelled']) {
      assert.ok(!events.some((e) => e.reason === 'TokenMinted' && (e.involvedObject as { name?: string }).name === name), `nothing was minted for ${name}`);
    }
    // No token was exchanged anywhere: STS, Google's token endpoint and Entra ID saw no request.
    assert.equal(aws.calls.AssumeRoleWithWebIdentity ?? 0, 0);
    assert.equal(googleTokens.requests.length, 0);
    assert.equal(azure.entra.tokenRequests.length, 0);

    // The same stores with the labelled ServiceAccount and their clouds' own audiences: minted, on record, exchanged.
    await fx.cluster.apply([awsStore('aws-allowed', { name: 'store-identity' }), gcpStore('gcp-allowed', { name: 'store-identity' }), azureStore('azure-allowed', { name: 'store-identity' })]);
    for (const provider of ['aws', 'gcp', 'azure']) {
      await waitFor(`${provider}: the allowed store Valid`, async () => (await storeReady('SecretStore', `${provider}-allowed`, attacker))?.reason === 'Valid');
      // Events are written on their own queue, after the status: wait for it rather than read once.
      const minted = await waitFor(`${provider}: the TokenMinted Event`, async () => (await fx.cluster.list('v1', 'Event', attacker))
        .find((e) => e.reason === 'TokenMinted' && (e.involvedObject as { name?: string }).name === `${provider}-allowed`)).catch(() => undefined);
      assert.match(String(minted?.message), new RegExp(`^minted a token for ServiceAccount "${attacker}/store-identity" with audiences \\[".+"\\], valid \\d+ s$`), `${provider}: ${String(minted?.message)}`);
    }
    assert.ok((aws.calls.AssumeRoleWithWebIdentity ?? 0) >= 1, 'STS exchanged the allowed token');
    assert.ok(googleTokens.requests.some((r) => r.status === 200), 'Google\'s token endpoint exchanged the allowed token');
    assert.ok(azure.entra.tokenRequests.length >= 1, 'Entra ID exchanged the allowed token');
  });

  it('namespace B\'s outage key never reaches namespace A through a shared ClusterSecretStore', async () => {
    const a = ns('attacker');
    const b = ns('victim');
    const store = `shared-aws-${suffix}`;
    const aKey = `team-a/app-${suffix}`;
    const bKey = `team-b/ledger-${suffix}`;
    const aValue = `team-a-value-${suffix}`;
    const bValue = `team-b-ledger-value-${suffix}`;
    aws.store.put(aKey, aValue);
    aws.store.put(bKey, bValue);
    const keys = (key: string) => ({ name: 'aws-keys', key, namespace: ns('prod') });
    await fx.cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aws-keys', namespace: ns('prod') }, data: { id: Buffer.from(KEY_ID).toString('base64'), secret: Buffer.from(SECRET_KEY).toString('base64') } });
    await fx.cluster.apply({ apiVersion: API, kind: 'ClusterSecretStore', metadata: { name: store }, spec: { conditions: [{ namespaces: [a, b] }],
      provider: { aws: { region: 'us-east-1', endpoint: aws.url, auth: { secretRef: { accessKeyIDSecretRef: keys('id'), secretAccessKeySecretRef: keys('secret') } } } } } });
    await waitFor('the store Valid', async () => (await storeReady('ClusterSecretStore', store))?.reason === 'Valid');
    await fx.cluster.apply(externalSecret('app', a, readOne(store, aKey, 'ClusterSecretStore')));
    await waitFor('A synced', async () => (await ready('app', a))?.status === 'True');

    // The endpoint goes down; B reads its key through the same store until the circuit opens.
    aws.unavailable = true;
    await fx.cluster.apply(externalSecret('ledger', b, readOne(store, bKey, 'ClusterSecretStore')));
    await waitFor('B\'s reads open the store\'s circuit', async () => /circuit open after repeated failures/.test((await ready('ledger', b))?.message ?? ''));
    // B is told about its own key: the key was in the outage that opened the circuit.
    await waitFor('B\'s key in B\'s Events', async () => JSON.stringify(await fx.cluster.list('v1', 'Event', b)).includes(bKey));

    // A reads now, through the open circuit.
    await fx.cluster.mergePatch(API, 'ExternalSecret', 'app', a, { metadata: { annotations: { 'keyferry.io/force-sync': '1' } } });
    const seen = await waitFor('A told of the outage', async () => { const r = await ready('app', a); return r?.status === 'False' ? r : undefined; });
    assert.equal(seen.reason, 'Stale');
    assert.match(seen.message!, /^Unavailable: store [^:]+: provider unavailable, circuit open after repeated failures \(last: Unavailable \(ServiceUnavailableException\)\); the last good version "app-[0-9a-f]{10}" keeps serving$/);
    const current = (await fx.cluster.get(API, 'ExternalSecret', 'app', a))?.status as { currentSecretName?: string };
    assert.equal(decoded((await managedSecrets(fx.cluster, a, 'app')).find((s) => s.metadata?.name === current.currentSecretName), 'v'), aValue, 'A keeps its own value');

    // The outage ends: both recover, and nothing of B ever showed in A.
    aws.unavailable = false;
    await waitFor('both synced again', async () => (await ready('app', a))?.status === 'True' && (await ready('ledger', b))?.status === 'True');
    const shownToA = JSON.stringify([(await fx.cluster.get(API, 'ExternalSecret', 'app', a))?.status, await fx.cluster.list('v1', 'Event', a), await managedSecrets(fx.cluster, a, 'app')]);
    for (const needle of [bKey, 'ledger', bValue, Buffer.from(bValue).toString('base64')]) assert.ok(!shownToA.includes(needle), `"${needle}" reached namespace A`);
  });

  it('/readyz fails while every worker is held by writes the API server leaves unanswered, says which queue, and recovers when they are answered', async () => {
    const tenant = ns('tenant');
    assert.equal((await fetch(`${op.healthUrl}/readyz`)).status, 200, 'ready before');
    // Status writes of these three hang (as behind a stuck admission webhook): two hold both workers, one waits.
    const stuck = new RegExp(`^/apis/keyferry\\.io/v1alpha1/namespaces/${tenant}/externalsecrets/stuck-\\d/status$`);
    proxy.hold((method, path) => method === 'PATCH' && stuck.test(path));
    await fx.cluster.apply(Array.from({ length: 3 }, (_, i) => externalSecret(`stuck-${i}`, tenant, readOne('normal', `k${i}`))));
    const started = Date.now();
    const body = await waitFor('/readyz failing', async () => {
      const res = await fetch(`${op.healthUrl}/readyz`);
      return res.status === 503 ? res.text() : undefined;
    }, 6 * RECONCILE_TIMEOUT_S * 1000);
    assert.match(body, /^waiting for: externalsecrets work queue \(\d+ waiting, none finished in \d+ s\)\n$/);
    assert.ok(Date.now() - started >= 2 * RECONCILE_TIMEOUT_S * 1000 - 1000, 'not before twice the reconcile timeout');
    assert.equal(proxy.heldCount, 2, 'both workers held');

    proxy.release();
    await waitFor('/readyz ready again', async () => (await fetch(`${op.healthUrl}/readyz`)).status === 200);
    await waitFor('the held ExternalSecrets synced', async () => {
      for (let i = 0; i < 3; i++) if ((await ready(`stuck-${i}`, tenant))?.status !== 'True') return false;
      return true;
    });
  });

  it('SIGTERM ends the operator within its grace time', async () => {
    assert.equal(await op.stop(15_000), 0);
  });
});
