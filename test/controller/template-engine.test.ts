// target.template through the reconciler: engine v2 (Go's text/template with ESO's functions)
// renders, v1 is refused with a message saying what to do, and a template's errors land in
// the right condition without quoting a value.
import assert from 'node:assert/strict';
import { createHarness } from './harness.js';
import { sharedTemplateEngine } from '../../src/templates/go-template-engine.js';

const VALUE = 'planted-value-42';

async function withStore() {
  const h = createHarness();
  h.store('fake', 'ns', [
    { key: 'db', value: Buffer.from(VALUE).toString('base64') },
    { key: 'json', value: JSON.stringify({ user: 'app', roles: ['r1', 'r2'] }) },
  ]);
  await h.reconcileStore('SecretStore/ns/fake');
  return h;
}

function secretData(h: Awaited<ReturnType<typeof withStore>>, name: string): Record<string, string> {
  const current = h.get(name, 'ns').status!.currentSecretName!;
  const secret = h.api.secrets.get(`ns/${current}`)!;
  return Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

describe('target.template engines through the reconciler', function () {
  // The first render starts the engine (a WebAssembly module in a worker thread).
  this.timeout(60_000);
  before(() => sharedTemplateEngine().start());

  it('engineVersion v2 (and unset) renders with Go templates and ESO functions', async () => {
    const h = await withStore();
    for (const [name, engineVersion] of [['v2', 'v2'], ['unset', undefined]] as const) {
      h.es(name, 'ns', {
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }, { secretKey: 'cfg', remoteRef: { key: 'json' } }],
        target: {
          template: {
            ...(engineVersion ? { engineVersion } : {}),
            data: {
              password: '{{ .pw | b64dec }}',
              roles: '{{ range $i, $r := (.cfg | fromJson).roles }}{{ if $i }},{{ end }}{{ $r | upper }}{{ end }}',
              user: '{{ (.cfg | fromJson).user | quote }}',
            },
          },
        },
      });
      await h.reconcile(`ns/${name}`);
      assert.equal(h.ready(name, 'ns')!.reason, 'SecretSynced', h.ready(name, 'ns')!.message);
      assert.deepEqual(secretData(h, name), { password: VALUE, roles: 'R1,R2', user: '"app"' });
    }
  });

  it('mergePolicy Merge writes the fetched keys too, under the rendered ones; Replace (the default) only the rendered', async () => {
    const h = await withStore();
    for (const [name, mergePolicy] of [['merge', 'Merge'], ['replace', 'Replace']] as const) {
      h.es(name, 'ns', {
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }, { secretKey: 'user', remoteRef: { key: 'json', property: 'user' } }],
        target: { template: { mergePolicy, data: { pw: '{{ .pw | b64dec }}', dsn: '{{ .user }}@db' } } },
      });
      await h.reconcile(`ns/${name}`);
      assert.equal(h.ready(name, 'ns')!.reason, 'SecretSynced', h.ready(name, 'ns')!.message);
    }
    assert.deepEqual(secretData(h, 'merge'), { dsn: 'app@db', pw: VALUE, user: 'app' });
    assert.deepEqual(secretData(h, 'replace'), { dsn: 'app@db', pw: VALUE });
  });

  it('engineVersion v1 is refused: InvalidSpec saying to use v2, and nothing is written', async () => {
    const h = await withStore();
    h.es('old', 'ns', {
      secretStoreRef: { name: 'fake' },
      data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }],
      target: { template: { engineVersion: 'v1', data: { password: '{{ .pw | toString }}' } } },
    });
    await h.reconcile('ns/old');
    const ready = h.ready('old', 'ns')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'InvalidSpec');
    assert.match(ready.message, /^spec\.target\.template\.engineVersion: v1 is not supported .*use v2/);
    assert.equal(h.api.secrets.size, 0);
  });

  it('a template that does not parse is the spec\'s error, even over dataFrom; a failing function withholds the value', async () => {
    const h = await withStore();
    h.es('bad', 'ns', {
      secretStoreRef: { name: 'fake' },
      dataFrom: [{ extract: { key: 'json' } }],
      target: { template: { data: { x: '{{ .user | nosuchfunction }}' } } },
    });
    await h.reconcile('ns/bad');
    assert.equal(h.ready('bad', 'ns')!.reason, 'InvalidSpec');
    assert.match(h.ready('bad', 'ns')!.message, /^spec\.target\.template\.data\.x: template: x:1: function "nosuchfunction" not defined$/);

    h.es('fn', 'ns', {
      secretStoreRef: { name: 'fake' },
      data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }],
      target: { template: { data: { x: '{{ .pw | b64dec | filterPEM "CERTIFICATE" }}' } } },
    });
    await h.reconcile('ns/fn');
    const ready = h.ready('fn', 'ns')!;
    assert.equal(ready.reason, 'InvalidRemoteData');
    assert.match(ready.message, /spec\.target\.template\.data\.x: .*error calling filterPEM/);
    assert.doesNotMatch(ready.message, new RegExp(VALUE));
  });
});
