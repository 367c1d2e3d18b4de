// target.template.templateFrom through the reconciler, as External Secrets Operator applies it:
// ConfigMap and Secret keys (Values or KeysAndValues) and literals, into data, labels or
// annotations, in order, under template.data and metadata; read by name in the ExternalSecret's
// own namespace at each sync, so a change is written at the next refresh. A missing or broken
// source is retried while the last good version serves; a broken literal is InvalidSpec. No
// value reaches a status, an Event or a log line.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createHarness } from './harness.js';
import { sharedTemplateEngine } from '../../src/templates/go-template-engine.js';
import type { SecretObject } from '../../src/kube/kube-object.js';

const PLANTED = 'planted-template-from-value-7c2f';
const SOURCE_SECRET = 'planted-source-secret-text-31a9';

async function harness() {
  const lines: string[] = [];
  const h = createHarness({ logger: pino({ level: 'debug' }, { write: (line: string) => { lines.push(line); } }) });
  h.store('fake', 'ns', [{ key: 'db', value: JSON.stringify({ user: 'admin', password: PLANTED }) }]);
  await h.reconcileStore('SecretStore/ns/fake');
  return Object.assign(h, { lines });
}
type H = Awaited<ReturnType<typeof harness>>;

function configMap(h: H, name: string, data: Record<string, string>, namespace = 'ns') {
  h.api.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data } as never);
}

function secretSource(h: H, name: string, data: Record<string, string>) {
  h.api.secrets.set(`ns/${name}`, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'ns' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } as SecretObject);
}

const data = [{ secretKey: 'user', remoteRef: { key: 'db', property: 'user' } }, { secretKey: 'password', remoteRef: { key: 'db', property: 'password' } }];

async function sync(h: H, template: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: '10s', data, target: { template }, ...extra });
  await h.reconcile('ns/app').catch(() => undefined);
  return h.ready('app', 'ns')!;
}

function current(h: H) {
  const name = h.get('app', 'ns').status!.currentSecretName!;
  const secret = h.api.secrets.get(`ns/${name}`)!;
  return {
    name,
    data: Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
    labels: secret.metadata!.labels!,
    annotations: secret.metadata!.annotations!,
  };
}

function assertNoValueLeaked(h: H) {
  const seen = JSON.stringify([h.get('app', 'ns').status, h.api.events, h.lines]);
  assert.ok(!seen.includes(PLANTED) && !seen.includes(SOURCE_SECRET), 'no value in status, Events or logs');
}

