// target.creationPolicy Merge and None (issue #16). Merge writes keys in place into an existing
// Secret that opted in (annotation keyferry.io/merge-from naming the ExternalSecret), never
// creates or deletes it and never changes a key keyferry did not write; anything else is refused
// with nothing written. None reads and checks the remote data and writes no Secret.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { RetryLater } from '../../src/controller/external-secret-reconciler.js';
import type { SecretObject } from '../../src/kube/kube-object.js';
import { createHarness } from './harness.js';

const PLANTED = 'planted-merge-value-7Qz';
const ROTATED = 'rotated-merge-value-9Xk';
const OTHERS = { 'app-config': Buffer.from('owned by the app team').toString('base64') };

const b64 = (s: string) => Buffer.from(s).toString('base64');
const text = (secret: SecretObject | undefined, key: string) => {
  const v = secret?.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString();
};

function setup(value = PLANTED) {
  const lines: string[] = [];
  const h = createHarness({ logger: pino({ level: 'debug' }, { write: (line: string) => { lines.push(line); } }) });
  h.store('fake', 'ns', [{ key: 'db', value }, { key: 'user', value: 'admin' }]);
  return { h, lines };
}

type H = ReturnType<typeof createHarness>;

/** A Secret someone else owns in `ns`, by default opted in for ExternalSecret `app`. */
function plantTarget(h: H, extra: Partial<SecretObject> & { annotations?: Record<string, string>; labels?: Record<string, string> } = {}) {
  const { annotations = { 'keyferry.io/merge-from': 'app' }, labels, ...rest } = extra;
  h.api.secrets.set('ns/app-secret', {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: { name: 'app-secret', namespace: 'ns', resourceVersion: '7', annotations, ...(labels ? { labels } : {}) },
    data: { ...OTHERS }, ...rest,
  });
}

const mergeSpec = (extra: Record<string, unknown> = {}, target: Record<string, unknown> = {}) => ({
  secretStoreRef: { name: 'fake' }, refreshInterval: '1m',
  target: { name: 'app-secret', creationPolicy: 'Merge', ...target },
  data: [{ secretKey: 'password', remoteRef: { key: 'db' } }],
  ...extra,
});

const secretWrites = (h: H) => h.api.writes.filter((w) => /^(create|update|delete|dry-run) /.test(w));
const attempt = async (h: H, key = 'ns/app') => h.reconcile(key).catch((e: unknown) => { if (!(e instanceof RetryLater)) throw e; });
const target = (h: H) => h.api.secrets.get('ns/app-secret');

/** Nothing a person or a scraper sees holds a planted value. */
async function assertNoValues(h: H, lines: string[], ...values: string[]) {
  const seen = [JSON.stringify(h.api.statuses), JSON.stringify(h.api.events), lines.join('\n'), await h.registry.metrics(), JSON.stringify(target(h)?.metadata ?? {})];
  for (const v of values) for (const s of seen) assert.ok(!s.includes(v) && !s.includes(b64(v)), `a value leaked: ${s.slice(0, 200)}`);
}

