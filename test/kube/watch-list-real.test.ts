// Watch-list on the real control plane (kube-apiserver 1.34, where the WatchList feature gate is
// on by default): with the operator's own credentials (exactly manifests/rbac/), an informer of
// every resource the ClusterRole lets it list and watch syncs from a watch-list, and, turned
// off, from the paged list that remains the fallback (both paths must stay permitted).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ResilientInformer } from '../../src/kube/informer.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp } from '../../src/kube/kube-http.js';
import type { KubeObject } from '../../src/kube/kube-object.js';
import { sharedControlPlane } from '../support/control-plane/shared-control-plane.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The served version of each API group the ClusterRole names. */
const VERSIONS: Record<string, string> = { '': 'v1', apps: 'v1', batch: 'v1', 'keyferry.io': 'v1alpha1' };

interface Rule { apiGroups?: string[]; resources?: string[]; verbs: string[] }

/** `/api/v1/pods`, `/apis/keyferry.io/v1alpha1/externalsecrets`: every resource the operator may both list and watch. */
async function listWatchPaths(): Promise<string[]> {
  const role = parseYaml(await readFile(join(repoRoot, 'manifests', 'rbac', 'cluster-role.yaml'), 'utf8')) as { rules: Rule[] };
  const paths = new Set<string>();
  for (const rule of role.rules) {
    if (!rule.verbs.includes('list') || !rule.verbs.includes('watch')) continue;
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const version = VERSIONS[group];
        assert.ok(version, `no version known for API group ${group}`);
        paths.add(group === '' ? `/api/${version}/${resource}` : `/apis/${group}/${version}/${resource}`);
      }
    }
  }
  return [...paths].sort();
}

describe('watch-list on the real control plane', function () {
  this.timeout(180_000);

  it('has the WatchList feature gate on (kube-apiserver /metrics)', async () => {
    const cp = await sharedControlPlane();
    const [status, text] = await cp.client.raw('GET', '/metrics');
    assert.equal(status, 200);
    const line = text.split('\n').find((l) => l.startsWith('kubernetes_feature_enabled{') && l.includes('name="WatchList"'));
    assert.ok(line, 'kubernetes_feature_enabled reports WatchList');
    assert.match(line, / 1$/);
  });

  it('syncs each informer the operator may run from a watch-list, and from the paged list when turned off, with the operator\'s RBAC', async () => {
    const cp = await sharedControlPlane();
    const http = new KubeHttp(await connectionFromKubeconfig(await readFile(cp.operatorKubeconfigPath, 'utf8'), repoRoot));
    const paths = await listWatchPaths();
    assert.ok(paths.includes('/apis/keyferry.io/v1alpha1/externalsecrets') && paths.includes('/api/v1/secrets'));
    const via: Record<string, string[]> = {};
    /** Syncs one informer; resolves how it synced and, if it fell back, why. */
    const syncOnce = async (path: string, watchList: boolean): Promise<{ via: string; fallback?: string }> => {
      const labelSelector = path === '/api/v1/secrets' ? 'keyferry.io/managed=true' : undefined;
      // A failure (403 where RBAC lacks a verb) is logged and retried: it fails the sync at once here.
      let failed!: (error: Error) => void;
      const failure = new Promise<never>((_resolve, reject) => { failed = reject; });
      let fallback: string | undefined;
      const informer = new ResilientInformer<KubeObject>({
        name: path, http, path, watchList, labelSelector,
        logger: {
          debug: (obj) => { const reason = (obj as { reason?: string }).reason; if (reason) fallback = reason; },
          warn: (obj) => failed(new Error(`${path} (watchList ${watchList}): ${JSON.stringify(obj)}`)),
        },
        list: (page) => http.list(path, { ...page, labelSelector }),
      });
      try {
        await informer.start();
        await Promise.race([informer.waitForSync(), failure]);
        return { via: informer.syncedVia ?? 'none', fallback };
      } finally {
        await informer.stop();
      }
    };
    for (const path of paths) {
      // The watch cache of a resource whose CRD was just created answers a watch-list with
      // "429 storage is (re)initializing" for a few seconds: the informer lists in pages then
      // (and tries watch-list again on its next list). Wait for the cache, as a later start would.
      let streamed = await syncOnce(path, true);
      for (const deadline = Date.now() + 60_000; streamed.via === 'list' && /HTTP 429 storage is \(re\)initializing/.test(streamed.fallback ?? '') && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        streamed = await syncOnce(path, true);
      }
      assert.equal(streamed.fallback, undefined, `${path}: fell back: ${streamed.fallback}`);
      via[path] = [streamed.via, (await syncOnce(path, false)).via];
    }
    assert.deepEqual(via, Object.fromEntries(paths.map((p) => [p, ['watch-list', 'list']])));
  });
});
