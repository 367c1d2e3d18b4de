// target.template.metadata through the reconciler: label and annotation values are Go templates
// over the fetched keys, as External Secrets Operator's engine v2 renders them (keys as given).
// The rendered metadata names the version exactly as the same metadata written literally would,
// an invalid rendered label is the data's error with nothing written, and no value leaks.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createHarness } from './harness.js';
import { sharedTemplateEngine } from '../../src/templates/go-template-engine.js';

const PLANTED = 'planted-metadata-value-5e1d';

async function harness(env = 'Staging_EU') {
  const lines: string[] = [];
  const h = createHarness({ logger: pino({ level: 'debug' }, { write: (line: string) => { lines.push(line); } }) });
  const setStore = async (envValue: string, password = PLANTED) => {
    h.store('fake', 'ns', [{ key: 'db', value: JSON.stringify({ env: envValue, password, owner: 'team-a' }) }]);
    await h.reconcileStore('SecretStore/ns/fake');
  };
  await setStore(env);
  return Object.assign(h, { lines, setStore });
}
type H = Awaited<ReturnType<typeof harness>>;

const spec = (template: Record<string, unknown>, dataFrom = false) => ({
  secretStoreRef: { name: 'fake' },
  ...(dataFrom
    ? { dataFrom: [{ extract: { key: 'db' } }] }
    : { data: ['env', 'password', 'owner'].map((p) => ({ secretKey: p, remoteRef: { key: 'db', property: p } })) }),
  target: { template },
});

function current(h: H, name = 'app') {
  const secret = h.api.secrets.get(`ns/${h.get(name, 'ns').status!.currentSecretName!}`)!;
  return { name: secret.metadata!.name!, labels: secret.metadata!.labels!, annotations: secret.metadata!.annotations! };
}

async function assertNoValueLeaked(h: H) {
  const seen = JSON.stringify([h.get('app', 'ns').status, h.api.events, h.lines, await h.registry.metrics()]);
  assert.ok(!seen.includes(PLANTED), 'no value in status, Events, logs or metrics');
}

