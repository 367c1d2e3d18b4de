// Issue: a transient bad remote value (not the encoding its decodingStrategy names, or
// missing a key a template uses) was taken for a spec error and never retried.
import assert from 'node:assert/strict';
import { createHarness } from './harness.js';

const SECOND = 1000;
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function running(spec: Record<string, unknown>, value: string) {
  const h = createHarness();
  h.store('fake', 'ns', [{ key: 'db', value }]);
  h.controller.start();
  await h.settle();
  h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: '2s', ...spec });
  await h.runUntil(() => h.ready('app', 'ns')?.status === 'True', 10 * SECOND);
  assert.equal(h.ready('app', 'ns')?.status, 'True');
  return h;
}

const setRemote = async (h: ReturnType<typeof createHarness>, value: string) => {
  h.store('fake', 'ns', [{ key: 'db', value }]);
  await h.settle();
};

describe('remote data that cannot make a Secret', () => {
  const cases: Array<[string, Record<string, unknown>, string, string, string]> = [
    ['a value that is not base64 for decodingStrategy Base64',
      { data: [{ secretKey: 'pw', remoteRef: { key: 'db', decodingStrategy: 'Base64' } }] }, b64('one'), 'not base64 !!', b64('two')],
    ['a JSON value that lost a key the template uses',
      { dataFrom: [{ extract: { key: 'db' } }], target: { template: { data: { dsn: 'user={{ .user }}' } } } }, '{"user":"one"}', '{"other":"x"}', '{"user":"two"}'],
    ['a property read from a value that stopped being JSON',
      { data: [{ secretKey: 'pw', remoteRef: { key: 'db', property: 'pw' } }] }, '{"pw":"one"}', 'plain text', '{"pw":"two"}'],
  ];
  for (const [what, spec, good, bad, fixed] of cases) {
    it(`${what}: InvalidRemoteData while the current version serves, retried, back within one interval of the fix`, async () => {
      const h = await running(spec, good);
      const current = h.get('app', 'ns').status!.currentSecretName!;
      const counts = h.countReconciles();
      const writesBefore = h.api.writes.length;
      await setRemote(h, bad);
      await h.runFor(45 * SECOND);
      const ready = h.ready('app', 'ns')!;
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, 'InvalidRemoteData');
      assert.match(ready.message, new RegExp(`the last good version "${current}" keeps serving`));
      assert.ok(!ready.message.includes(bad), 'the bad value is not in the message');
      assert.equal(h.get('app', 'ns').status!.currentSecretName, current);
      assert.ok(h.api.secrets.has(`ns/${current}`));
      assert.ok(!h.api.writes.slice(writesBefore).some((w) => w.startsWith('delete') || w.startsWith('create')), 'nothing written or deleted');
      // Retried on the 2 s schedule, never faster than a second.
      const tries = counts.get('ns/app') ?? 0;
      assert.ok(tries >= 10 && tries <= 46, `retried ${tries} times in 45 s`);
      await setRemote(h, fixed);
      const took = await h.runUntil(() => h.ready('app', 'ns')?.status === 'True', 30 * SECOND);
      assert.ok(took <= 2.5 * SECOND, `back ${took} ms after the fix`);
      assert.notEqual(h.get('app', 'ns').status!.currentSecretName, current);
    });
  }

  it('a template naming a key that no data entry writes is the spec\'s error: InvalidSpec, not retried', async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    h.controller.start();
    await h.settle();
    const counts = h.countReconciles();
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: '2s', data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }], target: { template: { data: { dsn: '{{ .password }}' } } } });
    await h.runFor(60 * SECOND);
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
    assert.match(h.ready('app', 'ns')!.message, /spec\.target\.template\.data/);
    assert.equal(counts.get('ns/app'), 1);
  });
});
