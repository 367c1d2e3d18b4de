// The engine's limits: a template reaches nothing outside its data, a runaway render is
// stopped by the time limit (and the engine serves the next one), a huge output by the size
// limit, and errors never carry a value.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GoTemplateEngine } from '../../src/templates/go-template-engine.js';
import { renderTemplate } from '../../src/controller/template.js';
import { isTemplateRenderError, type TemplateErrorKind } from '../../src/templates/template-render-error.js';

const rejectsWith = (kind: TemplateErrorKind, pattern: RegExp) => (e: unknown) => {
  assert.ok(isTemplateRenderError(e), String(e));
  assert.equal(e.kind, kind, e.message);
  assert.match(e.message, pattern);
  return true;
};

describe('GoTemplateEngine', function () {
  this.timeout(60_000);
  const engine = new GoTemplateEngine({ timeLimitMs: 1500, maxOutputBytes: 64 * 1024 });
  before(() => engine.start());
  after(() => engine.close());

  it('renders several keys in one call', async () => {
    const out = await engine.render({ templates: { a: '{{ .x | upper }}', b: '{{ .x | b64enc }}' }, data: { x: Buffer.from('v') } });
    assert.deepEqual(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.toString()])), { a: 'V', b: 'dg==' });
  });

  it('does not define the ESO functions README lists as not yet supported: a template calling one does not parse', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const notYet = /Not yet: ESO's ([^;]+);/.exec(readme.replace(/\n/g, ' '))?.[1] ?? '';
    const names = [...notYet.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
    assert.ok(names.includes('filterCertChain'), `README's list: ${notYet}`);
    for (const fn of names) {
      await assert.rejects(engine.render({ templates: { t: `{{ ${fn} .x }}` }, data: { x: Buffer.from('v') } }), rejectsWith('Parse', /function ".+" not defined/), fn);
    }
  });

  it('gives a template no environment, files or network: the functions that would read them are not defined', async () => {
    for (const fn of ['env "PATH"', 'expandenv "$PATH"', 'getHostByName "localhost"', 'readFile "/etc/passwd"', 'include "x" .']) {
      await assert.rejects(engine.render({ templates: { t: `{{ ${fn} }}` }, data: {} }), rejectsWith('Parse', /function ".+" not defined/), fn);
    }
  });

  it('stops a runaway template at the time limit, and the next render works', async () => {
    const started = Date.now();
    await assert.rejects(engine.render({ templates: { t: '{{ range $i := until 100000000 }}{{ end }}' }, data: {} }), rejectsWith('TimeLimit', /longer than 1500 ms and was stopped/));
    assert.ok(Date.now() - started < 10_000, 'stopped soon after the limit');
    const out = await engine.render({ templates: { t: '{{ .x }}!' }, data: { x: Buffer.from('back') } });
    assert.equal(out.t!.toString(), 'back!');
  });

  it('stops a huge output at the size limit, over all keys of a render', async () => {
    await assert.rejects(engine.render({ templates: { t: '{{ range $i := until 1000000 }}0123456789{{ end }}' }, data: {} }), rejectsWith('OutputLimit', /larger than 65536 bytes/));
    const half = '{{ range $i := until 4000 }}0123456789{{ end }}';
    await assert.rejects(engine.render({ templates: { a: half, b: half }, data: {} }), rejectsWith('OutputLimit', /larger than 65536 bytes/));
    const out = await engine.render({ templates: { a: half }, data: {} });
    assert.equal(out.a!.length, 40_000);
  });

  it('keeps values out of error messages', async () => {
    const data = { pw: Buffer.from('planted-secret-value') };
    for (const t of ['{{ .pw | atoi | div 1 }}', '{{ fail .pw }}', '{{ .pw | fromJson | toJson | fail }}', '{{ index .pw 99 }}', '{{ .pw | filterPEM "CERTIFICATE" }}', '{{ .pw | jwkPublicKeyPem }}']) {
      await assert.rejects(engine.render({ templates: { t }, data }), (e: unknown) => {
        assert.ok(isTemplateRenderError(e), String(e));
        assert.doesNotMatch(e.message, /planted-secret-value/, t);
        assert.equal(e.key, 't');
        return true;
      }, t);
    }
  });

  it('{{ .key }}-only templates, rendered without the engine, give what the engine gives', async () => {
    const data = { user: Buffer.from('app'), bin: Buffer.from([0xff, 0x00, 0x7b, 0x7b]), _x1: Buffer.from('u') };
    const noEngine = () => { throw new Error('not needed'); };
    for (const text of ['{{ .user }}', 'a {{.user}} b {{   .bin   }}', '{{ ._x1 }}{{ .user }}', 'no action', '', '{ {.user} }', 'x}}{{ .user }}']) {
      const spec = { secretStoreRef: { name: 's' }, target: { template: { data: { k: text } } } };
      const fast = (await renderTemplate(spec, data, noEngine)).data.k!;
      const viaEngine = (await engine.render({ templates: { k: text }, data })).k!;
      assert.deepEqual(fast, viaEngine, text);
    }
    const missing = { secretStoreRef: { name: 's' }, target: { template: { data: { k: 'x {{ .nope }}' } } } };
    await assert.rejects(renderTemplate(missing, data, noEngine), /refers to "nope"/);
    await assert.rejects(engine.render({ templates: { k: 'x {{ .nope }}' }, data }), rejectsWith('MissingKey', /refers to "nope"/));
  });

  it('fails the render, not the process, when the module cannot be loaded', async () => {
    const missing = new GoTemplateEngine({ loadWasm: () => { throw new Error('no file'); } });
    await assert.rejects(missing.render({ templates: { t: 'x' }, data: {} }), /no file/);
  });
});
