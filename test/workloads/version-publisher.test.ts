import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FakeTimers } from '../queue/fake-timers.js';
import { FakeClusterApi, FakeInformer } from '../controller/fakes.js';
import { CurrentVersions } from '../../src/workloads/current-versions.js';
import { VersionPublisher } from '../../src/workloads/version-publisher.js';
import { WorkloadMetrics } from '../../src/workloads/workload-metrics.js';
import { FLUX_VARIABLE, publishKey } from '../../src/workloads/publish-keys.js';
import type { KubeObject } from '../../src/kube/kube-object.js';

function setup() {
  const timers = new FakeTimers();
  timers.advance(1_800_000_000_000);
  const api = new FakeClusterApi(() => {}, () => timers.now());
  const externalSecrets = new FakeInformer<KubeObject>();
  const versions = new CurrentVersions();
  const events: string[] = [];
  const publisher = new VersionPublisher({
    api, externalSecrets, versions, timers, metrics: new WorkloadMetrics(new Registry()),
    events: { record: (ns, es, type, reason, message) => events.push(`${type} ${reason} ${ns}/${es}: ${message}`) },
    logger: { info() {}, warn() {}, debug() {} },
    debounce: { quietMs: 1000, maxWaitMs: 5000 },
  });
  const es = (name: string, target: string, rollout = 'Publish', flux?: { name: string; namespace?: string }) =>
    externalSecrets.set({ apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name, namespace: 'ns' }, spec: { target: { name: target, versioning: { rollout, ...(flux ? { fluxKustomization: flux } : {}) } } } } as KubeObject);
  const current = (name: string, target: string, v: string, flux?: { name: string; namespace: string }) => {
    versions.set({ namespace: 'ns', externalSecret: name, target, current: v, rollout: 'Publish', alias: false, fluxKustomization: flux });
    publisher.namespaceChanged('ns');
  };
  const configMap = () => api.objects.get('ConfigMap/ns/keyferry-versions') as (KubeObject & { data?: Record<string, string> }) | undefined;
  const writes = () => api.calls.filter((c) => /^(create|update) configmap/.test(c));
  const settle = async () => { timers.advance(1000); await publisher.idle(); };
  return { api, timers, externalSecrets, versions, events, publisher, es, current, configMap, writes, settle };
}

describe('publish keys', () => {
  it('turn any target name into a Flux variable name', () => {
    for (const name of ['db', 'db-credentials', 'a.b.c', '1password-token', 'x-1.y-2']) assert.match(publishKey(name), FLUX_VARIABLE, name);
    assert.equal(publishKey('db-credentials'), 'db_credentials');
    assert.equal(publishKey('1password'), '_1password');
  });
});

