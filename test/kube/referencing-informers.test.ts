// The referencing informers (Pods, workloads, ControllerRevisions) against the dev cluster: each
// object is reduced to the Secret names it references before it is cached, on list and on watch.
import assert from 'node:assert/strict';
import { useDevClusterClient } from './dev-cluster-client.js';
import { createInformers } from '../../src/kube/informer-set.js';
import { REFERENCING_KINDS } from '../../src/workloads/referencing-kinds.js';

const quiet = { warn() {}, debug() {} };

async function eventually(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const podSpec = (secret: string) => ({ containers: [{ name: 'app', image: 'app:1', envFrom: [{ secretRef: { name: secret } }] }] });

describe('referencing informers', function () {
  this.timeout(30_000);
  const dev = useDevClusterClient({ qps: 1000, burst: 1000 });

  it('cache every kind reduced to the Secret names it references, listed or watched', async () => {
    await dev.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
    await dev.cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'listed', namespace: 'app', labels: { a: 'b' } }, spec: podSpec('db-0000000001') });
    const informers = createInformers(dev.client, quiet, 'app');
    const all = Object.values(informers.referencing);
    try {
      await Promise.all(all.map((i) => i.start()));
      await Promise.all(all.map((i) => i.waitForSync()));
      const listed = informers.referencing.Pod.get('listed', 'app')!;
      assert.deepEqual(listed.secretNames, ['db-0000000001']);
      assert.deepEqual(Object.keys(listed).sort(), ['apiVersion', 'kind', 'metadata', 'secretNames']);

      const template = { metadata: { labels: { app: 'x' } }, spec: podSpec('db-0000000002') };
      await dev.cluster.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'app', annotations: { 'keyferry.io/follow': 'db' } }, spec: { selector: { matchLabels: { app: 'x' } }, template } });
      await dev.cluster.apply({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'app' }, spec: { selector: { matchLabels: { app: 'x' } }, template } });
      await dev.cluster.apply({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'st', namespace: 'app' }, spec: { selector: { matchLabels: { app: 'x' } }, template } });
      await dev.cluster.apply({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: 'app' }, spec: { selector: { matchLabels: { app: 'x' } }, template } });
      await dev.cluster.apply({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'job', namespace: 'app' }, spec: { template } });
      await dev.cluster.apply({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cron', namespace: 'app' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } });
      await dev.cluster.apply({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'st-1', namespace: 'app' }, revision: 1, data: { spec: { template: { ...template, $patch: 'replace' } } } });
      await dev.cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'outside', namespace: 'default' }, spec: podSpec('elsewhere') });
      for (const [kind, name] of [['Deployment', 'web'], ['ReplicaSet', 'web-1'], ['StatefulSet', 'st'], ['DaemonSet', 'ds'], ['Job', 'job'], ['CronJob', 'cron'], ['ControllerRevision', 'st-1']] as const) {
        await eventually(() => informers.referencing[kind].get(name, 'app') !== undefined, `${kind} ${name}`);
        assert.deepEqual(informers.referencing[kind].get(name, 'app')!.secretNames, ['db-0000000002'], kind);
      }
      assert.deepEqual(Object.keys(informers.referencing).sort(), Object.keys(REFERENCING_KINDS).sort());
      assert.equal(informers.referencing.Deployment.get('web', 'app')!.metadata.annotations?.['keyferry.io/follow'], 'db');
      assert.equal((informers.referencing.Deployment.get('web', 'app') as { spec?: unknown }).spec, undefined, 'the template is not cached');

      // A watched update goes through the same reduction.
      const deleted: string[] = [];
      informers.referencing.Pod.on({ delete: (o) => deleted.push(`${o.metadata.name}:${o.secretNames.join()}`) });
      await dev.cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'listed', namespace: 'app' }, spec: podSpec('db-0000000003') });
      await eventually(() => informers.referencing.Pod.get('listed', 'app')!.secretNames[0] === 'db-0000000003', 'updated Pod');
      dev.cluster.delete('v1', 'Pod', 'listed', 'app');
      await eventually(() => deleted.length === 1, 'Pod delete');
      assert.deepEqual(deleted, ['listed:db-0000000003']);
      assert.equal(informers.referencing.Pod.get('outside', 'default'), undefined, '--namespace scopes them');
    } finally {
      await Promise.all(all.map((i) => i.stop()));
    }
  });
});
