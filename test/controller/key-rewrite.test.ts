// How dataFrom's remote names become Secret keys through the reconciler, as External Secrets
// Operator does it: rewrite[].transform (a Go template over .value, the key) alongside regexp,
// and conversionStrategy (Default, Unicode) when a source has no rewrite. A template's errors
// are InvalidSpec, remote names that cannot become keys are InvalidRemoteData, the last good
// version keeps serving, and no value reaches a status, an Event or a log line.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createHarness } from './harness.js';
import { sharedTemplateEngine } from '../../src/templates/go-template-engine.js';
import { DirectFetcher } from '../../src/fetch/direct-fetcher.js';

const PLANTED = 'planted-rewrite-value-9d3e';

function logged() {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => { lines.push(line); } }) };
}

/** Counts the provider calls the reconciler makes. */
class CountingFetcher extends DirectFetcher {
  calls = 0;
  override fetch(...args: Parameters<DirectFetcher['fetch']>) {
    this.calls++;
    return super.fetch(...args);
  }
  override find(...args: Parameters<DirectFetcher['find']>) {
    this.calls++;
    return super.find(...args);
  }
}

async function harness(data: Array<{ key: string; value: string }>) {
  const log = logged();
  const fetcher = new CountingFetcher();
  const h = createHarness({ logger: log.logger, fetcher });
  h.store('fake', 'ns', data);
  await h.reconcileStore('SecretStore/ns/fake');
  return Object.assign(h, { lines: log.lines, fetcher });
}
type H = Awaited<ReturnType<typeof harness>>;

async function sync(h: H, spec: Record<string, unknown>, name = 'app') {
  h.es(name, 'ns', { secretStoreRef: { name: 'fake' }, ...spec });
  await h.reconcile(`ns/${name}`).catch(() => undefined);
  return h.ready(name, 'ns')!;
}

