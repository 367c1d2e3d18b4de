// How long ago the holder last renewed is measured on a clock that does not step: a wall
// clock stepped forward must not give the Lease up on one failed renew, and one stepped back
// must not keep a replica leading after its Lease has run out.
import assert from 'node:assert/strict';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { LeaderElector } from '../../src/kube/leader-election.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp } from '../../src/kube/kube-http.js';
import { kubeLeaseApi, type LeaseApi } from '../../src/kube/lease-api.js';

const quiet = { info() {}, warn() {} };
const HOUR = 3_600_000;

describe('LeaderElector and wall-clock steps', function () {
  this.timeout(20_000);
  let cluster: DevCluster;
  let api: LeaseApi;
  const electors: LeaderElector[] = [];

  /** An elector whose wall clock is shifted by `step.ms`, and whose API calls fail while `step.failing`. */
  const elector = (identity: string, lease: string, leaseDurationMs: number) => {
    const state = { ms: 0, failing: false, failed: 0, lost: 0 };
    const e = new LeaderElector({
      api, namespace: 'default', name: lease, identity, logger: quiet, retryEveryMs: 50, renewEveryMs: 50, leaseDurationMs,
      now: () => Date.now() + state.ms,
      call: (fn) => {
        if (!state.failing) return fn();
        state.failed++;
        return Promise.reject(new Error('the API server is unreachable'));
      },
      onLost: () => state.lost++,
    });
    electors.push(e);
    return { e, state };
  };

  const until = async (done: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };

  before(async () => {
    cluster = await startDevCluster({ port: 0 });
    api = kubeLeaseApi(new KubeHttp(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd())));
  });
  after(async () => {
    for (const e of electors) await e.release().catch(() => undefined);
    await cluster?.stop();
  });

  it('stepped forward 2 h: a few failed renews within the lease duration keep the Lease', async () => {
    const { e, state } = elector('fwd', 'lease-forward', 10_000);
    await e.acquire();
    state.ms = 2 * HOUR;
    state.failing = true;
    await until(() => state.failed >= 3 || state.lost > 0, 5000);
    assert.ok(state.failed >= 3, `${state.failed} renews failed`);
    assert.equal(state.lost, 0, 'not given up after a step forward');
    assert.equal(e.isLeader, true);
    state.failing = false;
  });

  it('stepped back 3 h: renews failing for longer than the lease duration give the Lease up', async () => {
    const { e, state } = elector('back', 'lease-back', 300);
    await e.acquire();
    state.ms = -3 * HOUR;
    state.failing = true;
    await until(() => state.lost > 0, 5000);
    assert.equal(state.lost, 1, 'the Lease ran out while renews failed');
    assert.equal(e.isLeader, false);
    state.failing = false;
  });

  it('a standby whose wall clock runs 2 h ahead never takes a Lease its holder keeps renewing', async () => {
    const holder = elector('live', 'lease-skew', 1000);
    await holder.e.acquire();
    const ahead = elector('ahead', 'lease-skew', 1000);
    ahead.state.ms = 2 * HOUR;
    let acquired = false;
    void ahead.e.acquire().then(() => { acquired = true; }, () => undefined);
    // Three lease durations of the holder renewing every 50 ms, the standby asking every 50 ms.
    await until(() => acquired, 3000);
    assert.equal(acquired, false, 'the live Lease was not taken');
    assert.equal(ahead.e.leader, 'live');
    assert.equal(holder.e.isLeader, true);
    assert.equal(holder.state.lost, 0);
    await holder.e.release();
    await until(() => acquired, 3000);
    assert.equal(acquired, true, 'taken once handed back');
  });

  it('a standby whose wall clock runs 2 h behind takes a dead Lease after its duration, not 2 h later', async () => {
    const dead = elector('dead', 'lease-behind', 1000);
    await dead.e.acquire();
    dead.state.failing = true; // it stops renewing, as a SIGKILLed holder would
    const behind = elector('behind', 'lease-behind', 1000);
    behind.state.ms = -2 * HOUR;
    const started = performance.now();
    await behind.e.acquire();
    const waited = performance.now() - started;
    assert.equal(behind.e.isLeader, true);
    assert.ok(waited >= 1000, `waited the lease duration after first seeing it (${Math.round(waited)} ms)`);
  });
});
