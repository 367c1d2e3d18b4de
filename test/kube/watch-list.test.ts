// ResilientInformer's watch-list (KEP-3157): the initial state streamed by one watch with
// `sendInitialEvents=true`, applied when the `k8s.io/initial-events-end` bookmark arrives, and
// the paged list where the server refuses or ignores it. Against the dev cluster, and against a
// scripted server for what the dev cluster does not do (ignore the parameter, end early, hold
// the bookmark back).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { ResilientInformer, type InformerLogger } from '../../src/kube/informer.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp, type Query, type WatchEvent, type WatchHandle } from '../../src/kube/kube-http.js';
import type { KubeObject } from '../../src/kube/kube-object.js';

const cm = (name: string, namespace: string, value = '1') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { value } });

/** A logger that keeps the debug lines' messages and fields. */
function recordingLogger(): InformerLogger & { lines: Array<{ msg: string; obj: Record<string, unknown> }> } {
  const lines: Array<{ msg: string; obj: Record<string, unknown> }> = [];
  return { lines, warn() {}, debug(obj, msg) { lines.push({ msg, obj: obj as Record<string, unknown> }); } };
}

/** The connection, recording whether each watch it opens is a watch-list (as the call is made). */
class RecordingHttp extends KubeHttp {
  readonly watches: Array<'watch-list' | 'watch'> = [];
  override watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, done: (error: unknown) => void): Promise<WatchHandle> {
    this.watches.push(query.sendInitialEvents === true ? 'watch-list' : 'watch');
    return super.watch(path, query, onEvent, done);
  }
}

/** Resolves when `handlers` report the named event (`add c1`, `delete c0`). */
function eventOf(informer: ResilientInformer<KubeObject>, what: string): Promise<void> {
  return new Promise((resolve) => {
    const report = (type: string) => (o: KubeObject) => { if (`${type} ${o.metadata?.name}` === what) resolve(); };
    informer.on({ add: report('add'), update: report('update'), delete: report('delete') });
  });
}

