import assert from 'node:assert/strict';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { LeaderElector } from '../../src/kube/leader-election.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp } from '../../src/kube/kube-http.js';
import { kubeLeaseApi, type LeaseApi } from '../../src/kube/lease-api.js';

const quiet = { info() {}, warn() {} };

describe('LeaderElector', function () {
  this.timeout(20_000);
  let cluster: DevCluster;
  let api: LeaseApi;
  const electors: LeaderElector[] = [];
  const elector = (identity: string, extra: Partial<ConstructorParameters<typeof LeaderElector>[0]> = {}) => {
    const e = new LeaderElector({ api, call: (fn) => fn(), namespace: 'default', name: 'lease', identity, logger: quiet, onLost: () => undefined, retryEveryMs: 50, ...extra });
    electors.push(e);
    return e;
  };

  before(async () => {
    cluster = await startDevCluster({ port: 0 });
    api = kubeLeaseApi(new KubeHttp(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd())));
  });
  after(async () => {
    for (const e of electors) await e.release();
    await cluster?.stop();
  });

  it('takes a Lease whose holder stopped renewing once it has seen it unrenewed for its duration, but not a live one', async () => {
    const stale = new Date(Date.now() - 60_000).toISOString();
    await cluster.apply({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'lease', namespace: 'default' }, spec: { holderIdentity: 'ghost', leaseDurationSeconds: 1, renewTime: stale, acquireTime: stale, leaseTransitions: 3 } });
    const a = elector('a', { leaseDurationMs: 15_000 });
    const started = performance.now();
    await a.acquire();
    // An old renewTime proves nothing across clocks: the record must stay unchanged for 1 s here.
    assert.ok(performance.now() - started >= 1000, `took it after ${Math.round(performance.now() - started)} ms`);
    assert.equal(a.isLeader, true);
    const spec = cluster.get('coordination.k8s.io/v1', 'Lease', 'lease', 'default')!.spec as { holderIdentity: string; leaseTransitions: number };
    assert.equal(spec.holderIdentity, 'a');
    assert.equal(spec.leaseTransitions, 4);

    const b = elector('b');
    const waiting = b.acquire().then(() => 'acquired', () => 'stopped');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.isLeader, false);
    assert.equal(b.leader, 'a', 'the standby knows who leads');
    await a.release();
    assert.equal(await waiting, 'acquired');
    assert.equal(b.isLeader, true);
  });

  it('reports a lost Lease once another replica holds it', async () => {
    let lost = 0;
    const c = elector('c', { leaseDurationMs: 1000, renewEveryMs: 100, onLost: () => lost++ });
    await electors[1]!.release();
    await c.acquire();
    const now = new Date().toISOString();
    await cluster.apply({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'lease', namespace: 'default' }, spec: { holderIdentity: 'usurper', leaseDurationSeconds: 60, renewTime: now, acquireTime: now } });
    const deadline = Date.now() + 5000;
    while (lost === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(lost, 1);
    assert.equal(c.isLeader, false);
  });
});
