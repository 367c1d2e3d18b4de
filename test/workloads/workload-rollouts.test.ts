import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FakeTimers } from '../queue/fake-timers.js';
import { FakeClusterApi, FakeInformer } from '../controller/fakes.js';
import { KeyedDebouncer } from '../../src/workloads/debouncer.js';
import { CurrentVersions, type CurrentVersion } from '../../src/workloads/current-versions.js';
import { WorkloadRollouts } from '../../src/workloads/workload-rollouts.js';
import { WorkloadMetrics } from '../../src/workloads/workload-metrics.js';
import { REFERENCING_KINDS, toReferencingObject, type ReferencingObject } from '../../src/workloads/referencing-kinds.js';
import type { KubeObject } from '../../src/kube/kube-object.js';

const flush = () => new Promise((r) => setImmediate(r));

describe('KeyedDebouncer', () => {
  it('runs once per key after a quiet period, no later than the maximum wait, and once more for a request during a run', async () => {
    const timers = new FakeTimers();
    const runs = [] as string[];
    let release: (() => void) | undefined;
    const d = new KeyedDebouncer(timers, { quietMs: 100, maxWaitMs: 250 }, async (key) => {
      runs.push(`${key}@${timers.now()}`);
      if (key === 'slow') await new Promise<void>((r) => { release = r; });
    }, () => {});
    d.schedule('a');
    timers.advance(80);
    d.schedule('a');
    timers.advance(80);
    d.schedule('a');
    timers.advance(89);
    assert.equal(runs.length, 0, 'each request within the quiet period pushes the run back');
    timers.advance(1);
    assert.deepEqual(runs, ['a@250'], 'but never beyond the maximum wait');
    d.schedule('slow');
    timers.advance(100);
    d.schedule('slow');
    timers.advance(1000);
    assert.equal(runs.filter((r) => r.startsWith('slow')).length, 1, 'no overlapping run');
    release!();
    await flush();
    await flush();
    timers.advance(100);
    assert.equal(runs.filter((r) => r.startsWith('slow')).length, 2, 'the request made during the run gets its own run');
    release!();
    await d.idle();
    await d.stop();
  });
});

const V = (n: number) => `db-000000000${n}`;

function deploymentObject(name: string, follow: string, secretName: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: 'ns', annotations: { 'keyferry.io/follow': follow } },
    spec: { template: { metadata: {}, spec: { containers: [{ name: 'app', envFrom: secretName.split(',').map((s) => ({ secretRef: { name: s } })) }] } } },
    ...extra,
  } as KubeObject;
}

function setup() {
  const timers = new FakeTimers();
  const api = new FakeClusterApi(() => {}, () => timers.now());
  const workloads = { Deployment: new FakeInformer<ReferencingObject>(), StatefulSet: new FakeInformer<ReferencingObject>(), DaemonSet: new FakeInformer<ReferencingObject>() };
  const versions = new CurrentVersions();
  const events: string[] = [];
  const registry = new Registry();
  const rollouts = new WorkloadRollouts({
    api, workloads, versions, timers, metrics: new WorkloadMetrics(registry),
    events: { record: (ns, es, type, reason, message) => events.push(`${type} ${reason} ${ns}/${es}: ${message}`) },
    logger: { info() {}, warn() {}, debug() {} },
    debounce: { quietMs: 1000, maxWaitMs: 5000 },
  });
  const put = (obj: KubeObject) => {
    const stored = api.putObject(obj);
    const slim = toReferencingObject(REFERENCING_KINDS[obj.kind as 'Deployment'], stored);
    const old = workloads[obj.kind as 'Deployment'].get(slim.metadata.name, 'ns');
    workloads[obj.kind as 'Deployment'].set(slim);
    rollouts.workloadChanged(obj.kind as 'Deployment', slim, old);
  };
  const current = (es: string, v: string, more: Partial<CurrentVersion> = {}) => {
    versions.set({ namespace: 'ns', externalSecret: es, target: es, current: v, rollout: 'Patch', alias: false, ...more });
    rollouts.versionChanged('ns', es);
  };
  const envFrom = (kind: string, name: string) => (api.objects.get(`${kind}/ns/${name}`) as { spec: { template: { spec: { containers: Array<{ envFrom: Array<{ secretRef: { name: string } }> }> } } } }).spec.template.spec.containers[0]!.envFrom.map((e) => e.secretRef.name);
  const patches = () => api.calls.filter((c) => c.startsWith('patch '));
  const settle = async (ms = 1000) => { timers.advance(ms); await rollouts.idle(); };
  return { timers, api, versions, events, registry, rollouts, put, current, envFrom, patches, settle };
}