describe('ResilientInformer watch-list (dev cluster)', function () {
  this.timeout(20_000);
  let cluster: DevCluster;
  let http: KubeHttp;
  let informer: ResilientInformer<KubeObject> | undefined;
  let listCalls = 0;
  const addsSeenSynced: boolean[] = [];

  before(async () => {
    cluster = await startDevCluster({ port: 0 });
    http = new KubeHttp(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd()));
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wl' } });
    for (let i = 0; i < 5; i++) await cluster.apply(cm(`c${i}`, 'wl'));
  });
  after(async () => {
    await informer?.stop();
    await cluster?.stop();
  });

  it('syncs from one watch with sendInitialEvents: no list request, synced once the initial events end, then the same watch goes on', async () => {
    cluster.stats.reset();
    const path = '/api/v1/namespaces/wl/configmaps';
    const inf = informer = new ResilientInformer<KubeObject>({
      name: 'configmaps', http, logger: recordingLogger(), path, initialBackoffMs: 50, maxBackoffMs: 200,
      list: (page) => { listCalls++; return http.list(path, page); },
    });
    inf.on({ add: () => addsSeenSynced.push(inf.synced) });
    await inf.start();
    await inf.waitForSync();
    assert.equal(inf.syncedVia, 'watch-list');
    assert.equal(listCalls, 0);
    assert.equal(cluster.stats.count('list', 'configmaps'), 0, 'the list endpoint was not called');
    assert.deepEqual(inf.list('wl').map((o) => o.metadata?.name).sort(), ['c0', 'c1', 'c2', 'c3', 'c4']);
    // Every object was handed out before `synced` turned true.
    assert.deepEqual(addsSeenSynced, [false, false, false, false, false]);

    const later = eventOf(inf, 'add later');
    await cluster.apply(cm('later', 'wl'));
    await later;
    assert.equal(cluster.stats.count('watch', 'configmaps'), 1, 'the watch-list watch carried the later change');
  });

  it('re-lists by watch-list after 410 Gone and applies what was deleted meanwhile', async () => {
    const inf = informer!;
    cluster.stats.reset();
    const deleted = eventOf(inf, 'delete c0');
    const updates: string[] = [];
    inf.on({ update: (o) => updates.push(o.metadata!.name!) });
    // The watch ends, c0 goes while nobody watches and the history is compacted: the re-watch gets 410.
    cluster.dropWatches({ resource: 'configmaps', graceful: true });
    cluster.delete('v1', 'ConfigMap', 'c0', 'wl');
    await cluster.apply(cm('c1', 'wl', '2'));
    cluster.compactHistory();
    await deleted;
    assert.equal(inf.get('c0', 'wl'), undefined);
    assert.equal(inf.syncedVia, 'watch-list');
    assert.equal(cluster.stats.count('list', 'configmaps'), 0, 'the list endpoint was not called');
    assert.equal(cluster.stats.count('watch', 'configmaps'), 2, 'the re-watch that got 410, then one watch-list');
    assert.deepEqual(updates, ['c1'], 'only the changed object is an update; the others are unchanged');
  });

  it('falls back to the paged list where the server refuses watch-list (422: the WatchList feature gate off), and does not ask again on a re-list', async () => {
    const old = await startDevCluster({ port: 0, watchList: false });
    const oldHttp = new RecordingHttp(await connectionFromKubeconfig(old.kubeconfigYaml(), process.cwd()));
    const logger = recordingLogger();
    const path = '/api/v1/namespaces/old/configmaps';
    const inf = new ResilientInformer<KubeObject>({
      name: 'configmaps', http: oldHttp, logger, path, pageSize: 2, initialBackoffMs: 50, maxBackoffMs: 200,
      list: (page) => oldHttp.list(path, page),
    });
    try {
      await old.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'old' } });
      for (let i = 0; i < 3; i++) await old.apply(cm(`o${i}`, 'old'));
      await inf.start();
      await inf.waitForSync();
      assert.equal(inf.syncedVia, 'list');
      assert.deepEqual(inf.list('old').map((o) => o.metadata?.name).sort(), ['o0', 'o1', 'o2']);
      assert.equal(old.stats.count('list', 'configmaps'), 2, 'two pages');
      const refusals = logger.lines.filter((l) => l.msg.startsWith('watch-list refused'));
      assert.equal(refusals.length, 1);
      assert.match(String(refusals[0]!.obj.reason), /HTTP 422 .*sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled/);

      // Once the watch from the list runs (it delivers a new object), a re-list after 410 Gone goes straight to the paged list.
      const watched = eventOf(inf, 'add o3');
      await old.apply(cm('o3', 'old'));
      await watched;
      old.stats.reset();
      const deleted = eventOf(inf, 'delete o0');
      old.dropWatches({ resource: 'configmaps', graceful: true });
      old.delete('v1', 'ConfigMap', 'o0', 'old');
      old.compactHistory();
      await deleted;
      assert.equal(old.stats.count('list', 'configmaps'), 2, 'two pages');
      // Refused watch-list, watch from the list; re-watch that got 410, watch from the new list.
      assert.deepEqual(oldHttp.watches, ['watch-list', 'watch', 'watch', 'watch']);
      assert.equal(logger.lines.filter((l) => l.msg.startsWith('watch-list refused')).length, 1);
    } finally {
      await inf.stop();
      await old.stop();
    }
  });

  it('lists in pages when watch-list is turned off', async () => {
    const path = '/api/v1/namespaces/wl/configmaps';
    cluster.stats.reset();
    const inf = new ResilientInformer<KubeObject>({
      name: 'configmaps', http, logger: recordingLogger(), path, watchList: false,
      list: (page) => http.list(path, page),
    });
    try {
      await inf.start();
      await inf.waitForSync();
      assert.equal(inf.syncedVia, 'list');
      assert.equal(cluster.stats.count('list', 'configmaps'), 1);
    } finally {
      await inf.stop();
    }
  });
});

/**
 * An API server for one resource whose watch-list answer the test scripts: `watchList(res)`
 * answers each watch with sendInitialEvents; other watches stay open and silent; lists answer
 * `items` at resourceVersion 10.
 */
class ScriptedServer {
  readonly requests: string[] = [];
  private readonly waiting: Array<{ what: string; resolve: () => void }> = [];
  private readonly server: Server;
  private readonly open = new Set<ServerResponse>();
  url = '';

  constructor(private readonly items: KubeObject[], private readonly watchList: (res: ServerResponse) => void) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<KubeHttp> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: s, cluster: {server: "${this.url}", insecure-skip-tls-verify: true}}]
