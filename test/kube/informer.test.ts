// ResilientInformer against the dev cluster: it syncs, hands updates their previous object,
// re-lists after 410 Gone, and restarts after the server goes away.
import assert from 'node:assert/strict';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { ResilientInformer, type ListPage } from '../../src/kube/informer.js';
import type { KubeObject } from '../../src/kube/kube-object.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp } from '../../src/kube/kube-http.js';

const quiet = { warn() {}, debug() {} };

async function eventually(probe: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const cm = (name: string, value: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { value } });

describe('ResilientInformer', function () {
  this.timeout(30_000);
  let cluster: DevCluster;
  let informer: ResilientInformer<KubeObject>;
  const seen: string[] = [];

  before(async () => {
    cluster = await startDevCluster({ port: 0 });
    await cluster.apply(cm('a', '1'));
    const http = new KubeHttp(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd()));
    informer = new ResilientInformer<KubeObject>({
      name: 'configmaps', http, logger: quiet, path: '/api/v1/configmaps', initialBackoffMs: 50, maxBackoffMs: 200,
      list: (page) => http.list('/api/v1/configmaps', page),
    });
    informer.on({
      add: (o) => seen.push(`add ${o.metadata?.name}`),
      update: (o, old) => seen.push(`update ${o.metadata?.name} ${(old as { data?: { value?: string } })?.data?.value}->${(o as { data?: { value?: string } }).data?.value}`),
      delete: (o) => seen.push(`delete ${o.metadata?.name}`),
    });
    await informer.start();
    await informer.waitForSync();
  });
  after(async () => {
    await informer?.stop();
    await cluster?.stop();
  });

  it('syncs the initial list and reports add, update (with the previous object) and delete', async () => {
    assert.equal(informer.synced, true);
    assert.ok(informer.get('a', 'default'));
    await cluster.apply(cm('a', '2'));
    await cluster.apply(cm('b', '1'));
    cluster.delete('v1', 'ConfigMap', 'b', 'default');
    await eventually(() => seen.includes('delete b'), 5000, 'delete b');
    assert.deepEqual(seen, ['add a', 'update a 1->2', 'add b', 'delete b']);
  });

  it('re-lists after 410 Gone and catches up with what changed meanwhile', async () => {
    cluster.compactHistory();
    cluster.dropWatches({ resource: 'configmaps' });
    await cluster.apply(cm('c', '1'));
    await eventually(() => informer.get('c', 'default') !== undefined, 10_000, 'c after re-list');
  });

  it('restarts with backoff after the server drops every connection', async () => {
    const restartsBefore = informer.restarts;
    await cluster.restart({ downMs: 300 });
    await cluster.apply(cm('d', '1'));
    await eventually(() => informer.get('d', 'default') !== undefined, 10_000, 'd after restart');
    assert.ok(informer.restarts > restartsBefore, "restarted after the connection error");
  });
});

describe('ResilientInformer trim', function () {
  this.timeout(20_000);
  it('caches trimmed objects (Secret versions without their data), never with managedFields', async () => {
    const cluster = await startDevCluster({ port: 0 });
    const http = new KubeHttp(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd()));
    const informer = new ResilientInformer<KubeObject & { data?: unknown }>({
      name: 'secrets', http, logger: quiet, path: '/api/v1/secrets',
      // The dev cluster keeps no managedFields; a real API server sends them with every object.
      list: async (page) => {
        const list = await http.list('/api/v1/secrets', page);
        for (const item of list.items) (item.metadata as { managedFields?: unknown }).managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': {} } }];
        return list;
      },
      trim: (s) => { delete s.data; },
    });
    try {
      await cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'listed', namespace: 'default' }, data: { k: 'dg==' } });
      await informer.start();
      await informer.waitForSync();
      await cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'watched', namespace: 'default' }, data: { k: 'dg==' } });
      await eventually(() => informer.get('watched', 'default') !== undefined, 5000, 'watched Secret');
      assert.equal(informer.get('listed', 'default')!.data, undefined);
      assert.equal((informer.get('listed', 'default')!.metadata as { managedFields?: unknown }).managedFields, undefined);
      assert.equal(informer.get('watched', 'default')!.data, undefined);
      assert.equal(informer.get('watched', 'default')!.metadata?.name, 'watched');
    } finally {
      await informer.stop();
      await cluster.stop();
    }
  });
});

describe('ResilientInformer paged list', function () {
  this.timeout(20_000);
  it('lists page by page, reducing each page before asking for the next, and watches from the last page', async () => {
    const cluster = await startDevCluster({ port: 0 });
    const http = new KubeHttp(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd()));
    const pages: Array<{ asked: ListPage; got: number; heldBefore: number }> = [];
    let held = 0;
    const informer = new ResilientInformer<KubeObject>({
      name: 'configmaps', http, logger: quiet, path: '/api/v1/namespaces/paged/configmaps', pageSize: 3, watchList: false,
      list: async (page) => {
        const list = await http.list('/api/v1/namespaces/paged/configmaps', page);
        pages.push({ asked: page, got: list.items.length, heldBefore: held });
        return list;
      },
      trim: (o) => { held++; delete (o as { data?: unknown }).data; },
    });
    try {
      await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paged' } });
      for (let i = 0; i < 7; i++) await cluster.apply({ ...cm(`c${i}`, 'x'.repeat(100)), metadata: { name: `c${i}`, namespace: 'paged' } });
      await informer.start();
      await informer.waitForSync();
      assert.deepEqual(pages.map((p) => [p.asked.limit, Boolean(p.asked.continue), p.got]), [[3, false, 3], [3, true, 3], [3, true, 1]]);
      // Each page was reduced before the next was asked for.
      assert.deepEqual(pages.map((p) => p.heldBefore), [0, 3, 6]);
      assert.equal(informer.list().length, 7);
      assert.ok(informer.list().every((o) => (o as { data?: unknown }).data === undefined));
      await cluster.apply({ ...cm('after', '1'), metadata: { name: 'after', namespace: 'paged' } });
      await eventually(() => informer.get('after', 'paged') !== undefined, 5000, 'an object made after the list, by the watch');
      assert.equal(informer.list().length, 8);
    } finally {
      await informer.stop();
      await cluster.stop();
    }
  });
});