describe('WorkloadRollouts (rollout: Patch)', () => {
  it('moves a follower to each new version with one patch, and leaves workloads that do not follow alone', async () => {
    const t = setup();
    t.put(deploymentObject('web', 'db', V(1)));
    t.put({ ...deploymentObject('other', 'cache', V(1)) });
    t.current('db', V(2));
    await t.settle();
    assert.deepEqual(t.envFrom('Deployment', 'web'), [V(2)]);
    assert.deepEqual(t.envFrom('Deployment', 'other'), [V(1)]);
    assert.deepEqual(t.patches(), ['patch Deployment/ns/web']);
    assert.ok(t.events.some((e) => e === `Normal RolledOut ns/db: Deployment "web" now uses "${V(2)}"`));
    t.current('db', V(2));
    await t.settle();
    assert.equal(t.patches().length, 1, 'nothing new, no write');
  });

  it('rolls a workload once for a burst of new versions of the ExternalSecrets it follows', async () => {
    const t = setup();
    const names = ['a', 'b', 'c', 'd', 'e'];
    t.put(deploymentObject('web', names.join(','), names.map((n) => `${n}-0000000001`).join(',')));
    for (const [i, n] of names.entries()) {
      t.current(n, `${n}-0000000002`);
      t.timers.advance(300 * (i % 2));
    }
    await t.settle();
    assert.deepEqual(t.envFrom('Deployment', 'web'), names.map((n) => `${n}-0000000002`));
    assert.equal(t.patches().length, 1);
    assert.match(await t.registry.metrics(), /keyferry_rollouts_total\{kind="Deployment",outcome="rolled"\} 1\n/);
  });

  it('retries a conflict against a fresh read and keeps what the other writer changed', async () => {
    const t = setup();
    t.put(deploymentObject('web', 'db', V(1)));
    t.current('db', V(2));
    let raced = false;
    t.api.beforePatch = (key) => {
      if (raced) return;
      raced = true;
      // Someone scales the Deployment between keyferry's read and its patch.
      const obj = t.api.objects.get(key)!;
      t.api.putObject({ ...obj, spec: { ...(obj as { spec: object }).spec, replicas: 5 } } as KubeObject);
    };
    await t.settle();
    const stored = t.api.objects.get('Deployment/ns/web') as { spec: { replicas?: number } };
    assert.equal(stored.spec.replicas, 5);
    assert.deepEqual(t.envFrom('Deployment', 'web'), [V(2)]);
    assert.deepEqual(t.patches(), ['patch Deployment/ns/web', 'patch Deployment/ns/web']);
    assert.match(await t.registry.metrics(), /keyferry_rollouts_total\{kind="Deployment",outcome="conflict"\} 1\n/);
  });

  it('rolls a workload that starts following, but only to versions this process has seen exist', async () => {
    const t = setup();
    t.put(deploymentObject('web', 'db', V(1)));
    await t.settle();
    assert.equal(t.patches().length, 0, 'no current version known yet');
    t.current('db', V(2));
    t.put(deploymentObject('late', 'db', 'db'));
    await t.settle();
    assert.deepEqual(t.envFrom('Deployment', 'late'), [V(2)]);
  });

  it('after a restart reads no follower the cache shows already rolled to the current version', async () => {
    const t = setup();
    t.put(deploymentObject('done', 'db', V(2), { metadata: { name: 'done', namespace: 'ns', annotations: { 'keyferry.io/follow': 'db', 'keyferry.io/rolled-out': `db=${V(2)}` } } }));
    t.put(deploymentObject('behind', 'db', V(1), { metadata: { name: 'behind', namespace: 'ns', annotations: { 'keyferry.io/follow': 'db', 'keyferry.io/rolled-out': `db=${V(1)}` } } }));
    t.current('db', V(2));
    await t.settle();
    assert.deepEqual(t.api.calls.filter((c) => c.startsWith('get Deployment')), ['get Deployment ns/behind']);
    assert.deepEqual(t.envFrom('Deployment', 'behind'), [V(2)]);
  });

  it('ignores ExternalSecrets whose rollout is not Patch', async () => {
    const t = setup();
    t.put(deploymentObject('web', 'db', V(1)));
    t.versions.set({ namespace: 'ns', externalSecret: 'db', target: 'db', current: V(2), rollout: 'Publish', alias: false });
    t.rollouts.versionChanged('ns', 'db');
    await t.settle();
    assert.equal(t.patches().length, 0);
  });

  it('reports a reference owned by server-side apply instead of patching it', async () => {
    const t = setup();
    t.put(deploymentObject('web', 'db', V(1), { metadata: { name: 'web', namespace: 'ns', annotations: { 'keyferry.io/follow': 'db' }, managedFields: [{ manager: 'kustomize-controller', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:envFrom': {} } } } } } } }] } }));
    t.current('db', V(2));
    await t.settle();
    assert.equal(t.patches().length, 0);
    assert.ok(t.events.some((e) => e.startsWith('Warning RolloutBlocked ns/db: Deployment "web": spec.template.spec.containers[0].envFrom[0].secretRef.name is managed by kustomize-controller')), t.events.join('\n'));
  });
});