users: [{name: s, user: {token: t}}]
contexts: [{name: s, context: {cluster: s, user: s}}]
current-context: s
`;
    return new KubeHttp(await connectionFromKubeconfig(kubeconfig, process.cwd()));
  }

  /** Resolves once a request described as `what` (`list`, `watch-list`, `watch rv=10`) has arrived. */
  request(what: string): Promise<void> {
    return new Promise((resolve) => { if (this.requests.includes(what)) resolve(); else this.waiting.push({ what, resolve }); });
  }

  private record(what: string): void {
    this.requests.push(what);
    for (const w of this.waiting.filter((x) => x.what === what)) w.resolve();
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    if (q.get('watch') !== 'true') {
      this.record('list');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '10' }, items: this.items }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    if (q.get('sendInitialEvents') === 'true') {
      this.record('watch-list');
      this.watchList(res);
    } else {
      this.record(`watch rv=${q.get('resourceVersion')}`);
    }
  }
}

const line = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;
const added = (name: string, rv: string) => line('ADDED', { ...cm(name, 'default'), metadata: { name, namespace: 'default', resourceVersion: rv } });
const bookmark = (rv: string, annotations?: Record<string, string>) =>
  line('BOOKMARK', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: rv, ...(annotations ? { annotations } : {}) } });
const END = { 'k8s.io/initial-events-end': 'true' };

describe('ResilientInformer watch-list (scripted server)', function () {
  this.timeout(20_000);
  const listed = [{ ...cm('from-list', 'default'), metadata: { name: 'from-list', namespace: 'default', resourceVersion: '10' } }];

  interface Run {
    inf: ResilientInformer<KubeObject>;
    server: ScriptedServer;
    logger: ReturnType<typeof recordingLogger>;
    /** Resolves once `n` objects have been prepared (transformed) by the informer. */
    prepared(n: number): Promise<void>;
  }

  async function run(script: (res: ServerResponse) => void, body: (r: Run) => Promise<void>) {
    const server = new ScriptedServer(listed, script);
    const http = await server.start();
    let count = 0;
    const waiting: Array<{ n: number; resolve: () => void }> = [];
    const logger = recordingLogger();
    const inf = new ResilientInformer<KubeObject>({
      name: 'configmaps', http, logger, path: '/api/v1/configmaps', initialBackoffMs: 50, maxBackoffMs: 200,
      list: (page) => http.list('/api/v1/configmaps', page),
      transform: (o) => {
        count++;
        for (const w of waiting.filter((x) => x.n <= count)) w.resolve();
        return o;
      },
    });
    const prepared = (n: number) => new Promise<void>((resolve) => { if (count >= n) resolve(); else waiting.push({ n, resolve }); });
    try {
      await body({ inf, server, logger, prepared });
    } finally {
      await inf.stop();
      await server.stop();
    }
  }

  it('is not synced, and caches nothing, until the initial-events-end bookmark arrives', async () => {
    let stream: ServerResponse | undefined;
    await run((res) => { stream = res; res.write(added('a', '5') + added('b', '6')); }, async ({ inf, server, prepared }) => {
      await inf.start();
      await prepared(2);
      // Both objects arrived and were prepared one by one, but are held apart from the cache.
      assert.equal(inf.synced, false);
      assert.deepEqual(inf.list(), []);
      stream!.write(bookmark('7', END));
      await inf.waitForSync();
      assert.equal(inf.syncedVia, 'watch-list');
      assert.deepEqual(inf.list().map((o) => o.metadata?.name).sort(), ['a', 'b']);
      assert.deepEqual(server.requests, ['watch-list']);
    });
  });

  it('falls back to the paged list when the server ignores sendInitialEvents (a bookmark without the annotation comes first)', async () => {
    await run((res) => { res.write(added('a', '5') + bookmark('7')); }, async ({ inf, server, logger }) => {
      await inf.start();
      await inf.waitForSync();
      assert.equal(inf.syncedVia, 'list');
      assert.deepEqual(inf.list().map((o) => o.metadata?.name), ['from-list'], 'what the watch-list streamed was dropped');
      await server.request('watch rv=10');
      assert.deepEqual(server.requests, ['watch-list', 'list', 'watch rv=10']);
      assert.match(String(logger.lines.find((l) => l.msg.startsWith('watch-list refused'))?.obj.reason), /without the initial-events-end annotation/);
    });
  });

  it('falls back to the paged list when the stream ends before the initial-events-end bookmark', async () => {
    await run((res) => { res.end(added('a', '5')); }, async ({ inf, server, logger }) => {
      await inf.start();
      await inf.waitForSync();
      assert.equal(inf.syncedVia, 'list');
      await server.request('watch rv=10');
      assert.deepEqual(server.requests, ['watch-list', 'list', 'watch rv=10']);
      assert.match(String(logger.lines.find((l) => l.msg.startsWith('watch-list refused'))?.obj.reason), /ended before the initial-events-end bookmark/);
    });
  });
});
