import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { failure, startTestCluster, until, type TestCluster } from './helpers.js';

describe('dev cluster fault injection', () => {
  let t: TestCluster;
  before(async () => { t = await startTestCluster(); });
  afterEach(() => t.cluster.faults.clear());
  after(() => t.cluster.stop());

  it('fails exactly the next N matching requests with a 5xx Status', async () => {
    t.cluster.faults.add({ match: { verb: 'create', resource: 'secrets' }, status: 503, times: 2 });
    const body = { metadata: { name: 'f1' } };
    assert.equal((await failure(t.core.createNamespacedSecret({ namespace: 'default', body }))).code, 503);
    // Other verbs and resources are untouched.
    await t.core.listNamespacedSecret({ namespace: 'default' });
    await t.core.createNamespacedConfigMap({ namespace: 'default', body });
    const second = await failure(t.core.createNamespacedSecret({ namespace: 'default', body }));
    assert.equal(second.code, 503);
    assert.equal(second.body.kind, 'Status');
    await t.core.createNamespacedSecret({ namespace: 'default', body });
    assert.equal(t.cluster.faults.injected, 2);
  });

  it('answers 429 with Retry-After', async () => {
    t.cluster.faults.add({ match: { resource: 'configmaps' }, status: 429, retryAfterSeconds: 7, times: 1 });
    const res = await fetch(`${t.cluster.url}/api/v1/namespaces/default/configmaps`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    const body = (await res.json()) as { reason: string; details: { retryAfterSeconds: number } };
    assert.equal(body.reason, 'TooManyRequests');
    assert.equal(body.details.retryAfterSeconds, 7);
    assert.equal((await fetch(`${t.cluster.url}/api/v1/namespaces/default/configmaps`)).status, 200);
  });

  it('tells watch-lists (sendInitialEvents=true) from other watches, and leaves lists alone', async () => {
    const path = `${t.cluster.url}/api/v1/namespaces/default/configmaps`;
    const status = async (query: string): Promise<number> => {
      const controller = new AbortController();
      const res = await fetch(`${path}?${query}`, { signal: controller.signal });
      controller.abort();
      return res.status;
    };
    const watchList = 'watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';
    const injected = t.cluster.faults.injected;
    const id = t.cluster.faults.add({ match: { verb: 'watch', watchList: true }, status: 429 });
    assert.equal(await status(watchList), 429);
    assert.equal(await status(`watch=true&resourceVersion=${t.cluster.resourceVersion}`), 200);
    assert.equal(await status('limit=10'), 200);
    t.cluster.faults.remove(id);
    t.cluster.faults.add({ match: { watchList: false }, status: 410 });
    assert.equal(await status(`watch=true&resourceVersion=${t.cluster.resourceVersion}`), 410);
    assert.equal(await status(watchList), 200);
    assert.equal(await status('limit=10'), 200, 'a list is not a watch');
    assert.equal(t.cluster.faults.injected - injected, 2);
  });

  it('adds latency', async () => {
    t.cluster.faults.add({ match: { verb: 'get' }, latencyMs: 150 });
    const start = Date.now();
    await failure(t.core.readNamespacedSecret({ namespace: 'default', name: 'absent' }));
    assert.ok(Date.now() - start >= 140);
  });

  it('an error rate below 1 fails a repeatable share of requests', async () => {
    t.cluster.faults.add({ match: { verb: 'list', resource: 'pods' }, status: 500, errorRate: 0.5 });
    let failed = 0;
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${t.cluster.url}/api/v1/namespaces/default/pods`);
      if (res.status === 500) failed++;
      await res.arrayBuffer();
    }
    assert.ok(failed > 5 && failed < 35, `failed ${failed} of 40`);
  });

  it('drops watches (gracefully: client-node Watch reports done without error), and by rule after a delay', async () => {
    let done: unknown = 'open';
    await new k8s.Watch(t.kc).watch('/api/v1/namespaces/default/secrets', { resourceVersion: t.cluster.resourceVersion }, () => {}, (err) => { done = err; });
    await until(() => t.cluster.server.hub.size === 1);
    assert.equal(t.cluster.dropWatches(), 1);
    await until(() => done !== 'open');
    assert.equal(done, null);

    t.cluster.faults.add({ match: { resource: 'secrets' }, dropWatchAfterMs: 100 });
    let done2: unknown = 'open';
    await new k8s.Watch(t.kc).watch('/api/v1/namespaces/default/secrets', { resourceVersion: t.cluster.resourceVersion }, () => {}, (err) => { done2 = err; });
    await until(() => done2 !== 'open', 3000, 'rule-driven drop');
  });

  it('restart drops every connection, refuses connections while down, and keeps the data', async () => {
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'survives' } } });
    let done: unknown = 'open';
    await new k8s.Watch(t.kc).watch('/api/v1/namespaces/default/secrets', { resourceVersion: t.cluster.resourceVersion }, () => {}, (err) => { done = err; });
    const restarting = t.cluster.restart({ downMs: 1000 });
    await until(() => done !== 'open');
    await assert.rejects(fetch(`${t.cluster.url}/version`));
    await restarting;
    const s = await t.core.readNamespacedSecret({ namespace: 'default', name: 'survives' });
    assert.equal(s.metadata!.name, 'survives');
  });

  it('is driven over HTTP under /_dev/ too (stats, faults, watches, restart)', async () => {
    const post = (p: string, body: unknown) => fetch(t.cluster.url + p, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    await fetch(`${t.cluster.url}/_dev/stats`, { method: 'DELETE' });
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'counted' } } });
    await t.core.readNamespacedSecret({ namespace: 'default', name: 'counted' });
    const stats = (await (await fetch(`${t.cluster.url}/_dev/stats`)).json()) as { counts: Record<string, number> };
    assert.equal(stats.counts['create secrets'], 1);
    assert.equal(stats.counts['get secrets'], 1);
    assert.equal(t.cluster.stats.count('create', 'secrets'), 1);

    const added = (await (await post('/_dev/faults', { match: { verb: 'get', resource: 'secrets' }, status: 500, times: 1 })).json()) as { id: string };
    assert.ok(added.id);
    assert.equal((await failure(t.core.readNamespacedSecret({ namespace: 'default', name: 'counted' }))).code, 500);
    await t.core.readNamespacedSecret({ namespace: 'default', name: 'counted' });
    assert.equal((await fetch(`${t.cluster.url}/_dev/faults`, { method: 'DELETE' })).status, 200);

    const drop = (await (await post('/_dev/watches/drop', {})).json()) as { dropped: number };
    assert.equal(typeof drop.dropped, 'number');
    const r = await post('/_dev/restart', { downMs: 0 });
    assert.equal(r.status, 202);
    await new Promise((res) => setTimeout(res, 50));
    assert.equal((await fetch(`${t.cluster.url}/version`)).status, 200);
  });
});
