// Tenant attacks, played end to end against the operator process on both clusters: a tenant
// who may create SecretStores and ExternalSecrets in its own namespace tries to stall, borrow
// the operator's identity, probe and read other tenants. Each test does the attack and checks
// the outcome: other tenants unaffected, no data crossed, a clear condition.
import assert from 'node:assert/strict';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { API, eventually, externalSecret, fakeStore, forEachCluster, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const suffix = Math.random().toString(36).slice(2, 7);
const ns = (name: string) => `${name}-${suffix}`;

forEachCluster('tenant isolation', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let op: OperatorProcess;
  const ready = async (name: string, namespace: string) => readyOf(await fx.cluster.get(API, 'ExternalSecret', name, namespace));
  const storeReady = async (kindOf: 'SecretStore' | 'ClusterSecretStore', name: string, namespace?: string) => readyOf(await fx.cluster.get(API, kindOf, name, namespace));
  const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000) => eventually(probe, ms * fx.slow, what);
  const readOne = (store: string, key: string, kindOf = 'SecretStore') => ({ secretStoreRef: { name: store, kind: kindOf }, refreshInterval: '1h', data: [{ secretKey: 'v', remoteRef: { key } }] });

  before(async () => {
    fx = await startClusterFixture(kind);
    await fx.cluster.apply(['attacker', 'tenant', 'victim', 'prod', 'notprod-attacker'].map((n) => namespace(ns(n))));
    // Two workers: a wait inside the limiter would hold both for 1 000 s. Tokens only for labelled ServiceAccounts.
    op = await startOperatorProcess({ ...fx.operator, args: ['--concurrency', '2', '--shutdown-grace', '5', '--store-service-account-selector', 'keyferry.io/store-identity=true'] });
  });
  after(async () => {
    await op?.kill();
    await fx?.close();
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

  it('SIGTERM ends the operator within its grace time', async () => {
    assert.equal(await op.stop(15_000), 0);
  });
});
