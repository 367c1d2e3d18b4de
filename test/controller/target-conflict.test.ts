// Issue: a second ExternalSecret with the same target.name adopted the first one's Secret,
// stayed Ready after the first pruned it, and on a real cluster lost its current Secret to
// garbage collection when the first was deleted.
import assert from 'node:assert/strict';
import { createHarness } from './harness.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

async function twoOnOneTarget(secondKey: string) {
  const h = createHarness();
  h.store('fake', 'ns', [{ key: 'db', value: 'one' }, { key: 'other', value: 'another' }]);
  h.controller.start();
  await h.settle();
  const spec = (key: string) => ({ secretStoreRef: { name: 'fake' }, refreshInterval: '10s', target: { name: 'shared', versioning: { retain: 0, minRetention: '0s' } }, data: [{ secretKey: 'pw', remoteRef: { key } }] });
  h.es('first', 'ns', spec('db'));
  await h.runUntil(() => h.ready('first', 'ns')?.status === 'True', 10 * SECOND);
  const createsBefore = h.api.writes.filter((w) => w.startsWith('create')).length;
  h.es('second', 'ns', spec(secondKey));
  await h.runFor(30 * SECOND);
  return { h, createsBefore, spec };
}

const ownersOfSecrets = (h: ReturnType<typeof createHarness>) => [...h.api.secrets.values()].map((s) => s.metadata!.labels!['keyferry.io/external-secret']);

describe('two ExternalSecrets with one target.name', () => {
  for (const [what, secondKey] of [['the same content', 'db'], ['different content', 'other']] as const) {
    it(`with ${what}: the second gets TargetConflict and writes and deletes nothing; the first keeps working`, async () => {
      const { h, createsBefore } = await twoOnOneTarget(secondKey);
      const ready = h.ready('second', 'ns')!;
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, 'TargetConflict');
      assert.match(ready.message, /"shared" is written by ExternalSecret "first"/);
      assert.equal(h.get('second', 'ns').status!.currentSecretName, undefined, 'never points at the first one\'s Secret');
      assert.equal(h.api.writes.filter((w) => w.startsWith('create')).length, createsBefore);
      assert.ok(!h.api.writes.some((w) => w.startsWith('delete')));
      assert.deepEqual(ownersOfSecrets(h), ['first']);

      // The first rotates and prunes as usual; the second still stays out.
      const before = h.get('first', 'ns').status!.currentSecretName;
      h.store('fake', 'ns', [{ key: 'db', value: 'two' }, { key: 'other', value: 'another' }]);
      await h.runFor(30 * SECOND);
      assert.equal(h.ready('first', 'ns')!.status, 'True');
      assert.notEqual(h.get('first', 'ns').status!.currentSecretName, before);
      assert.equal(h.ready('second', 'ns')!.reason, 'TargetConflict');
      assert.deepEqual(ownersOfSecrets(h), ['first']);
    });
  }

  it('once the first is gone, the second takes the target over within its backoff', async () => {
    const { h } = await twoOnOneTarget('other');
    // Deleting the first: its versions go with it (owner references), as the garbage collector would do.
    h.caches.externalSecrets.remove('ns/first');
    for (const key of [...h.api.secrets.keys()]) h.api.secrets.delete(key);
    await h.settle();
    const took = await h.runUntil(() => h.ready('second', 'ns')?.status === 'True', 10 * MINUTE, SECOND);
    assert.ok(took <= 5 * MINUTE + 10 * SECOND, `took ${took} ms`);
    assert.deepEqual(ownersOfSecrets(h), ['second']);
  });

  it('the ExternalSecret already holding versions of the target keeps it, even when a rival is older', async () => {
    const { h, spec } = await twoOnOneTarget('other');
    // An older ExternalSecret moves onto the target: it does not take it from the one writing it.
    h.caches.externalSecrets.set({ apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: 'elder', namespace: 'ns', uid: 'u-elder', generation: 1, creationTimestamp: '2000-01-01T00:00:00Z' }, spec: spec('other') } as never);
    await h.runFor(30 * SECOND);
    assert.equal(h.ready('elder', 'ns')!.reason, 'TargetConflict');
    assert.equal(h.ready('first', 'ns')!.status, 'True');
  });
});
