import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { FakeClusterApi, FakeInformer } from '../controller/fakes.js';
import { AliasSecrets } from '../../src/workloads/alias-secret.js';
import { WorkloadMetrics } from '../../src/workloads/workload-metrics.js';
import type { SecretObject } from '../../src/kube/kube-object.js';

function setup() {
  const api = new FakeClusterApi(() => {}, () => 1_800_000_000_000);
  const managed = new FakeInformer<SecretObject>();
  const aliases = new AliasSecrets({ api, managedSecrets: managed, metrics: new WorkloadMetrics(new Registry()) });
  const version = (name: string, value: string, type = 'Opaque') => {
    api.secrets.set(`ns/${name}`, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'ns', resourceVersion: '1' }, type, immutable: true, data: { password: Buffer.from(value).toString('base64') } });
  };
  /** Mirrors the alias into the managed cache, as the label-selected informer would (without data). */
  const sync = () => {
    const s = api.secrets.get('ns/db');
    if (s) managed.set({ ...structuredClone(s), data: undefined });
    else managed.remove('ns/db');
  };
  const value = () => Buffer.from(api.secrets.get('ns/db')!.data!.password!, 'base64').toString();
  const req = (current: string) => ({ namespace: 'ns', externalSecret: 'db-es', target: 'db', current });
  return { api, managed, aliases, version, sync, value, req };
}

describe('AliasSecrets (alias: true)', () => {
  it('creates a mutable Secret named target.name with the current data, then updates it in place for each new version', async () => {
    const t = setup();
    t.version('db-0000000001', 'one');
    assert.deepEqual(await t.aliases.ensure(t.req('db-0000000001')), { ok: true, changed: true });
    const alias = t.api.secrets.get('ns/db')!;
    assert.equal(alias.immutable, undefined);
    assert.equal(alias.metadata!.annotations!['keyferry.io/version'], 'db-0000000001');
    assert.equal(t.value(), 'one');
    const uid = alias.metadata!.uid;
    t.sync();
    assert.deepEqual(await t.aliases.ensure(t.req('db-0000000001')), { ok: true, changed: false });

    t.version('db-0000000002', 'two');
    assert.deepEqual(await t.aliases.ensure(t.req('db-0000000002')), { ok: true, changed: true });
    assert.equal(t.value(), 'two');
    assert.equal(t.api.secrets.get('ns/db')!.metadata!.uid, uid, 'the same object, updated in place');
    assert.equal(t.api.secrets.get('ns/db')!.metadata!.annotations!['keyferry.io/version'], 'db-0000000002');
    const updates = t.api.calls.filter((c) => c.includes('update '));
    assert.deepEqual(updates, ['dry-run update ns/db', 'update ns/db'], 'only the alias is ever updated');
  });

  it('says in its outcome that the alias RBAC is missing as soon as the alias exists', async () => {
    const t = setup();
    t.api.forbidden.add('update secrets');
    t.version('db-0000000001', 'one');
    const outcome = await t.aliases.ensure(t.req('db-0000000001'));
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok && outcome.reason === 'AliasForbidden' && outcome.message.includes('kubectl apply -k manifests/optional/alias-mode'), JSON.stringify(outcome));
    t.api.forbidden.clear();
    t.sync();
    assert.deepEqual(await t.aliases.ensure(t.req('db-0000000001')), { ok: true, changed: false });
  });

  it('never takes over a Secret of that name that is not its alias', async () => {
    const t = setup();
    t.api.secrets.set('ns/db', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns', resourceVersion: '1' }, data: { password: 'bWluZQ==' } });
    t.version('db-0000000001', 'one');
    const outcome = await t.aliases.ensure(t.req('db-0000000001'));
    assert.ok(!outcome.ok && outcome.reason === 'AliasConflict', JSON.stringify(outcome));
    assert.equal(t.value(), 'mine');
    assert.equal(await t.aliases.remove('ns', 'db-es', 'db'), false);
    assert.ok(t.api.secrets.has('ns/db'));
  });

  it('replaces the alias when the type changes (a Secret type is immutable), and removes it when alias is turned off', async () => {
    const t = setup();
    t.version('db-0000000001', 'one');
    await t.aliases.ensure(t.req('db-0000000001'));
    t.version('db-0000000002', 'two', 'kubernetes.io/basic-auth');
    assert.deepEqual(await t.aliases.ensure(t.req('db-0000000002')), { ok: true, changed: true });
    assert.equal(t.api.secrets.get('ns/db')!.type, 'kubernetes.io/basic-auth');
    t.sync();
    assert.equal(await t.aliases.remove('ns', 'db-es', 'db'), true);
    assert.equal(t.api.secrets.has('ns/db'), false);
  });
});

describe('Secret updates in the code base', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
  it('the alias and creationPolicy Merge are the only code that updates a Secret, and nothing patches one', () => {
    const where = (pattern: RegExp) => [...files(join(root, 'src')), ...files(join(root, 'providers'))]
      .filter((f) => !f.includes(`${join('src', 'devcluster')}`) && pattern.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f)).sort();
    // Callers of ClusterApi.updateSecret, besides the interface, the client and its instrumentation.
    assert.deepEqual(where(/\.updateSecret\(/), ['src/controller/external-secret-reconciler.ts', 'src/kube/instrumented-cluster-api.ts', 'src/workloads/alias-secret.ts']);
    // The operator's own REST client: a Secret is PUT only inside KubeClient.updateSecret, and never PATCHed.
    assert.deepEqual(where(/'PUT', secretPath\(/), ['src/kube/kube-client.ts'], 'only inside KubeClient.updateSecret');
    assert.deepEqual(where(/'PATCH', secretPath\(|patchNamespacedSecret|PatchNamespacedSecret/), []);
  });
});
