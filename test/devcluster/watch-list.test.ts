// The dev cluster's watch-list (sendInitialEvents), as kube-apiserver 1.34 serves it: the
// current objects as ADDED, then a BOOKMARK annotated `k8s.io/initial-events-end` only for a
// client that allows bookmarks; the options checked as ValidateListOptions checks them (422 on
// ListOptions); sendInitialEvents=false starts from now; with the WatchList feature gate off
// (`watchList: false`) the request is refused with 422.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp, type Query, type WatchEvent, type WatchHandle } from '../../src/kube/kube-http.js';

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'wl' } });
const PATH = '/api/v1/namespaces/wl/configmaps';
const WATCH_LIST: Query = { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true };

interface Opened {
  /** `ADDED c1`, `BOOKMARK end rv=5`, `BOOKMARK rv=6` */
  events: string[];
  handle: WatchHandle;
  /** Resolves once an event described as `what` has arrived. */
  seen(what: string): Promise<void>;
}

async function open(http: KubeHttp, query: Query): Promise<Opened> {
  const events: string[] = [];
  const waiting: Array<{ what: string; resolve: () => void }> = [];
  const describe = (e: WatchEvent): string => e.type === 'BOOKMARK'
    ? `BOOKMARK${e.object.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true' ? ' end' : ''} rv=${e.object.metadata?.resourceVersion}`
    : `${e.type} ${e.object.metadata?.name}`;
  const handle = await http.watch(PATH, query, (e) => {
    const what = describe(e);
    events.push(what);
    for (const w of waiting.filter((x) => what.startsWith(x.what))) w.resolve();
  }, () => {});
  const seen = (what: string) => new Promise<void>((resolve) => {
    if (events.some((e) => e.startsWith(what))) resolve(); else waiting.push({ what, resolve });
  });
  return { events, handle, seen };
}

/** The watch's refusal (it must be refused). */
async function refusal(http: KubeHttp, query: Query): Promise<{ statusCode: number; body: { reason?: string; message?: string; details?: unknown } }> {
  return new Promise((resolve, reject) => {
    void http.watch(PATH, query, () => reject(new Error('an event arrived')), (error) => {
      if (error) resolve(error as never); else reject(new Error('the watch ended without a refusal'));
    });
  });
}

describe('dev cluster watch-list (sendInitialEvents)', function () {
  this.timeout(20_000);
  let cluster: DevCluster;
  let http: KubeHttp;
  const opened: WatchHandle[] = [];

  before(async () => {
    cluster = await startDevCluster({ port: 0 });
    http = new KubeHttp(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd()));
    await cluster.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wl' } }, cm('c1'), cm('c2')]);
  });
  after(async () => {
    for (const h of opened) h.abort();
    await cluster?.stop();
  });

  it('streams the current objects, then the initial-events-end bookmark at the current resourceVersion, then later changes', async () => {
    const rv = cluster.resourceVersion;
    const w = await open(http, WATCH_LIST);
    opened.push(w.handle);
    await w.seen('BOOKMARK end');
    await cluster.apply(cm('c3'));
    await w.seen('ADDED c3');
    assert.deepEqual(w.events, ['ADDED c1', 'ADDED c2', `BOOKMARK end rv=${rv}`, 'ADDED c3']);
  });

  it('sends no initial-events-end bookmark to a client that does not allow bookmarks (as the watch cache)', async () => {
    const w = await open(http, { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' });
    opened.push(w.handle);
    await cluster.apply(cm('c4'));
    await w.seen('ADDED c4');
    assert.deepEqual(w.events, ['ADDED c1', 'ADDED c2', 'ADDED c3', 'ADDED c4']);
  });

  it('with sendInitialEvents=false starts from now: no initial state', async () => {
    // The response's headers come once the watch is registered: what is applied after them is seen.
    const req = request(`${cluster.url}${PATH}?watch=true&sendInitialEvents=false&resourceVersionMatch=NotOlderThan`, { headers: { Authorization: 'Bearer keyferry-dev' } });
    req.end();
    const [res] = await once(req, 'response') as [IncomingMessage];
    assert.equal(res.statusCode, 200);
    res.setEncoding('utf8');
    let text = '';
    const c5 = new Promise<void>((resolve) => res.on('data', (chunk: string) => { text += chunk; if (text.includes('"c5"')) resolve(); }));
    await cluster.apply(cm('c5'));
    await c5;
    req.destroy();
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as WatchEvent).map((e) => `${e.type} ${e.object.metadata?.name}`);
    assert.deepEqual(events, ['ADDED c5']);
  });

  it('refuses sendInitialEvents without resourceVersionMatch=NotOlderThan, and resourceVersionMatch without sendInitialEvents, with 422 on ListOptions', async () => {
    const noMatch = await refusal(http, { sendInitialEvents: true, allowWatchBookmarks: true });
    assert.equal(noMatch.statusCode, 422);
    assert.equal(noMatch.body.reason, 'Invalid');
    assert.equal(noMatch.body.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    assert.deepEqual(noMatch.body.details, {
      group: 'meta.k8s.io', kind: 'ListOptions',
      causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan', field: 'resourceVersionMatch' }],
    });
    const matchAlone = await refusal(http, { resourceVersionMatch: 'NotOlderThan' });
    assert.equal(matchAlone.statusCode, 422);
    assert.equal(matchAlone.body.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  });

  it('with the WatchList feature gate off (watchList: false) refuses sendInitialEvents with 422, and serves plain watches', async () => {
    const old = await startDevCluster({ port: 0, watchList: false });
    try {
      const oldHttp = new KubeHttp(await connectionFromKubeconfig(old.kubeconfigYaml(), process.cwd()));
      const refused = await refusal(oldHttp, WATCH_LIST);
      assert.equal(refused.statusCode, 422);
      assert.equal(refused.body.message, 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled');
      await old.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wl' } }, cm('o1')]);
      const w = await open(oldHttp, {});
      await w.seen('ADDED o1');
      w.handle.abort();
    } finally {
      await old.stop();
    }
  });
});
