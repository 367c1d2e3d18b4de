// ExternalSecrets and stores are cached without what no code reads (managedFields, kubectl's
// last-applied-configuration); every other annotation, the spec and the status stay.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { applyCrdDirectory } from '../../src/cli/dev-command.js';
import { KubeClient } from '../../src/kube/kube-client.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { createInformers, LAST_APPLIED_ANNOTATION } from '../../src/kube/informer-set.js';
import { ANNOTATION_FORCE_SYNC } from '../../src/api/constants.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const quiet = { warn() {}, debug() {} };
const API = 'keyferry.io/v1alpha1';

describe('ExternalSecret and store informers', function () {
  this.timeout(30_000);
  let cluster: DevCluster;
  let client: KubeClient;

  before(async () => {
    cluster = await startDevCluster({ port: 0 });
    await applyCrdDirectory(cluster, join(repoRoot, 'manifests', 'crds'));
    client = new KubeClient(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd()), { budget: { qps: 1000, burst: 1000 } });
  });
  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('cache them without managedFields and last-applied-configuration, keeping other annotations, spec and status', async () => {
    const storeSpec = { provider: { fake: { data: [{ key: 'k', value: 'v' }] } } };
    const esSpec = { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] };
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
    const annotated = (spec: unknown) => ({ [LAST_APPLIED_ANNOTATION]: JSON.stringify({ spec }), [ANNOTATION_FORCE_SYNC]: '1' });
    await cluster.apply([
      { apiVersion: API, kind: 'SecretStore', metadata: { name: 'fake', namespace: 'app', annotations: annotated(storeSpec) }, spec: storeSpec },
      { apiVersion: API, kind: 'ExternalSecret', metadata: { name: 'listed', namespace: 'app', annotations: annotated(esSpec) }, spec: esSpec },
      { apiVersion: API, kind: 'ExternalSecret', metadata: { name: 'bare', namespace: 'app', annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } }, spec: esSpec },
    ]);
    const informers = createInformers(client, quiet, 'app');
    const used = [informers.externalSecrets, informers.secretStores];
    try {
      await Promise.all(used.map((i) => i.start()));
      await Promise.all(used.map((i) => i.waitForSync()));
      // Listed, then watched.
      await cluster.apply({ apiVersion: API, kind: 'ExternalSecret', metadata: { name: 'watched', namespace: 'app', annotations: annotated(esSpec) }, spec: esSpec });
      const deadline = Date.now() + 10_000;
      while (!informers.externalSecrets.get('watched', 'app') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const [informer, name] of [[informers.secretStores, 'fake'], [informers.externalSecrets, 'listed'], [informers.externalSecrets, 'watched']] as const) {
        const cached = informer.get(name, 'app') as { metadata: Record<string, unknown> & { annotations?: Record<string, string> }; spec?: unknown };
        assert.ok(cached, `${name} cached`);
        assert.deepEqual(cached.metadata.annotations, { [ANNOTATION_FORCE_SYNC]: '1' }, `${name}: only the annotation code reads`);
        assert.equal(cached.metadata.managedFields, undefined);
        const stored = cluster.get(API, name === 'fake' ? 'SecretStore' : 'ExternalSecret', name, 'app')!;
        assert.deepEqual(cached.spec, stored.spec, `${name}: the spec as stored`);
      }
      assert.equal(informers.externalSecrets.get('bare', 'app')!.metadata!.annotations, undefined, 'no empty annotations left');
    } finally {
      await Promise.all(used.map((i) => i.stop()));
    }
  });
});