function secretData(h: H, name = 'app'): Record<string, string> {
  const current = h.get(name, 'ns').status!.currentSecretName!;
  const secret = h.api.secrets.get(`ns/${current}`)!;
  return Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

function assertNoValueLeaked(h: H) {
  const seen = JSON.stringify([h.get('app', 'ns').status, h.api.events, h.lines]);
  assert.ok(!seen.includes(PLANTED), 'no value in status, Events or logs');
}

const remote = [
  { key: 'app/db-user', value: 'u' },
  { key: 'app/db-pass', value: PLANTED },
  { key: 'json', value: JSON.stringify({ 'db user': 'u', 'db/pass': PLANTED, 'smile😀': 's' }) },
];

describe('dataFrom keys: rewrite[].transform and conversionStrategy', function () {
  // The first transform starts the template engine (a WebAssembly module in a worker thread).
  this.timeout(60_000);
  before(() => sharedTemplateEngine().start());

  describe('rewrite[].transform', () => {
    it('rewrites each key of find and extract with the template, .value being the key, after and before regexp rewrites', async () => {
      const h = await harness(remote);
      const ready = await sync(h, {
        dataFrom: [
          { find: { name: { regexp: '^app/' } }, rewrite: [{ regexp: { source: '^app/', target: '' } }, { transform: { template: '{{ .value | upper | replace "-" "_" }}' } }] },
          { extract: { key: 'json' }, rewrite: [{ transform: { template: 'x-{{ .value | replace " " "-" | replace "/" "." }}' } }, { regexp: { source: '😀', target: '' } }] },
        ],
      });
      assert.equal(ready.reason, 'SecretSynced', ready.message);
      assert.deepEqual(secretData(h), { DB_USER: 'u', DB_PASS: PLANTED, 'x-db-user': 'u', 'x-db.pass': PLANTED, 'x-smile': 's' });
      assertNoValueLeaked(h);
    });

    it('a key the transform makes invalid: find turns what a key cannot hold into _, extract is refused with InvalidRemoteData (as regexp rewrites)', async () => {
      const h = await harness(remote);
      let ready = await sync(h, { dataFrom: [{ find: { name: { regexp: '^app/db-pass$' } }, rewrite: [{ transform: { template: '{{ .value }}!' } }] }] });
      assert.equal(ready.reason, 'SecretSynced', ready.message);
      assert.deepEqual(secretData(h), { 'app_db-pass_': PLANTED });

      ready = await sync(h, { dataFrom: [{ extract: { key: 'json' }, rewrite: [{ transform: { template: '{{ .value }}!' } }] }] }, 'bad');
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, 'InvalidRemoteData');
      assert.match(ready.message, /the Secret would be refused: data key "db user!" may contain only letters, digits/);
      assert.equal(h.get('bad', 'ns').status?.currentSecretName, undefined);
      assertNoValueLeaked(h);
    });

    it('a template that does not parse, or reads anything but .value, is InvalidSpec naming the field; the serving version stays', async () => {
      const h = await harness(remote);
      assert.equal((await sync(h, { dataFrom: [{ find: { name: { regexp: '^app/' } }, rewrite: [{ transform: { template: '{{ .value | lower }}' } }] }] })).reason, 'SecretSynced');
      const serving = h.get('app', 'ns').status!.currentSecretName!;
      const secretsBefore = [...h.api.secrets.keys()].sort();

      const cases: Array<[string, RegExp]> = [
        ['{{ .value | upper', /^spec\.dataFrom\[0\]\.rewrite\[1\]\.transform\.template: template: transform:1: unclosed action/],
        ['{{ .value | nosuchfunction }}', /^spec\.dataFrom\[0\]\.rewrite\[1\]\.transform\.template: template: transform:1: function "nosuchfunction" not defined/],
        ['{{ .other }}', /^spec\.dataFrom\[0\]\.rewrite\[1\]\.transform\.template: refers to "other"; a transform has only \.value, the key being rewritten/],
        ['{{ .value | replace "a" }}', /^spec\.dataFrom\[0\]\.rewrite\[1\]\.transform\.template: template: transform:1:12: executing "transform" at <replace>: wrong number of args for replace/],
      ];
      for (const [template, message] of cases) {
        const ready = await sync(h, { dataFrom: [{ find: { name: { regexp: '^app/' } }, rewrite: [{ regexp: { source: '^app/', target: '' } }, { transform: { template } }] }] });
        assert.equal(ready.status, 'False', template);
        assert.equal(ready.reason, 'InvalidSpec', template);
        assert.match(ready.message, message);
        assert.match(ready.message, new RegExp(`the last good version "${serving}" keeps serving`));
        assert.equal(h.get('app', 'ns').status!.currentSecretName, serving);
        assert.deepEqual([...h.api.secrets.keys()].sort(), secretsBefore, 'nothing written or deleted');
      }
      // One that does not parse or names another key is found before any provider call.
      for (const template of ['{{ .value | upper', '{{ .other }}']) {
        const calls = h.fetcher.calls;
        const ready = await sync(h, { dataFrom: [{ extract: { key: 'json' }, rewrite: [{ transform: { template } }] }] }, 'early');
        assert.equal(ready.reason, 'InvalidSpec');
        assert.equal(h.fetcher.calls, calls, 'no provider call');
      }
      const warnings = h.api.events.filter((e) => (e as { reason?: string }).reason === 'InvalidSpec');
      assert.ok(warnings.length >= 1, 'a Warning Event says InvalidSpec');
      assertNoValueLeaked(h);
    });

    it('a rewrite setting both regexp and transform (or neither) is InvalidSpec', async () => {
      const h = await harness(remote);
      let ready = await sync(h, { dataFrom: [{ find: { name: { regexp: '^app/' } }, rewrite: [{ regexp: { source: 'a', target: 'b' }, transform: { template: '{{ .value }}' } }] }] });
      assert.equal(ready.reason, 'InvalidSpec');
      assert.equal(ready.message, 'spec.dataFrom[0].rewrite[0]: set exactly one of regexp, transform');
      ready = await sync(h, { dataFrom: [{ find: { name: { regexp: '^app/' } }, rewrite: [{}] }] });
      assert.equal(ready.message, 'spec.dataFrom[0].rewrite[0]: set exactly one of regexp, transform');
    });
  });

  describe('conversionStrategy', () => {
    it('Default (and unset) puts _ for what a key cannot hold, in find and extract keys', async () => {
      const h = await harness(remote);
      for (const [name, conversionStrategy] of [['unset', undefined], ['default', 'Default']] as const) {
        const ready = await sync(h, {
          dataFrom: [
            { find: { name: { regexp: '^app/' }, ...(conversionStrategy ? { conversionStrategy } : {}) } },
            { extract: { key: 'json', ...(conversionStrategy ? { conversionStrategy } : {}) } },
          ],
        }, name);
        assert.equal(ready.reason, 'SecretSynced', ready.message);
        assert.deepEqual(secretData(h, name), { 'app_db-user': 'u', 'app_db-pass': PLANTED, db_user: 'u', db_pass: PLANTED, smile_: 's' });
      }
    });

    it('Unicode puts _U<hex code point>_ (at least 4 lower-case digits) for each such character', async () => {
      const h = await harness(remote);
      const ready = await sync(h, {
        dataFrom: [
          { find: { name: { regexp: '^app/' }, conversionStrategy: 'Unicode' } },
          { extract: { key: 'json', conversionStrategy: 'Unicode' } },
        ],
      });
      assert.equal(ready.reason, 'SecretSynced', ready.message);
      assert.deepEqual(secretData(h), { 'app_U002f_db-user': 'u', 'app_U002f_db-pass': PLANTED, 'db_U0020_user': 'u', 'db_U002f_pass': PLANTED, 'smile_U1f600_': 's' });
      assertNoValueLeaked(h);
    });

    it('is not applied when the source has a rewrite (as ESO); on data it has no effect', async () => {
      const h = await harness(remote);
      const ready = await sync(h, {
        dataFrom: [{ extract: { key: 'json', conversionStrategy: 'Unicode' }, rewrite: [{ regexp: { source: '[ /]', target: '-' } }, { regexp: { source: '😀', target: '' } }] }],
        data: [{ secretKey: 'plain', remoteRef: { key: 'app/db-user', conversionStrategy: 'Unicode' } }],
      });
      assert.equal(ready.reason, 'SecretSynced', ready.message);
      assert.deepEqual(secretData(h), { 'db-user': 'u', 'db-pass': PLANTED, smile: 's', plain: 'u' });
    });

    it('two remote names that become one key are InvalidRemoteData naming both; the serving version stays', async () => {
      const h = await harness([...remote, { key: 'app_db-user', value: PLANTED }]);
      assert.equal((await sync(h, { dataFrom: [{ find: { name: { regexp: '^app/' } } }] })).reason, 'SecretSynced');
      const serving = h.get('app', 'ns').status!.currentSecretName!;
      const ready = await sync(h, { dataFrom: [{ find: { name: { regexp: '^app' } } }] });
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, 'InvalidRemoteData');
      assert.match(ready.message, /^spec\.dataFrom\[0\]\.find\.conversionStrategy: remote keys "app\/db-user" and "app_db-user" both become the Secret key "app_db-user"|^spec\.dataFrom\[0\]\.find\.conversionStrategy: remote keys "app_db-user" and "app\/db-user" both become the Secret key "app_db-user"/);
      assert.equal(h.get('app', 'ns').status!.currentSecretName, serving);
      assertNoValueLeaked(h);
    });
  });
});
