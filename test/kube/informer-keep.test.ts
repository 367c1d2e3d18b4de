// ResilientInformer's `keep` and `relist` against the dev cluster: what `keep` refuses is never
// cached nor handed to handlers (listed or watched), an object that stops being kept is
// dropped, and a re-list judges every object again. A sharded replica caches only its own
// shard's versions this way (controller/shard-view.ts).
import assert from 'node:assert/strict';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { ResilientInformer } from '../../src/kube/informer.js';
import type { KubeObject } from '../../src/kube/kube-object.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp } from '../../src/kube/kube-http.js';

const quiet = { warn() {}, debug() {} };
type ConfigMap = KubeObject & { data?: { owner?: string } };
const cm = (name: string, owner: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { owner } });

for (const watchList of [false, true]) {
  describe(`ResilientInformer keep and relist (${watchList ? 'watch-list' : 'paged list'})`, function () {
    this.timeout(30_000);
    let cluster: DevCluster;
    let informer: ResilientInformer<ConfigMap>;
    const allowed = new Set(['a']);
    const seen: string[] = [];
    /** Resolves when the handlers have seen `entry`. */
    const waiters = new Map<string, () => void>();
    const saw = (entry: string) => new Promise<void>((resolve) => (seen.includes(entry) ? resolve() : waiters.set(entry, resolve)));
    const record = (entry: string) => {
      seen.push(entry);
      waiters.get(entry)?.();
    };

    before(async () => {
      cluster = await startDevCluster({ port: 0 });
      await cluster.apply(cm('a1', 'a'));
      await cluster.apply(cm('b1', 'b'));
      const http = new KubeHttp(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd()));
      informer = new ResilientInformer<ConfigMap>({
        name: 'configmaps', http, logger: quiet, path: '/api/v1/namespaces/default/configmaps', watchList,
        keep: (o) => allowed.has(o.data?.owner ?? ''),
        list: (page) => http.list('/api/v1/namespaces/default/configmaps', page),
      });
      informer.on({
        add: (o) => record(`add ${o.metadata?.name}`),
        update: (o) => record(`update ${o.metadata?.name}`),
        delete: (o) => record(`delete ${o.metadata?.name}`),
      });
      await informer.start();
      await informer.waitForSync();
    });
    after(async () => {
      await informer?.stop();
      await cluster?.stop();
    });

    it('caches only what keep accepts, listed or watched, and drops what it stops accepting', async () => {
      assert.equal(informer.syncedVia, watchList ? 'watch-list' : 'list');
      assert.ok(informer.get('a1', 'default'));
      assert.equal(informer.get('b1', 'default'), undefined);
      await cluster.apply(cm('b2', 'b'));
      // Events come in order: once a2 is seen, b2 has been judged.
      await cluster.apply(cm('a2', 'a'));
      await saw('add a2');
      assert.equal(informer.get('b2', 'default'), undefined);
      await cluster.apply(cm('a1', 'b'));
      await saw('delete a1');
      assert.equal(informer.get('a1', 'default'), undefined);
      assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ['a2']);
      assert.deepEqual(seen, ['add a1', 'add a2', 'delete a1']);
    });

    it('a re-list caches what keep accepts now, and resolves once it is applied', async () => {
      allowed.add('b');
      await informer.relist();
      assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ['a1', 'a2', 'b1', 'b2']);
      // The watch goes on from the re-list.
      await cluster.apply(cm('b3', 'b'));
      await saw('add b3');
      assert.ok(informer.get('b3', 'default'));
    });

    it('overlapping re-lists each resolve once a list started after the call is applied', async () => {
      await cluster.apply(cm('c1', 'c'));
      await cluster.apply(cm('d1', 'd'));
      allowed.add('c');
      const first = informer.relist();
      allowed.add('d');
      const second = informer.relist();
      const third = informer.relist();
      await first;
      assert.ok(informer.get('c1', 'default'), 'the first call\'s list was applied before it resolved');
      await Promise.all([second, third]);
      assert.ok(informer.get('d1', 'default'), 'the later calls\' list started after them');
    });
  });
}