describe('target.template.templateFrom', function () {
  this.timeout(60_000);
  before(() => sharedTemplateEngine().start());

  it('renders ConfigMap and Secret keys (Values, KeysAndValues) and literals into data, labels and annotations, in order, under template.data and metadata', async () => {
    const h = await harness();
    configMap(h, 'tpl', {
      'config.yaml': 'user: {{ .user }}\npassword: {{ .password }}\n',
      pair: 'dsn: "postgres://{{ .user }}@db"\nport: "5432"\n',
      label: 'team: "{{ .user | upper }}"',
    });
    secretSource(h, 'tpl-secret', { 'token.txt': `${SOURCE_SECRET}-{{ .user }}` });
    const ready = await sync(h, {
      metadata: { labels: { team: 'fixed' }, annotations: { note: 'given' } },
      data: { port: '{{ .user }}-port' },
      templateFrom: [
        { configMap: { name: 'tpl', items: [{ key: 'config.yaml' }, { key: 'pair', templateAs: 'KeysAndValues' }] } },
        { secret: { name: 'tpl-secret', items: [{ key: 'token.txt', templateAs: 'Values' }] } },
        { configMap: { name: 'tpl', items: [{ key: 'label', templateAs: 'KeysAndValues' }] }, target: 'Labels' },
        { literal: 'owner: "{{ .user }}"\nnote: "from-literal"', target: 'Annotations' },
        { literal: 'extra: "{{ .user | b64enc }}"' },
      ],
    });
    assert.equal(ready.reason, 'SecretSynced', ready.message);
    const c = current(h);
    assert.deepEqual(c.data, {
      'config.yaml': `user: admin\npassword: ${PLANTED}\n`,
      dsn: 'postgres://admin@db',
      port: 'admin-port',
      'token.txt': `${SOURCE_SECRET}-admin`,
      extra: Buffer.from('admin').toString('base64'),
    });
    assert.equal(c.labels.team, 'fixed', 'metadata.labels override templateFrom labels');
    assert.equal(c.annotations.owner, 'admin');
    assert.equal(c.annotations.note, 'given', 'metadata.annotations override templateFrom annotations');
    assert.deepEqual(h.api.calls.filter((x) => x.startsWith('get configmap') || x === 'get ns/tpl-secret'), ['get configmap ns/tpl', 'get ns/tpl-secret', 'get configmap ns/tpl']);
    assertNoValueLeaked(h);
  });

  it('mergePolicy Merge writes the fetched keys under what templateFrom renders', async () => {
    const h = await harness();
    configMap(h, 'tpl', { user: 'u={{ .user }}' });
    const ready = await sync(h, { mergePolicy: 'Merge', templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'user' }] } }] });
    assert.equal(ready.reason, 'SecretSynced', ready.message);
    assert.deepEqual(current(h).data, { user: 'u=admin', password: PLANTED });
  });

  it('re-reads the ConfigMap at each refresh: a changed template makes a new version', async () => {
    const h = await harness();
    configMap(h, 'tpl', { conf: 'v1 {{ .user }}' });
    assert.equal((await sync(h, { templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'conf' }] } }] })).reason, 'SecretSynced');
    const first = current(h);
    assert.equal(first.data.conf, 'v1 admin');
    configMap(h, 'tpl', { conf: 'v2 {{ .user }}' });
    h.timers.advance(25_000);
    await h.reconcile('ns/app');
    const second = current(h);
    assert.notEqual(second.name, first.name);
    assert.equal(second.data.conf, 'v2 admin');
  });

  it('only the ExternalSecret\'s own namespace: a ConfigMap of that name elsewhere is not found', async () => {
    const h = await harness();
    configMap(h, 'tpl', { conf: '{{ .user }}' }, 'other');
    const ready = await sync(h, { templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'conf' }] } }] });
    assert.equal(ready.reason, 'SecretSyncedError');
    assert.equal(ready.message, 'spec.target.template.templateFrom[0].configMap: ConfigMap "tpl" not found in the ExternalSecret\'s namespace');
    assert.ok(!h.api.calls.some((c) => c.includes('other/')), 'nothing read in another namespace');
    assert.equal(h.api.secrets.size, 0);
  });

  it('a missing key, or a template that fails in a source, is Stale (retried) and the last good version serves, untouched', async () => {
    const h = await harness();
    configMap(h, 'tpl', { conf: '{{ .user }}', broken: '{{ .user', notmap: '- a\n- b', number: 'n: 1', missing: '{{ .nokey }}' });
    secretSource(h, 'tpl-secret', { t: SOURCE_SECRET });
    assert.equal((await sync(h, { templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'conf' }] } }] })).reason, 'SecretSynced');
    const serving = current(h).name;
    const secretsBefore = [...h.api.secrets.keys()].sort();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ configMap: { name: 'tpl', items: [{ key: 'nope' }] } }, 'spec.target.template.templateFrom[0].configMap.items[0]: ConfigMap "tpl" has no key "nope"'],
      [{ configMap: { name: 'tpl', items: [{ key: 'broken' }] } }, 'spec.target.template.templateFrom[0].configMap.items[0] (ConfigMap "tpl" key "broken"): template: template:1: unclosed action'],
      [{ configMap: { name: 'tpl', items: [{ key: 'missing' }] } }, 'spec.target.template.templateFrom[0].configMap.items[0] (ConfigMap "tpl" key "missing"): refers to "nokey", which is not among the fetched keys'],
      [{ configMap: { name: 'tpl', items: [{ key: 'notmap', templateAs: 'KeysAndValues' }] } }, 'spec.target.template.templateFrom[0].configMap.items[0]: the rendered text is not a YAML map (KeysAndValues needs a map of strings)'],
      [{ configMap: { name: 'tpl', items: [{ key: 'number', templateAs: 'KeysAndValues' }] } }, 'spec.target.template.templateFrom[0].configMap.items[0]: the value of "n" is not a string (KeysAndValues needs a map of strings; quote it)'],
      [{ secret: { name: 'tpl-secret', items: [{ key: 't', templateAs: 'KeysAndValues' }] } }, 'spec.target.template.templateFrom[0].secret.items[0]: the rendered text is not a YAML map (KeysAndValues needs a map of strings)'],
      [{ secret: { name: 'gone', items: [{ key: 't' }] } }, 'spec.target.template.templateFrom[0].secret: Secret "gone" not found in the ExternalSecret\'s namespace'],
    ];
    for (const [entry, message] of cases) {
      const ready = await sync(h, { templateFrom: [entry] });
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, 'Stale', message);
      assert.equal(ready.message, `${message}; the last good version "${serving}" keeps serving`);
      assert.equal(h.get('app', 'ns').status!.currentSecretName, serving);
      assert.deepEqual([...h.api.secrets.keys()].sort(), secretsBefore, 'nothing written or deleted');
    }
    assertNoValueLeaked(h);
  });

  it('a source created after the failure is used at the retry', async () => {
    const h = await harness();
    const ready = await sync(h, { templateFrom: [{ configMap: { name: 'later', items: [{ key: 'conf' }] } }] });
    assert.equal(ready.reason, 'SecretSyncedError');
    configMap(h, 'later', { conf: 'ok {{ .user }}' });
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced');
    assert.equal(current(h).data.conf, 'ok admin');
  });

  it('a literal that does not parse or does not render a map of strings is InvalidSpec', async () => {
    const h = await harness();
    let ready = await sync(h, { templateFrom: [{ literal: '{{ .user' }] });
    assert.equal(ready.reason, 'InvalidSpec');
    assert.equal(ready.message, 'spec.target.template.templateFrom[0].literal: template: template:1: unclosed action');
    // With dataFrom the keys depend on the store, but a literal that does not parse never renders.
    ready = await sync(h, { templateFrom: [{ literal: '{{ .user' }] }, { dataFrom: [{ extract: { key: 'db' } }] });
    assert.equal(ready.reason, 'InvalidSpec');
    ready = await sync(h, { templateFrom: [{ literal: '{{ .password }}' }] });
    assert.equal(ready.reason, 'InvalidSpec');
    assert.equal(ready.message, 'spec.target.template.templateFrom[0].literal: the rendered text is not a YAML map (KeysAndValues needs a map of strings)');
    assertNoValueLeaked(h);
  });
});
