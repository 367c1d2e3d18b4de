// A Secret at a version's name is used only if it is that version; Ready=True only when the
// current Secret exists and is keyferry's, whatever the API server answered.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RetryLater } from '../../src/controller/external-secret-reconciler.js';
import { buildVersionedSecret, contentHash, forgetData } from '../../src/versioning/index.js';
import type { SecretObject } from '../../src/kube/kube-object.js';
import { TEST_VERSION_KEY, createHarness } from './harness.js';

const ATTACKER = 'ATTACKER-CONTROLLED';

async function harness() {
  const h = createHarness();
  h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
  await h.reconcileStore('SecretStore/ns/fake');
  h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
  return h;
}

/** The version keyferry will write for `pw=<value>` (the test knows the key; an attacker would not). */
const versionFor = (value: string) => buildVersionedSecret({
  namespace: 'ns', externalSecretName: 'app', targetName: 'app', type: 'Opaque', data: { pw: Buffer.from(value) },
  templateLabels: {}, templateAnnotations: {}, remoteVersions: {}, key: TEST_VERSION_KEY,
  owner: undefined,
}).secret;

describe('who holds a version name', () => {
  const squatters: Array<[string, (v: SecretObject) => SecretObject]> = [
    ['a mutable Secret with other data and no labels', (v) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: v.metadata!.name, namespace: 'ns' }, data: { pw: Buffer.from(ATTACKER).toString('base64') } })],
    ['an immutable Secret with keyferry\'s labels and other data', (v) => ({ ...structuredClone(v), data: { pw: Buffer.from(ATTACKER).toString('base64') } })],
    ['a Secret with keyferry\'s labels and the right data, but mutable', (v) => { const s = structuredClone(v); delete (s as { immutable?: boolean }).immutable; return s; }],
    ['the right data and immutable, labelled for another ExternalSecret', (v) => { const s = structuredClone(v); s.metadata!.labels!['keyferry.io/external-secret'] = 'other'; return s; }],
  ];
  for (const [what, make] of squatters) {
    for (const cached of [false, true]) {
      it(`${what}${cached ? ', seen by the managed-Secret cache' : ''}: NameConflict, never adopted, nothing else changes`, async () => {
        const h = await harness();
        const version = versionFor('one') as SecretObject;
        const squat = make(version);
        h.api.secrets.set(`ns/${version.metadata!.name}`, structuredClone(squat));
        if (cached) {
          // As the managed-Secret informer holds it: values dropped, a digest kept.
          const trimmed = structuredClone(squat);
          forgetData(trimmed);
          h.caches.managedSecrets.set(trimmed);
        }
        await assert.rejects(h.reconcile('ns/app'), RetryLater);
        const ready = h.ready('app', 'ns')!;
        assert.equal(ready.status, 'False');
        assert.equal(ready.reason, 'NameConflict');
        assert.match(ready.message, new RegExp(`Secret "${version.metadata!.name}" exists but is not this version`));
        assert.ok(!ready.message.includes(ATTACKER));
        assert.equal(h.get('app', 'ns').status?.currentSecretName, undefined);
        assert.deepEqual(h.api.secrets.get(`ns/${version.metadata!.name}`), squat, 'the squatter is left as it is');
        assert.ok(!h.api.writes.some((w) => w.startsWith('delete')));
        assert.equal(h.api.secrets.size, 1);
      });
    }
  }

  it('a version already serving keeps serving when its next name is squatted', async () => {
    const h = await harness();
    await h.reconcile('ns/app');
    const current = h.get('app', 'ns').status!.currentSecretName!;
    const next = versionFor('two') as SecretObject;
    h.api.secrets.set(`ns/${next.metadata!.name}`, { metadata: { name: next.metadata!.name, namespace: 'ns' }, data: { pw: Buffer.from(ATTACKER).toString('base64') } });
    h.store('fake', 'ns', [{ key: 'db', value: 'two' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    await assert.rejects(h.reconcile('ns/app'), RetryLater);
    assert.equal(h.ready('app', 'ns')!.reason, 'NameConflict');
    assert.match(h.ready('app', 'ns')!.message, new RegExp(`the last good version "${current}" keeps serving`));
    assert.equal(h.get('app', 'ns').status!.currentSecretName, current);
    assert.ok(h.api.secrets.has(`ns/${current}`));
  });

  it('its own version found after a crash (409, then read back) is used, with no duplicate', async () => {
    const h = await harness();
    const version = versionFor('one') as SecretObject;
    h.api.secrets.set(`ns/${version.metadata!.name}`, { ...structuredClone(version), metadata: { ...structuredClone(version.metadata!), creationTimestamp: new Date(h.timers.now()).toISOString() } });
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.status, 'True');
    assert.equal(h.get('app', 'ns').status!.currentSecretName, version.metadata!.name);
    assert.equal(h.api.secrets.size, 1);
    assert.equal(h.api.events.filter((e) => e.reason === 'VersionCreated').length, 0, 'nothing was created, so no Event says so');
  });

  it('409 on create, then 404 on the read: not Ready, requeued at once, then with backoff if it repeats', async () => {
    const h = await harness();
    const create = h.api.createSecret.bind(h.api);
    let races = 2;
    h.api.createSecret = async (s) => (races-- > 0 ? undefined : create(s));
    assert.deepEqual(await h.reconcile('ns/app'), { requeueAfter: 0 });
    assert.notEqual(h.ready('app', 'ns')?.status, 'True');
    assert.equal(h.get('app', 'ns').status?.currentSecretName, undefined);
    await assert.rejects(h.reconcile('ns/app'), RetryLater);
    assert.notEqual(h.ready('app', 'ns')?.status, 'True');
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.status, 'True');
    assert.ok(h.api.secrets.has(`ns/${h.get('app', 'ns').status!.currentSecretName}`));
  });

  it('status.versions[].hash is the HMAC in the name, not a plain hash of the data', async () => {
    const h = await harness();
    await h.reconcile('ns/app');
    const [v] = h.get('app', 'ns').status!.versions as Array<{ name: string; hash: string }>;
    const content = { type: 'Opaque', data: { pw: Buffer.from('one') }, labels: {}, annotations: {} };
    assert.equal(v!.hash, contentHash(content, TEST_VERSION_KEY));
    assert.equal(v!.name, `app-${v!.hash}`);
    const plain = createHash('sha256').update(JSON.stringify(['keyferry.io/v1', 'Opaque', [['pw', Buffer.from('one').toString('base64')]], [], []])).digest('hex').slice(0, 10);
    assert.notEqual(v!.hash, plain);
  });
});
