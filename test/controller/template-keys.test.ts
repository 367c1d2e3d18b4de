// Template placeholders resolve only keys that were fetched: names that a plain object
// inherits (`constructor`, `__proto__`, `toString`, `hasOwnProperty`) are unknown keys like
// any other, never a value, a type error or a hot retry.
import assert from 'node:assert/strict';
import { renderTemplate } from '../../src/controller/template.js';
import { isSpecError } from '../../src/controller/spec-error.js';
import { createHarness } from './harness.js';

const SECOND = 1000;
const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

async function started() {
  const h = createHarness();
  h.store('fake', 'ns', [{ key: 'db', value: 'planted-db-value' }, { key: 'json', value: '{"user":"planted-user-value"}' }]);
  h.controller.start();
  await h.settle();
  return h;
}

describe('template placeholders naming what a plain object inherits', () => {
  for (const name of INHERITED) {
    it(`{{ .${name} }} with data entries only is the spec's error: InvalidSpec naming the field, reconciled once in a minute`, async () => {
      const h = await started();
      const counts = h.countReconciles();
      h.es('app', 'ns', {
        secretStoreRef: { name: 'fake' }, refreshInterval: '2s',
        data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }],
        target: { template: { data: { dsn: `x={{ .${name} }}` } } },
      });
      await h.runFor(60 * SECOND);
      const ready = h.ready('app', 'ns')!;
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, 'InvalidSpec');
      assert.equal(ready.message, `spec.target.template.data.dsn: refers to "${name}", which is not among the fetched keys`);
      assert.equal(counts.get('ns/app'), 1, 'waits for a spec change');
      assert.equal(h.api.secrets.size, 0);
      await h.controller.stop();
    });

    it(`{{ .${name} }} over dataFrom is the remote data's error: InvalidRemoteData, retried no faster than once a second`, async () => {
      const h = await started();
      const counts = h.countReconciles();
      h.es('app', 'ns', {
        secretStoreRef: { name: 'fake' }, refreshInterval: '2s',
        dataFrom: [{ extract: { key: 'json' } }],
        target: { template: { data: { dsn: `{{ .user }}/{{ .${name} }}` } } },
      });
      await h.runFor(60 * SECOND);
      const ready = h.ready('app', 'ns')!;
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, 'InvalidRemoteData');
      assert.match(ready.message, new RegExp(`^spec\\.target\\.template\\.data\\.dsn: refers to "${name}", which is not among the fetched keys \\(with the data the store returned\\)`));
      assert.doesNotMatch(ready.message, /TypeError|Buffer|planted/);
      const tries = counts.get('ns/app') ?? 0;
      assert.ok(tries >= 2 && tries <= 61, `retried ${tries} times in 60 s`);
      assert.equal(h.api.secrets.size, 0);
      await h.controller.stop();
    });
  }

  it('a fetched key named like an inherited one is resolved as that key', async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'json', value: '{"constructor":"c","toString":"t","hasOwnProperty":"h"}' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    h.es('app', 'ns', {
      secretStoreRef: { name: 'fake' },
      dataFrom: [{ extract: { key: 'json' } }],
      target: { template: { data: { all: '{{ .constructor }}-{{ .toString }}-{{ .hasOwnProperty }}' } } },
    });
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced');
    const secret = h.api.secrets.get(`ns/${h.get('app', 'ns').status!.currentSecretName}`)!;
    assert.deepEqual(Object.keys(secret.data!), ['all']);
    assert.equal(Buffer.from(secret.data!.all!, 'base64').toString(), 'c-t-h');
  });

  it('renderTemplate reads only own keys, even of a map with a prototype', async () => {
    const spec = (name: string) => ({ secretStoreRef: { name: 's' }, target: { template: { data: { k: `{{ .${name} }}` } } } });
    const fetched: Record<string, Buffer> = { pw: Buffer.from('p') };
    // `{{ .key }}` alone needs no engine.
    const engine = () => { throw new Error('the engine is not needed for {{ .key }}'); };
    for (const name of INHERITED) {
      await assert.rejects(renderTemplate(spec(name), fetched, engine), (e: unknown) => isSpecError(e) && (e as Error).message.includes(`"${name}"`), name);
    }
    assert.equal((await renderTemplate(spec('pw'), fetched, engine)).data.k!.toString(), 'p');
    // Own keys with those names (fromEntries defines them, `__proto__` included) are values like any other.
    const own = Object.fromEntries(INHERITED.map((name) => [name, Buffer.from(`v-${name}`)])) as Record<string, Buffer>;
    for (const name of INHERITED) assert.equal((await renderTemplate(spec(name), own, engine)).data.k!.toString(), `v-${name}`);
  });
});
