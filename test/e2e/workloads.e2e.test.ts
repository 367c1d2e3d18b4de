// Workloads follow versions, end to end: the operator process against the dev cluster and the
// real control plane. Rollout Patch, Publish (with Flux's Kustomization CRD), the alias and a
// burst of new versions run on both; what needs the Deployment, StatefulSet and ReplicaSet
// controllers and the garbage collector (new ReplicaSets, rollout undo, ControllerRevisions,
// pruning when history goes) runs on the real control plane only.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { kubectl } from '../support/control-plane/shared-control-plane.js';
import { fluxKustomizationCrd } from '../support/flux/kustomization-crd.js';
import { referencedSecretNames, type PodSpecLike } from '../../src/workloads/pod-spec-references.js';
import { API, decoded, eventually, externalSecret, fakeStore, forEachCluster, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PLANTED = ['workload-value-one-5d1f', 'workload-value-two-8a0c', 'workload-value-three-3e77', 'workload-value-four-c42b'];
/** Applies or deletes manifests/optional/alias-mode (its RBAC and admission policy) as its README says. */
const aliasMode = (fx: ClusterFixture, verb: 'apply' | 'delete') => kubectl(fx.adminKubeconfigPath, [verb, '-k', join(root, 'manifests', 'optional', 'alias-mode')]);
type Template = { metadata?: { annotations?: Record<string, string> }; spec: PodSpecLike };

function deployment(name: string, ns: string, follow: string, secretNames: string[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: ns, annotations: { 'keyferry.io/follow': follow } },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 10,
      // Old Pods go first: no Pod of this test ever runs (there is no node), so a surge would stall.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', envFrom: secretNames.map((s) => ({ secretRef: { name: s } })) }] },
      },
      ...extra,
    },
  };
}

// Rollouts wait for a burst of new versions to go quiet (--rollout-debounce, 5 s by default); the
// suites shorten it, long enough still for a burst of five ExternalSecrets rotated by one store
// change to land inside it on a loaded machine.
const ROLLOUT_DEBOUNCE_S = 2;
const ROLLOUT_DEBOUNCE_ARGS = ['--rollout-debounce', String(ROLLOUT_DEBOUNCE_S), '--rollout-max-delay', '10'];
/** Asserting that nothing more happens needs the debounce to have passed: there is no event for "no rollout". */
const pastTheDebounce = () => new Promise((r) => setTimeout(r, ROLLOUT_DEBOUNCE_S * 1000 + 1000));