describe('target.template.metadata rendered as ESO engine v2 renders it', function () {
  // The first render starts the engine (a WebAssembly module in a worker thread).
  this.timeout(60_000);
  before(() => sharedTemplateEngine().start());

  it('renders label and annotation values over the fetched keys (through the engine and the {{ .key }} fast path), keys as given', async () => {
    const h = await harness();
    h.es('app', 'ns', spec({
      data: { password: '{{ .password }}' },
      metadata: {
        labels: { env: '{{ .env | lower | replace "_" "-" }}', team: 'platform', owner: '{{ .owner }}' },
        annotations: { 'example.com/digest': '{{ .password | sha256sum | trunc 12 }}', 'example.com/note': 'env {{ .env }}, by hand' },
      },
    }));
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced', h.ready('app', 'ns')!.message);
    const c = current(h);
    assert.equal(c.labels.env, 'staging-eu');
    assert.equal(c.labels.team, 'platform');
    assert.equal(c.labels.owner, 'team-a');
    assert.equal(c.annotations['example.com/digest']!.length, 12);
    assert.equal(c.annotations['example.com/note'], 'env Staging_EU, by hand');
    // keyferry's own labels stay beside the rendered ones.
    assert.equal(c.labels['keyferry.io/external-secret'], 'app');
    await assertNoValueLeaked(h);
  });

  it('names the version as the same metadata written literally does; a changed rendered value makes a new version', async () => {
    const h = await harness();
    h.es('app', 'ns', spec({ data: { password: '{{ .password }}' }, metadata: { labels: { env: '{{ .env | lower | replace "_" "-" }}' }, annotations: { by: '{{ .owner }}' } } }));
    h.es('literal', 'ns', spec({ data: { password: '{{ .password }}' }, metadata: { labels: { env: 'staging-eu' }, annotations: { by: 'team-a' } } }));
    await h.reconcile('ns/app');
    await h.reconcile('ns/literal');
    const rendered = current(h);
    const literal = current(h, 'literal');
    // Same content hash: the name's suffix (after the target name, the ExternalSecret's) is the same.
    assert.equal(rendered.name.slice('app-'.length), literal.name.slice('literal-'.length));

    await h.setStore('Prod_EU');
    h.timers.advance(25_000);
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced', h.ready('app', 'ns')!.message);
    const next = current(h);
    assert.notEqual(next.name, rendered.name);
    assert.equal(next.labels.env, 'prod-eu');
    assert.ok(h.api.secrets.has(`ns/${rendered.name}`), 'the previous version is kept');
  });

  it('a rendered label value the API server would refuse is InvalidRemoteData: nothing written, the current version kept, no value quoted', async () => {
    const h = await harness();
    h.es('app', 'ns', spec({ data: { password: '{{ .password }}' }, metadata: { labels: { env: '{{ .env }}' } } }));
    await h.reconcile('ns/app');
    const good = current(h).name;
    const secrets = h.api.secrets.size;

    await h.setStore(`${PLANTED} has spaces`);
    h.timers.advance(25_000);
    await h.reconcile('ns/app');
    const ready = h.ready('app', 'ns')!;
    assert.equal(ready.reason, 'InvalidRemoteData', ready.message);
    assert.match(ready.message, /label "env": value must be at most 63/);
    assert.equal(h.get('app', 'ns').status!.currentSecretName, good);
    assert.equal(h.api.secrets.size, secrets, 'no Secret written');
    await assertNoValueLeaked(h);

    // Over 63 characters, the same.
    await h.setStore('x'.repeat(64));
    h.timers.advance(25_000);
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidRemoteData');
    assert.equal(h.api.secrets.size, secrets);
  });

  it('rendered annotations over 256 KiB in all are InvalidRemoteData, naming the limit and no value', async () => {
    const h = await harness();
    h.es('app', 'ns', spec({ data: { password: '{{ .password }}' }, metadata: { annotations: { big: '{{ .password | repeat 10000 }}' } } }));
    await h.reconcile('ns/app');
    const ready = h.ready('app', 'ns')!;
    assert.equal(ready.reason, 'InvalidRemoteData', ready.message);
    assert.match(ready.message, /annotations add up to \d+ bytes, over the API server's limit of 262144/);
    assert.equal(h.api.secrets.size, 0);
    await assertNoValueLeaked(h);
  });

  it('a literal label value the API server would refuse stays the spec\'s error (InvalidSpec)', async () => {
    const h = await harness();
    h.es('app', 'ns', spec({ data: { password: '{{ .password }}' }, metadata: { labels: { env: 'not valid' } } }));
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
    assert.equal(h.api.secrets.size, 0);
  });

  it('template errors name the label or annotation, as data\'s do: a parse error and a missing key are InvalidSpec, a failing function InvalidRemoteData', async () => {
    const h = await harness();
    h.es('app', 'ns', spec({ metadata: { labels: { env: '{{ .env | nosuchfunction }}' } } }));
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
    assert.match(h.ready('app', 'ns')!.message, /^spec\.target\.template\.metadata\.labels\["env"\]: template: env:1: function "nosuchfunction" not defined$/);

    h.es('app', 'ns', spec({ metadata: { annotations: { 'example.com/who': '{{ .nobody }}' } } }));
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
    assert.equal(h.ready('app', 'ns')!.message, 'spec.target.template.metadata.annotations["example.com/who"]: refers to "nobody", which is not among the fetched keys');

    // Through the engine, a missing key is found the same way.
    h.es('app', 'ns', spec({ metadata: { annotations: { who: '{{ .nobody | upper }}' } } }));
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'InvalidSpec');
    assert.match(h.ready('app', 'ns')!.message, /^spec\.target\.template\.metadata\.annotations\["who"\]: refers to "nobody"/);

    h.es('app', 'ns', spec({ metadata: { annotations: { cert: '{{ .password | filterPEM "CERTIFICATE" }}' } } }));
    await h.reconcile('ns/app');
    const ready = h.ready('app', 'ns')!;
    assert.equal(ready.reason, 'InvalidRemoteData', ready.message);
    assert.match(ready.message, /spec\.target\.template\.metadata\.annotations\["cert"\]: .*error calling filterPEM/);
    assert.equal(h.api.secrets.size, 0);
    await assertNoValueLeaked(h);
  });

  it('with no template.data, the fetched keys are written and the metadata still rendered (as ESO)', async () => {
    const h = await harness();
    h.es('app', 'ns', spec({ metadata: { labels: { owner: '{{ .owner }}' } } }, true));
    await h.reconcile('ns/app');
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced', h.ready('app', 'ns')!.message);
    assert.equal(current(h).labels.owner, 'team-a');
    const secret = h.api.secrets.get(`ns/${current(h).name}`)!;
    assert.deepEqual(Object.keys(secret.data!).sort(), ['env', 'owner', 'password']);
  });
});