describe('VersionPublisher (rollout: Publish)', () => {
  it('maps each publishing target to its current version, writes only when a version changes, and removes a key no one publishes', async () => {
    const t = setup();
    t.es('db', 'db-credentials');
    t.es('cache', 'cache');
    t.es('plain', 'plain', 'None');
    t.current('db', 'db-credentials', 'db-credentials-0000000001');
    t.current('cache', 'cache', 'cache-0000000001');
    await t.settle();
    assert.deepEqual(t.configMap()!.data, { db_credentials: 'db-credentials-0000000001', cache: 'cache-0000000001' });
    assert.equal(t.configMap()!.metadata!.labels!['app.kubernetes.io/managed-by'], 'keyferry');
    assert.deepEqual(t.writes(), ['create configmap ns/keyferry-versions']);

    t.current('db', 'db-credentials', 'db-credentials-0000000001');
    await t.settle();
    assert.equal(t.writes().length, 1, 'same versions: no write');

    t.current('db', 'db-credentials', 'db-credentials-0000000002');
    await t.settle();
    assert.equal(t.configMap()!.data!.db_credentials, 'db-credentials-0000000002');
    assert.equal(t.writes().length, 2);

    t.externalSecrets.remove('ns/cache');
    t.publisher.namespaceChanged('ns');
    await t.settle();
    assert.deepEqual(t.configMap()!.data, { db_credentials: 'db-credentials-0000000002' });
  });

  it('keeps the published value of an ExternalSecret this process has not reconciled yet', async () => {
    const t = setup();
    t.api.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keyferry-versions', namespace: 'ns', labels: { 'app.kubernetes.io/managed-by': 'keyferry' } }, data: { db: 'db-0000000001', cache: 'cache-0000000001' } } as KubeObject);
    t.es('db', 'db');
    t.es('cache', 'cache');
    t.current('db', 'db', 'db-0000000002');
    await t.settle();
    assert.deepEqual(t.configMap()!.data, { db: 'db-0000000002', cache: 'cache-0000000001' });
  });

  it('asks the named Flux Kustomization to reconcile once per change, and reports a failed request', async () => {
    const t = setup();
    t.api.putObject({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'flux-system' } } as KubeObject);
    const flux = { name: 'apps', namespace: 'flux-system' };
    t.es('a', 'a', 'Publish', flux);
    t.es('b', 'b', 'Publish', flux);
    t.es('c', 'c', 'Publish', { name: 'missing', namespace: 'ns' });
    t.current('a', 'a', 'a-0000000001', flux);
    t.current('b', 'b', 'b-0000000001', flux);
    t.current('c', 'c', 'c-0000000001', { name: 'missing', namespace: 'ns' });
    await t.settle();
    const ks = t.api.objects.get('Kustomization/flux-system/apps')!;
    assert.equal(ks.metadata!.annotations!['reconcile.fluxcd.io/requestedAt'], new Date(t.timers.now()).toISOString());
    assert.equal(t.api.calls.filter((c) => c === 'patch Kustomization/flux-system/apps').length, 1);
    assert.ok(t.events.some((e) => e.startsWith('Warning ReconcileRequestFailed ns/c: could not set reconcile.fluxcd.io/requestedAt on Kustomization ns/missing')), t.events.join('\n'));
  });

  it('leaves a keyferry-versions ConfigMap it did not write alone, and reports targets that collide on a key', async () => {
    const t = setup();
    t.api.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keyferry-versions', namespace: 'ns' }, data: { mine: 'x' } } as KubeObject);
    t.es('dots', 'a.b');
    t.es('dashes', 'a-b');
    t.current('dots', 'a.b', 'a.b-0000000001');
    t.current('dashes', 'a-b', 'a-b-0000000001');
    await t.settle();
    assert.deepEqual(t.configMap()!.data, { mine: 'x' });
    assert.equal(t.writes().length, 0);
    assert.ok(t.events.some((e) => e.startsWith('Warning PublishConflict ns/dots: target "a.b" maps to key "a_b"')), t.events.join('\n'));
    assert.ok(t.events.some((e) => e.startsWith('Warning PublishConflict ns/dashes: ConfigMap keyferry-versions exists and was not written by keyferry')));
  });

  it('retries a conflicting write against a fresh read', async () => {
    const t = setup();
    t.api.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keyferry-versions', namespace: 'ns', labels: { 'app.kubernetes.io/managed-by': 'keyferry' } }, data: {} } as KubeObject);
    t.es('db', 'db');
    t.current('db', 'db', 'db-0000000001');
    const replace = t.api.replaceConfigMap.bind(t.api);
    let once = false;
    t.api.replaceConfigMap = async (cm) => {
      if (!once) { once = true; t.api.putObject({ ...t.configMap()!, data: { db: 'db-0000000000' } } as KubeObject); }
      return replace(cm);
    };
    await t.settle();
    assert.deepEqual(t.configMap()!.data, { db: 'db-0000000001' });
    assert.equal(t.api.calls.filter((c) => c.startsWith('update configmap')).length, 2);
  });
});