forEachCluster('workloads follow versions', function (kind) {
  this.timeout(120_000);
  let fx: ClusterFixture;
  let op: OperatorProcess;
  const ns = 'follow';

  const status = async (es: string) => ((await fx.cluster.get(API, 'ExternalSecret', es, ns))?.status ?? {}) as { currentSecretName?: string; conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
  const waitCurrent = (es: string, not: string[] = []) => eventually(async () => {
    const s = await status(es);
    return readyOf({ status: s } as KubeObject)?.status === 'True' && s.currentSecretName && !not.includes(s.currentSecretName) ? s.currentSecretName : undefined;
  }, 20_000 * fx.slow, `${es}: a current version other than ${not.join(', ') || 'none'}`);
  const template = async (k: string, name: string) => ((await fx.cluster.get('apps/v1', k, name, ns))?.spec as { template: Template }).template;
  const rotate = async (store: string, value: string, keys = ['db']) => {
    await fx.cluster.apply(fakeStore(store, ns, keys.map((key) => ({ key, value: `${value}-${key}` }))));
  };

  before(async () => {
    fx = await startClusterFixture(kind);
    await fx.cluster.apply([namespace(ns), fluxKustomizationCrd() as KubeObject]);
    await eventually(async () => (await fx.cluster.raw('GET', '/apis/kustomize.toolkit.fluxcd.io/v1'))[0] === 200, 30_000 * fx.slow, 'Flux Kustomization API served');
    op = await startOperatorProcess({ ...fx.operator, args: ROLLOUT_DEBOUNCE_ARGS });
  });
  after(async () => {
    await op?.kill();
    await fx?.close();
  });

  it('rollout Patch: a Deployment and a DaemonSet move from the base name to each new version', async () => {
    await rotate('patch', PLANTED[0]!);
    await fx.cluster.apply([
      externalSecret('db', ns, { secretStoreRef: { name: 'patch' }, refreshInterval: '1h', data: [{ secretKey: 'password', remoteRef: { key: 'db' } }], target: { name: 'db', versioning: { rollout: 'Patch' } } }),
      deployment('web', ns, 'db', ['db'], { replicas: 0 }),
      {
        apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: ns, annotations: { 'keyferry.io/follow': 'db' } },
        spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'registry.k8s.io/pause:3.10', env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }] } } },
      },
    ]);
    const v1 = await waitCurrent('db');
    await eventually(async () => referencedSecretNames((await template('Deployment', 'web')).spec)[0] === v1, 20_000 * fx.slow, 'web on the first version');
    await rotate('patch', PLANTED[1]!);
    const v2 = await waitCurrent('db', [v1]);
    await eventually(async () => referencedSecretNames((await template('Deployment', 'web')).spec)[0] === v2, 20_000 * fx.slow, 'web on the new version');
    await eventually(async () => referencedSecretNames((await template('DaemonSet', 'agent')).spec)[0] === v2, 20_000 * fx.slow, 'the DaemonSet on the new version');
    assert.equal(decoded(await fx.cluster.get('v1', 'Secret', v2, ns), 'password'), `${PLANTED[1]}-db`);
    assert.ok(await fx.cluster.get('v1', 'Secret', v1, ns), 'the version web used before is still there');
  });

  it('a burst of 5 ExternalSecrets followed by one Deployment gives 1 rollout, not 5', async () => {
    const names = ['b1', 'b2', 'b3', 'b4', 'b5'];
    await rotate('burst', PLANTED[0]!, names);
    await fx.cluster.apply(names.map((n) => externalSecret(n, ns, {
      secretStoreRef: { name: 'burst' }, refreshInterval: '1h', data: [{ secretKey: 'v', remoteRef: { key: n } }], target: { name: n, versioning: { rollout: 'Patch' } },
    })));
    const first = await Promise.all(names.map((n) => waitCurrent(n)));
    await fx.cluster.apply(deployment('burst', ns, names.join(','), names, { replicas: 0 }));
    const refs = async () => referencedSecretNames((await template('Deployment', 'burst')).spec);
    await eventually(async () => JSON.stringify(await refs()) === JSON.stringify([...first].sort()), 20_000 * fx.slow, 'burst on the first versions');
    const generation = async () => Number((await fx.cluster.get('apps/v1', 'Deployment', 'burst', ns))!.metadata!.generation);
    const before = await generation();
    const rolledBefore = (await op.metricValue('keyferry_rollouts_total', { kind: 'Deployment', outcome: 'rolled' })) ?? 0;
    // One store change gives all five a new version at once.
    await rotate('burst', PLANTED[1]!, names);
    const next = await Promise.all(names.map((n, i) => waitCurrent(n, [first[i]!])));
    await eventually(async () => JSON.stringify(await refs()) === JSON.stringify([...next].sort()), 20_000 * fx.slow, 'burst on the new versions');
    // Quiet for longer than the debounce: nothing more comes.
    await pastTheDebounce();
    assert.equal(await generation() - before, 1, 'the pod template changed once');
    assert.equal(((await op.metricValue('keyferry_rollouts_total', { kind: 'Deployment', outcome: 'rolled' })) ?? 0) - rolledBefore, 1);
  });

  it('rollout Publish: keyferry-versions after 2 rotations, and requestedAt on the Flux Kustomization', async () => {
    await fx.cluster.apply({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: ns },
      spec: { interval: '10m', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'platform' }, postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'keyferry-versions' }] } },
    });
    await rotate('publish', PLANTED[0]!);
    await fx.cluster.apply(externalSecret('published', ns, {
      secretStoreRef: { name: 'publish' }, refreshInterval: '1h', data: [{ secretKey: 'password', remoteRef: { key: 'db' } }],
      target: { name: 'db-credentials', versioning: { rollout: 'Publish', fluxKustomization: { name: 'apps' } } },
    }));
    let previous: string[] = [];
    let requested = '';
    for (const value of [PLANTED[1]!, PLANTED[2]!]) {
      const old = await waitCurrent('published', previous);
      previous = [...previous, old];
      await rotate('publish', value);
      const current = await waitCurrent('published', previous);
      const cm = await eventually(async () => {
        const c = await fx.cluster.get('v1', 'ConfigMap', 'keyferry-versions', ns);
        return (c?.data as Record<string, string> | undefined)?.db_credentials === current ? c : undefined;
      }, 20_000 * fx.slow, 'keyferry-versions with the current version');
      assert.deepEqual(cm.data, { db_credentials: current });
      requested = await eventually(async () => {
        const at = (await fx.cluster.get('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'apps', ns))?.metadata?.annotations?.['reconcile.fluxcd.io/requestedAt'];
        return at && at !== requested ? at : undefined;
      }, 20_000 * fx.slow, 'a new reconcile.fluxcd.io/requestedAt');
      assert.ok(!Number.isNaN(Date.parse(requested)));
    }
  });

  it('alias: the Secret named target.name changes in place, and no other Secret is ever updated', async () => {
    const updatesBefore = (await op.metricValue('keyferry_kube_requests_total', { verb: 'update', resource: 'secrets' })) ?? 0;
    await rotate('alias', PLANTED[0]!);
    await fx.cluster.apply(externalSecret('aliased', ns, {
      secretStoreRef: { name: 'alias' }, refreshInterval: '1h', data: [{ secretKey: 'password', remoteRef: { key: 'db' } }],
      target: { name: 'shared', versioning: { alias: true } },
    }));
    if (kind === 'real') {
      // Without manifests/optional/alias-mode the condition says so; with it, Ready.
      const refused = await eventually(async () => { const s = await status('aliased'); return readyOf({ status: s } as KubeObject)?.reason === 'AliasForbidden' ? readyOf({ status: s } as KubeObject) : undefined; }, 20_000 * fx.slow, 'AliasForbidden');
      assert.match(refused.message!, /kubectl apply -k manifests\/optional\/alias-mode/);
      await aliasMode(fx, 'apply');
    }
    const v1 = await waitCurrent('aliased');
    const alias = await eventually(async () => {
      const s = await fx.cluster.get('v1', 'Secret', 'shared', ns);
      return s?.metadata?.annotations?.['keyferry.io/version'] === v1 ? s : undefined;
    }, 20_000 * fx.slow, 'alias at the first version');
    assert.equal(decoded(alias, 'password'), `${PLANTED[0]}-db`);
    const versionsSeen = new Map<string, string>();
    const remember = async () => {
      for (const s of await fx.cluster.list('v1', 'Secret', ns)) {
        if (s.metadata!.name === 'shared') continue;
        const rv = String(s.metadata!.resourceVersion);
        const seen = versionsSeen.get(s.metadata!.name!);
        assert.ok(seen === undefined || seen === rv, `Secret ${s.metadata!.name} was written after it was created`);
        versionsSeen.set(s.metadata!.name!, rv);
      }
    };
    await remember();
    let last = [v1];
    for (const value of [PLANTED[1]!, PLANTED[2]!]) {
      await rotate('alias', value);
      const current = await waitCurrent('aliased', last);
      last = [...last, current];
      const updated = await eventually(async () => {
        const s = await fx.cluster.get('v1', 'Secret', 'shared', ns);
        return s?.metadata?.annotations?.['keyferry.io/version'] === current ? s : undefined;
      }, 20_000 * fx.slow, 'alias at the new version');
      assert.equal(decoded(updated, 'password'), `${value}-db`);
      assert.equal(updated.metadata!.uid, alias.metadata!.uid, 'the same Secret, updated in place');
      await remember();
    }
    const updates = ((await op.metricValue('keyferry_kube_requests_total', { verb: 'update', resource: 'secrets' })) ?? 0) - updatesBefore;
    assert.ok(updates >= 2, `the alias was updated (${updates} update calls)`);
    assert.equal((await op.metricValue('keyferry_kube_requests_total', { verb: 'patch', resource: 'secrets' })) ?? 0, 0, 'no Secret is ever patched');
    if (kind === 'real') await aliasMode(fx, 'delete');
  });
});