describe('creationPolicy Merge', () => {
  async function ready(h: H) {
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec());
    await h.reconcile('ns/app');
  }

  it('writes the keys into the opted-in Secret in place (one update with its resourceVersion), keeps its other keys and records what it wrote; Ready shows the target', async () => {
    const { h, lines } = setup();
    plantTarget(h);
    await ready(h);
    const r = h.ready('app', 'ns')!;
    assert.equal(r.status, 'True', r.message);
    assert.equal(r.reason, 'SecretSynced');
    assert.match(r.message, /"password" merged into Secret "app-secret"/);
    assert.equal(h.get('app', 'ns').status?.currentSecretName, 'app-secret');
    assert.deepEqual(secretWrites(h), ['update ns/app-secret'], 'no Secret created or deleted, no version');
    const t = target(h)!;
    assert.equal(text(t, 'password'), PLANTED);
    assert.equal(t.data!['app-config'], OTHERS['app-config']);
    assert.equal(t.metadata?.annotations?.['keyferry.io/merge-from'], 'app', "the owner's annotation stays");
    assert.equal(t.metadata?.annotations?.['keyferry.io/merged-by'], 'app');
    assert.equal(t.metadata?.annotations?.['keyferry.io/merged-keys'], 'password');
    assert.match(t.metadata?.annotations?.['keyferry.io/merged-hash'] ?? '', /^[0-9a-f]{10}$/);
    assert.equal(t.metadata?.ownerReferences, undefined, 'never owned by the ExternalSecret');
    assert.ok(h.api.events.some((e) => e.reason === 'SecretMerged' && e.type === 'Normal'));
    await assertNoValues(h, lines, PLANTED);

    // A refresh with nothing new writes nothing.
    const before = secretWrites(h).length;
    await h.runFor(0);
    h.timers.advance(61_000);
    h.es('app', 'ns', mergeSpec({ refreshInterval: '1m' }));
    await h.reconcile('ns/app');
    assert.equal(secretWrites(h).length, before);
  });

  it('follows a rotation, drops a key it no longer produces, keeps keys the owner added, and restores its keys after drift', async () => {
    const { h, lines } = setup();
    plantTarget(h);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec({ data: [{ secretKey: 'password', remoteRef: { key: 'db' } }, { secretKey: 'username', remoteRef: { key: 'user' } }] }));
    await h.reconcile('ns/app');
    assert.equal(text(target(h), 'username'), 'admin');

    // The owner adds a key of their own; the remote rotates; the spec stops producing username.
    const held = target(h)!;
    h.api.secrets.set('ns/app-secret', { ...held, data: { ...held.data, extra: b64('mine') }, metadata: { ...held.metadata, resourceVersion: '900' } });
    h.store('fake', 'ns', [{ key: 'db', value: ROTATED }, { key: 'user', value: 'admin' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec());
    await h.reconcile('ns/app');
    let t = target(h)!;
    assert.equal(text(t, 'password'), ROTATED);
    assert.equal(t.data!.username, undefined, 'its own key, no longer produced, is removed');
    assert.equal(text(t, 'extra'), 'mine');
    assert.equal(t.data!['app-config'], OTHERS['app-config']);
    assert.equal(t.metadata?.annotations?.['keyferry.io/merged-keys'], 'password');

    // Someone changes keyferry's key: the next sync restores it and says so.
    h.api.secrets.set('ns/app-secret', { ...t, data: { ...t.data, password: b64('tampered') }, metadata: { ...t.metadata, resourceVersion: '901' } });
    h.es('app', 'ns', mergeSpec({ refreshInterval: '2m' }));
    await h.reconcile('ns/app');
    t = target(h)!;
    assert.equal(text(t, 'password'), ROTATED);
    assert.ok(h.api.events.some((e) => e.reason === 'SecretMerged' && /changed outside keyferry and were restored/.test(e.message)));
    assert.equal(h.ready('app', 'ns')!.status, 'True');
    await assertNoValues(h, lines, PLANTED, ROTATED, 'tampered');
  });

  it('re-reads and merges again when the Secret changed between read and update (409): the other writer\'s key survives', async () => {
    const { h } = setup();
    plantTarget(h);
    await h.reconcileStore('SecretStore/ns/fake');
    const original = h.api.getSecret.bind(h.api);
    let raced = false;
    h.api.getSecret = async (namespace: string, name: string) => {
      const got = await original(namespace, name);
      if (name === 'app-secret' && !raced && got) {
        raced = true;
        const copy = structuredClone(got);
        h.api.secrets.set('ns/app-secret', { ...got, data: { ...got.data, concurrent: b64('theirs') }, metadata: { ...got.metadata, resourceVersion: '950' } });
        return copy;
      }
      return got;
    };
    h.es('app', 'ns', mergeSpec());
    await h.reconcile('ns/app');
    assert.deepEqual(secretWrites(h), ['update ns/app-secret', 'update ns/app-secret'], 'the first update met 409');
    assert.equal(text(target(h), 'concurrent'), 'theirs');
    assert.equal(text(target(h), 'password'), PLANTED);
    assert.equal(h.ready('app', 'ns')!.status, 'True');
  });

  const refusals: Array<[string, (h: H) => void, RegExp]> = [
    ['not opted in', (h) => plantTarget(h, { annotations: {} }), /has not opted in: whoever owns it must annotate it keyferry\.io\/merge-from: app/],
    ['opted in for another ExternalSecret', (h) => plantTarget(h, { annotations: { 'keyferry.io/merge-from': 'other' } }), /has not opted in/],
    ['a ServiceAccount token, even opted in', (h) => plantTarget(h, { type: 'kubernetes.io/service-account-token' }), /ServiceAccount token Secret/],
    ["one of keyferry's versions, even opted in", (h) => plantTarget(h, { labels: { 'keyferry.io/managed': 'true', 'keyferry.io/external-secret': 'other' } }), /keyferry's own Secrets/],
    ["one of keyferry's aliases, even opted in", (h) => plantTarget(h, { labels: { 'keyferry.io/managed': 'true', 'keyferry.io/alias': 'true' } }), /keyferry's own Secrets/],
    ['immutable', (h) => plantTarget(h, { immutable: true }), /is immutable/],
    ['holding the key already, not written by keyferry', (h) => plantTarget(h, { data: { ...OTHERS, password: b64('the owner\'s') } }), /already holds "password", which keyferry did not write and never changes/],
  ];
  for (const [what, plant, message] of refusals) {
    it(`refuses a Secret that is ${what}: MergeRefused, a Warning Event, nothing written`, async () => {
      const { h, lines } = setup();
      plant(h);
      const before = structuredClone(target(h));
      await h.reconcileStore('SecretStore/ns/fake');
      h.es('app', 'ns', mergeSpec());
      await assert.rejects(h.reconcile('ns/app'), RetryLater, 'retried with backoff (the owner may opt in later)');
      const r = h.ready('app', 'ns')!;
      assert.equal(r.status, 'False');
      assert.equal(r.reason, 'MergeRefused');
      assert.match(r.message, message);
      assert.match(r.message, /nothing was written/);
      assert.deepEqual(secretWrites(h), []);
      assert.deepEqual(target(h), before);
      assert.ok(h.api.events.some((e) => e.type === 'Warning' && e.reason === 'MergeRefused'));
      assert.equal(h.get('app', 'ns').status?.currentSecretName, undefined);
      await assertNoValues(h, lines, PLANTED, "the owner's");
    });
  }

  it('never creates the Secret: MergeTargetNotFound, retried; once it exists and opts in, the keys are merged', async () => {
    const { h } = setup();
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec());
    await assert.rejects(h.reconcile('ns/app'), RetryLater);
    assert.equal(h.ready('app', 'ns')!.reason, 'MergeTargetNotFound');
    assert.match(h.ready('app', 'ns')!.message, /does not exist: creationPolicy Merge writes into an existing Secret and never creates one/);
    assert.deepEqual(secretWrites(h), []);
    plantTarget(h);
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.status, 'True');
  });

  it('without update on Secrets: MergeForbidden naming manifests/optional/merge-mode, and the Secret is unchanged', async () => {
    const { h } = setup();
    plantTarget(h);
    h.api.forbidden.add('update secrets');
    const before = structuredClone(target(h));
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec());
    await attempt(h);
    assert.equal(h.ready('app', 'ns')!.reason, 'MergeForbidden');
    assert.match(h.ready('app', 'ns')!.message, /kubectl apply -k manifests\/optional\/merge-mode/);
    assert.deepEqual(target(h), before);
  });

  it('an unreachable store or a missing remote secret (deletionPolicy Retain) removes nothing: Stale, the keys keep serving', async () => {
    const { h } = setup();
    plantTarget(h);
    await ready(h);
    h.store('fake', 'ns', [{ key: 'user', value: 'admin' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec({ refreshInterval: '2m' }));
    await attempt(h);
    const r = h.ready('app', 'ns')!;
    assert.equal(r.reason, 'Stale', r.message);
    assert.match(r.message, /the keys keyferry wrote into "app-secret" keep serving/);
    assert.equal(text(target(h), 'password'), PLANTED);
    assert.deepEqual(secretWrites(h), ['update ns/app-secret'], 'only the first merge');

    // The Secret deleted by its owner: nothing serves, and keyferry does not make it again.
    const kept = target(h)!;
    h.api.secrets.delete('ns/app-secret');
    h.store('fake', 'ns', [{ key: 'db', value: PLANTED }, { key: 'user', value: 'admin' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    await attempt(h);
    assert.equal(h.ready('app', 'ns')!.reason, 'MergeTargetNotFound');
    assert.doesNotMatch(h.ready('app', 'ns')!.message, /keep serving/);
    assert.ok(!secretWrites(h).some((w) => w.startsWith('create')));
    h.api.secrets.set('ns/app-secret', kept);

    // A store that does not answer at all: the keys stay.
    h.caches.secretStores.remove('ns/fake');
    await h.reconcileStore('SecretStore/ns/fake');
    await attempt(h);
    assert.equal(text(target(h), 'password'), PLANTED);
    assert.equal(target(h)!.data!['app-config'], OTHERS['app-config']);
  });

  it('deletionPolicy Merge: when the remote secret is gone its keys are removed, the Secret and its other keys stay (SecretDeleted)', async () => {
    const { h, lines } = setup();
    plantTarget(h);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec({}, { deletionPolicy: 'Merge' }));
    await h.reconcile('ns/app');
    assert.equal(text(target(h), 'password'), PLANTED);
    h.store('fake', 'ns', [{ key: 'user', value: 'admin' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec({ refreshInterval: '2m' }, { deletionPolicy: 'Merge' }));
    await h.reconcile('ns/app');
    const r = h.ready('app', 'ns')!;
    assert.equal(r.reason, 'SecretDeleted');
    assert.match(r.message, /deletionPolicy Merge removed keyferry's keys from Secret "app-secret", which stays/);
    const t = target(h)!;
    assert.ok(t, 'never deleted');
    assert.equal(t.data!.password, undefined);
    assert.equal(t.data!['app-config'], OTHERS['app-config']);
    assert.equal(t.metadata?.annotations?.['keyferry.io/merged-keys'], undefined);
    assert.equal(t.metadata?.annotations?.['keyferry.io/merge-from'], 'app');
    assert.ok(!secretWrites(h).some((w) => w.startsWith('delete')));
    assert.equal(h.get('app', 'ns').status?.currentSecretName, undefined);
    assert.ok(h.api.events.some((e) => e.type === 'Normal' && e.reason === 'MergedKeysRemoved' && /removed "password" from Secret "app-secret"/.test(e.message)));
    await assertNoValues(h, lines, PLANTED);
  });

  it('deletionPolicy Merge: a remote secret of several that is gone loses only its keys; Ready stays True on the rest', async () => {
    const { h } = setup();
    plantTarget(h);
    await h.reconcileStore('SecretStore/ns/fake');
    const both = { data: [{ secretKey: 'password', remoteRef: { key: 'db' } }, { secretKey: 'username', remoteRef: { key: 'user' } }] };
    h.es('app', 'ns', mergeSpec(both, { deletionPolicy: 'Merge' }));
    await h.reconcile('ns/app');
    assert.equal(text(target(h), 'username'), 'admin');
    h.store('fake', 'ns', [{ key: 'db', value: PLANTED }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec({ ...both, refreshInterval: '2m' }, { deletionPolicy: 'Merge' }));
    await h.reconcile('ns/app');
    const t = target(h)!;
    assert.equal(t.data!.username, undefined);
    assert.equal(text(t, 'password'), PLANTED);
    assert.equal(t.data!['app-config'], OTHERS['app-config']);
    assert.equal(t.metadata?.annotations?.['keyferry.io/merged-keys'], 'password');
    assert.equal(h.ready('app', 'ns')!.status, 'True');
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['alias', { versioning: { alias: true } }, /spec\.target\.versioning\.alias: has no meaning with creationPolicy Merge/],
    ['rollout Patch', { versioning: { rollout: 'Patch' } }, /spec\.target\.versioning\.rollout/],
    ['retain', { versioning: { retain: 5 } }, /spec\.target\.versioning\.retain/],
    ['maxAge', { versioning: { maxAge: '24h' } }, /spec\.target\.versioning\.maxAge/],
    ['deletionPolicy Delete', { deletionPolicy: 'Delete' }, /deletionPolicy: Delete cannot go with creationPolicy Merge/],
    ['template labels', { template: { metadata: { labels: { a: 'b' } } } }, /spec\.target\.template\.metadata: creationPolicy Merge writes data keys only/],
  ];
  for (const [what, target_, message] of invalid) {
    it(`refuses ${what} with InvalidSpec before anything is read or written`, async () => {
      const { h } = setup();
      plantTarget(h);
      await h.reconcileStore('SecretStore/ns/fake');
      h.es('app', 'ns', mergeSpec({}, target_));
      assert.deepEqual(await h.reconcile('ns/app'), {}, 'not retried until the spec changes');
      assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
      assert.match(h.ready('app', 'ns')!.message, message);
      assert.deepEqual(h.api.calls.filter((c) => c.includes('app-secret')), []);
    });
  }

  it('the CRD defaults of target.versioning are not refused', async () => {
    const { h } = setup();
    plantTarget(h);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', mergeSpec({}, { versioning: { retain: 2, minRetention: '1h', rollout: 'None', alias: false } }));
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.status, 'True');
  });

  it('deletionPolicy Merge with another creationPolicy is InvalidSpec', async () => {
    const { h } = setup();
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, target: { deletionPolicy: 'Merge' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
    assert.match(h.ready('app', 'ns')!.message, /deletionPolicy: Merge goes with creationPolicy Merge only/);
    assert.deepEqual(secretWrites(h), []);
  });

  it('does not make a versioned ExternalSecret of the same target.name a rival (TargetConflict)', async () => {
    const { h } = setup();
    plantTarget(h);
    await ready(h);
    h.es('versioned', 'ns', { secretStoreRef: { name: 'fake' }, target: { name: 'app-secret' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    await h.reconcile('ns/versioned');
    assert.equal(h.ready('versioned', 'ns')!.status, 'True', h.ready('versioned', 'ns')!.message);
    assert.match(h.get('versioned', 'ns').status!.currentSecretName!, /^app-secret-[0-9a-f]{10}$/);
  });
});

describe('creationPolicy None', () => {
  const noneSpec = (extra: Record<string, unknown> = {}) => ({
    secretStoreRef: { name: 'fake' }, refreshInterval: '1m', target: { creationPolicy: 'None' },
    data: [{ secretKey: 'password', remoteRef: { key: 'db' } }], ...extra,
  });

  it('reads and checks the remote data, writes no Secret, and says so without a Warning or a sync error', async () => {
    const { h, lines } = setup();
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', noneSpec());
    const result = await h.reconcile('ns/app');
    assert.ok(result.requeueAfter !== undefined && result.requeueAfter <= 60_000, 'refreshed on its interval');
    const r = h.ready('app', 'ns')!;
    assert.equal(r.status, 'False', 'no Secret exists to be Ready on');
    assert.equal(r.reason, 'CreationPolicyNone');
    assert.match(r.message, /creationPolicy None: the remote data was read \(1 key\) and makes a valid Secret; no Secret is written/);
    assert.deepEqual(secretWrites(h), []);
    assert.equal(h.get('app', 'ns').status?.currentSecretName, undefined);
    assert.ok(!h.api.events.some((e) => e.type === 'Warning'));
    // The shipped alerts read sync errors and reason Stale: neither moves for a healthy None.
    const scrape = (await h.registry.metrics()) + h.metrics.externalSecrets.render();
    assert.doesNotMatch(scrape, /externalsecret_sync_calls_error\{[^}]*name="app"[^}]*\} [1-9]/);
    assert.match(scrape, /^keyferry_externalsecret_ready_reason\{name="app",namespace="ns",status="False",reason="CreationPolicyNone"\} 1$/m);
    await assertNoValues(h, lines, PLANTED);

    // Not due: nothing is read again.
    const calls = h.api.calls.length;
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'CreationPolicyNone');
    assert.equal(h.api.calls.length, calls);
  });

  it('a missing remote key or data that cannot make a Secret shows as the usual failure', async () => {
    const { h } = setup();
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', noneSpec({ data: [{ secretKey: 'password', remoteRef: { key: 'nope' } }] }));
    await attempt(h);
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSyncedError');
    h.es('app', 'ns', noneSpec({ data: [{ secretKey: 'password', remoteRef: { key: 'db', decodingStrategy: 'Base64' } }] }));
    await attempt(h);
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidRemoteData');
    assert.deepEqual(secretWrites(h), []);
  });

  it('refuses versioning settings and deletionPolicy Merge (InvalidSpec)', async () => {
    const { h } = setup();
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', noneSpec({ target: { creationPolicy: 'None', versioning: { alias: true } } }));
    await h.reconcile('ns/app');
    assert.match(h.ready('app', 'ns')!.message, /versioning\.alias: has no meaning with creationPolicy None/);
    h.es('app', 'ns', noneSpec({ target: { creationPolicy: 'None', deletionPolicy: 'Merge' } }));
    await h.reconcile('ns/app');
    assert.match(h.ready('app', 'ns')!.message, /deletionPolicy: Merge goes with creationPolicy Merge only/);
  });
});