/** Every Secret name the Pods and ReplicaSets of a namespace reference, and whether it exists. */
async function danglingReferences(fx: ClusterFixture, ns: string): Promise<string[]> {
  const names = new Set<string>();
  for (const pod of await fx.cluster.list('v1', 'Pod', ns)) for (const n of referencedSecretNames(pod.spec as PodSpecLike)) names.add(n);
  for (const rs of await fx.cluster.list('apps/v1', 'ReplicaSet', ns)) for (const n of referencedSecretNames((rs.spec as { template: Template }).template.spec)) names.add(n);
  for (const cr of await fx.cluster.list('apps/v1', 'ControllerRevision', ns)) {
    for (const n of referencedSecretNames((cr.data as { spec?: { template?: Template } } | undefined)?.spec?.template?.spec)) names.add(n);
  }
  const missing: string[] = [];
  for (const n of names) if (!(await fx.cluster.get('v1', 'Secret', n, ns))) missing.push(n);
  return missing;
}

// The Deployment, StatefulSet and ReplicaSet controllers and the garbage collector exist only on the real control plane.
forEachCluster('workloads follow versions through their controllers', function (kind) {
  this.timeout(240_000);
  let fx: ClusterFixture;
  let op: OperatorProcess;
  const ns = 'history';

  const current = async (es: string) => ((await fx.cluster.get(API, 'ExternalSecret', es, ns))?.status as { currentSecretName?: string } | undefined)?.currentSecretName;
  const waitNew = (es: string, seen: string[]) => eventually(async () => { const c = await current(es); return c && !seen.includes(c) ? c : undefined; }, 30_000 * fx.slow, `${es}: a new version`);
  const rotate = (store: string, value: string) => fx.cluster.apply(fakeStore(store, ns, [{ key: 'db', value }]));
  /** The Deployment controller has acted on the Deployment's latest spec (its ReplicaSets are there). */
  const caughtUp = (name: string) => eventually(async () => {
    const d = await fx.cluster.get('apps/v1', 'Deployment', name, ns);
    return d && (d.status as { observedGeneration?: number } | undefined)?.observedGeneration === d.metadata?.generation ? d : undefined;
  }, 30_000 * fx.slow, `the Deployment controller caught up with ${name}`);
  const replicaSets = async (app: string) => (await fx.cluster.list('apps/v1', 'ReplicaSet', ns)).filter((rs) => (rs.metadata?.labels as Record<string, string> | undefined)?.app === app);
  const versionsOf = async (es: string) => (await fx.cluster.list('v1', 'Secret', ns)).filter((s) => s.metadata?.labels?.['keyferry.io/external-secret'] === es).map((s) => s.metadata!.name!).sort();
  const noDangling = async (step: string) => assert.deepEqual(await danglingReferences(fx, ns), [], `after ${step}: every referenced Secret exists`);
  const es = (name: string, store: string, versioning: Record<string, unknown>) => externalSecret(name, ns, {
    secretStoreRef: { name: store }, refreshInterval: '1h', data: [{ secretKey: 'password', remoteRef: { key: 'db' } }],
    target: { name, versioning: { retain: 0, minRetention: '0s', ...versioning } },
  });

  before(async () => {
    fx = await startClusterFixture(kind);
    await fx.cluster.apply(namespace(ns));
    op = await startOperatorProcess({ ...fx.operator, args: ROLLOUT_DEBOUNCE_ARGS });
  });
  after(async () => {
    await op?.kill();
    await fx?.close();
  });

  it('a Deployment follows 3 rotations (one new ReplicaSet each), rollout undo brings back a version that exists, and old versions go with their ReplicaSets', async () => {
    await rotate('deploy', PLANTED[0]!);
    await fx.cluster.apply(es('api', 'deploy', { rollout: 'Patch' }));
    const seen = [await waitNew('api', [])];
    // Created once the version exists and naming it: a template naming a Secret that does not
    // exist yet would make a ReplicaSet whose Pods wait for it.
    await fx.cluster.apply(deployment('api', ns, 'api', [seen[0]!]));
    const onVersion = async (v: string) => eventually(async () => {
      const d = await fx.cluster.get('apps/v1', 'Deployment', 'api', ns);
      const tpl = (d?.spec as { template: Template } | undefined)?.template;
      return tpl && referencedSecretNames(tpl.spec)[0] === v ? d : undefined;
    }, 30_000 * fx.slow, `api on ${v}`);
    await onVersion(seen[0]!);
    await caughtUp('api');
    assert.equal((await replicaSets('api')).length, 1, 'the Deployment already names the current version: one ReplicaSet');
    await noDangling('the first sync');
    for (const [i, value] of [PLANTED[1]!, PLANTED[2]!, PLANTED[3]!].entries()) {
      const before = (await replicaSets('api')).length;
      await rotate('deploy', value);
      seen.push(await waitNew('api', seen));
      await onVersion(seen.at(-1)!);
      await caughtUp('api');
      // Settled past the debounce: still exactly one more.
      await pastTheDebounce();
      await caughtUp('api');
      assert.equal((await replicaSets('api')).length, before + 1, `exactly one new ReplicaSet after rotation ${i + 1}`);
      await noDangling(`rotation ${i + 1}`);
    }
    // Every version is still referenced by a ReplicaSet of the history: none was pruned.
    assert.deepEqual(await versionsOf('api'), [...seen].sort());

    await kubectl(fx.adminKubeconfigPath, ['rollout', 'undo', 'deployment/api', '-n', ns]);
    const previous = seen.at(-2)!;
    await onVersion(previous);
    assert.ok(await fx.cluster.get('v1', 'Secret', previous, ns), 'the version rollout undo brought back exists');
    await pastTheDebounce();
    await onVersion(previous);
    await noDangling('rollout undo');

    // The history goes. (Without a node no Pod becomes available, so no rollout completes and the
    // controller never trims history itself: the old ReplicaSets are deleted as a person would.)
    for (const rs of await replicaSets('api')) {
      if (referencedSecretNames((rs.spec as { template: Template }).template.spec)[0] !== previous) await fx.cluster.delete('apps/v1', 'ReplicaSet', rs.metadata!.name!, ns);
    }
    await eventually(async () => (await replicaSets('api')).length === 1 || undefined, 60_000 * fx.slow, 'old ReplicaSets deleted');
    await eventually(async () => JSON.stringify(await versionsOf('api')) === JSON.stringify([previous, seen.at(-1)!].sort()) || undefined, 30_000 * fx.slow,
      'only the version in use and the current one left');
    await noDangling('the history went');
  });

  it('a StatefulSet follows 3 rotations; its ControllerRevisions keep their versions until the history goes', async () => {
    await rotate('sts', PLANTED[0]!);
    await fx.cluster.apply(es('cache', 'sts', { rollout: 'Patch' }));
    const seen = [await waitNew('cache', [])];
    await fx.cluster.apply([{
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'cache', namespace: ns, annotations: { 'keyferry.io/follow': 'cache' } },
      spec: {
        replicas: 0, serviceName: 'cache', revisionHistoryLimit: 10, selector: { matchLabels: { app: 'cache' } },
        template: { metadata: { labels: { app: 'cache' } }, spec: { containers: [{ name: 'cache', image: 'registry.k8s.io/pause:3.10', volumeMounts: [{ name: 'creds', mountPath: '/creds' }] }], volumes: [{ name: 'creds', secret: { secretName: seen[0]! } }] } },
      },
    }]);
    const revisions = async () => (await fx.cluster.list('apps/v1', 'ControllerRevision', ns)).filter((r) => (r.metadata?.ownerReferences as Array<{ name: string }> | undefined)?.[0]?.name === 'cache');
    for (const value of [PLANTED[1]!, PLANTED[2]!, PLANTED[3]!]) {
      await rotate('sts', value);
      seen.push(await waitNew('cache', seen));
      await eventually(async () => {
        const tpl = ((await fx.cluster.get('apps/v1', 'StatefulSet', 'cache', ns))?.spec as { template: Template }).template;
        return referencedSecretNames(tpl.spec)[0] === seen.at(-1);
      }, 30_000 * fx.slow, 'the StatefulSet on the new version');
      await noDangling('a StatefulSet rotation');
    }
    await eventually(async () => (await revisions()).length === seen.length || undefined, 30_000 * fx.slow, 'one ControllerRevision per template');
    assert.deepEqual(await versionsOf('cache'), [...seen].sort(), 'the revisions keep every version');
    await fx.cluster.mergePatch('apps/v1', 'StatefulSet', 'cache', ns, { spec: { revisionHistoryLimit: 0 } });
    await eventually(async () => JSON.stringify(await versionsOf('cache')) === JSON.stringify([seen.at(-1)!]) || undefined, 60_000 * fx.slow, 'old versions pruned with their revisions');
    await noDangling('the StatefulSet history went');
  });

  it('a reference that Flux applies with server-side apply is left to Flux, and the Event says why', async () => {
    await rotate('gitops', PLANTED[0]!);
    await fx.cluster.apply(es('gitops', 'gitops', { rollout: 'Patch' }));
    const v1 = await waitNew('gitops', []);
    const manifest = deployment('gitops', ns, 'gitops', [v1]);
    await kubectl(fx.adminKubeconfigPath, ['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], JSON.stringify(manifest));
    await rotate('gitops', PLANTED[1]!);
    const v2 = await waitNew('gitops', [v1]);
    const blocked = await eventually(async () => (await fx.cluster.list('v1', 'Event', ns))
      .find((e) => e.reason === 'RolloutBlocked' && (e.involvedObject as { name?: string }).name === 'gitops'), 30_000 * fx.slow, 'RolloutBlocked');
    assert.match(String(blocked.message), /managed by kustomize-controller through server-side apply/);
    const tpl = ((await fx.cluster.get('apps/v1', 'Deployment', 'gitops', ns))?.spec as { template: Template }).template;
    assert.deepEqual(referencedSecretNames(tpl.spec), [v1], `Flux's field is not taken over (the current version is ${v2})`);
    assert.ok(await fx.cluster.get('v1', 'Secret', v1, ns), 'and the version it names is kept');
  });

  it('alias with rollout Patch: the alias changes in place, and a follower of the alias gets a new ReplicaSet per version', async () => {
    await aliasMode(fx, 'apply');
    await rotate('alias', PLANTED[0]!);
    await fx.cluster.apply(es('shared', 'alias', { rollout: 'Patch', alias: true }));
    const seen = [await waitNew('shared', [])];
    const aliasUid = await eventually(async () => (await fx.cluster.get('v1', 'Secret', 'shared', ns))?.metadata?.uid, 30_000 * fx.slow, 'the alias');
    await fx.cluster.apply(deployment('shared', ns, 'shared', ['shared']));
    // keyferry records (and stamps) the follower first; then the controller catches up.
    await eventually(async () => (await fx.cluster.get('apps/v1', 'Deployment', 'shared', ns))?.metadata?.annotations?.['keyferry.io/rolled-out'] === `shared=${seen[0]}` || undefined, 30_000 * fx.slow, 'the follower recorded');
    await caughtUp('shared');
    for (const value of [PLANTED[1]!, PLANTED[2]!]) {
      const before = (await replicaSets('shared')).length;
      await rotate('alias', value);
      seen.push(await waitNew('shared', seen));
      await eventually(async () => decoded(await fx.cluster.get('v1', 'Secret', 'shared', ns), 'password') === value || undefined, 30_000 * fx.slow, 'the alias holds the new value');
      await eventually(async () => (await fx.cluster.get('apps/v1', 'Deployment', 'shared', ns))?.metadata?.annotations?.['keyferry.io/rolled-out'] === `shared=${seen.at(-1)}` || undefined, 30_000 * fx.slow, 'the follower rolled');
      await caughtUp('shared');
      assert.equal((await replicaSets('shared')).length, before + 1, 'one new ReplicaSet for the restart');
      const tpl = ((await fx.cluster.get('apps/v1', 'Deployment', 'shared', ns))?.spec as { template: Template }).template;
      assert.deepEqual(referencedSecretNames(tpl.spec), ['shared'], 'the follower keeps the alias name');
      assert.equal(tpl.metadata?.annotations?.['keyferry.io/alias-versions'], `shared=${seen.at(-1)}`);
      await noDangling('an alias rotation');
    }
    assert.equal((await fx.cluster.get('v1', 'Secret', 'shared', ns))!.metadata!.uid, aliasUid, 'updated in place');
    assert.equal((await op.metricValue('keyferry_kube_requests_total', { verb: 'patch', resource: 'secrets' })) ?? 0, 0);
    await aliasMode(fx, 'delete');
  });
}, ['real']);
