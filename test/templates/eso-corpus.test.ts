// The ESO template corpus (eso-corpus.ts) against the engine, plus the cases whose fixtures are
// made here: PEM bundles, PKCS#12 archives (openssl) and JSON Web Keys (node:crypto).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoTemplateEngine } from '../../src/templates/go-template-engine.js';
import { isTemplateRenderError } from '../../src/templates/template-render-error.js';
import { renderTemplate } from '../../src/controller/template.js';
import { SPEC_CASES, STATIC_CASES, type CorpusCase, type SpecCase } from './eso-corpus.js';

interface Fixtures {
  certPem: string;
  caPem: string;
  keyPkcs8: string;
  p12NoPass: Buffer;
  p12Pass: Buffer;
  p12Chain: Buffer;
}

/** A CA, a leaf signed by it, and PKCS#12 archives of them made by openssl. */
function makeFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'kf-p12-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=corpus-ca', '-days', '2');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=corpus-leaf');
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '2');
    ssl('pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.crt', '-passout', 'pass:', '-out', 'nopass.p12');
    ssl('pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.crt', '-passout', 'pass:corpus-pw', '-out', 'pass.p12');
    // The chain in the archive root first, so that ordering is visible.
    ssl('pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.crt', '-certfile', 'ca.crt', '-passout', 'pass:', '-out', 'chain.p12');
    ssl('pkcs8', '-topk8', '-nocrypt', '-in', 'leaf.key', '-out', 'leaf.pk8');
    const read = (f: string) => readFileSync(join(dir, f));
    return {
      certPem: new X509Certificate(read('leaf.crt')).toString(),
      caPem: new X509Certificate(read('ca.crt')).toString(),
      keyPkcs8: read('leaf.pk8').toString(),
      p12NoPass: read('nopass.p12'),
      p12Pass: read('pass.p12'),
      p12Chain: read('chain.p12'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function generatedCases(f: Fixtures): CorpusCase[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (k: typeof rsa.privateKey) => JSON.stringify(k.export({ format: 'jwk' }));
  const pkcs8 = (k: typeof rsa.privateKey) => k.export({ format: 'pem', type: 'pkcs8' }).toString();
  const spki = (k: typeof rsa.privateKey) => createPublicKey(k).export({ format: 'pem', type: 'spki' }).toString();
  const bundle = `${f.keyPkcs8}${f.certPem}${f.caPem}`;
  return [
    { name: 'filterPEM keeps the CERTIFICATE blocks, in order (ESO docs)', template: '{{ .bundle | filterPEM "CERTIFICATE" }}', data: { bundle }, output: f.certPem + f.caPem },
    { name: 'filterPEM keeps the PRIVATE KEY block', template: '{{ .bundle | filterPEM "PRIVATE KEY" }}', data: { bundle }, output: f.keyPkcs8 },
    { name: 'filterPEM with no block of the type fails', template: '{{ .bundle | filterPEM "RSA PRIVATE KEY" }}', data: { bundle }, error: { kind: 'Execution', message: /error calling filterPEM/ } },
    { name: 'pkcs12cert extracts the certificate as PEM (ESO docs)', template: '{{ .p12 | pkcs12cert }}', data: { p12: f.p12NoPass }, output: f.certPem },
    { name: 'pkcs12key extracts the key as PKCS#8 PEM (ESO docs)', template: '{{ .p12 | pkcs12key }}', data: { p12: f.p12NoPass }, output: f.keyPkcs8 },
    { name: 'pkcs12certPass opens an archive with its password (ESO docs)', template: '{{ .p12 | pkcs12certPass "corpus-pw" }}', data: { p12: f.p12Pass }, output: f.certPem },
    { name: 'pkcs12keyPass opens an archive with its password', template: '{{ .p12 | pkcs12keyPass "corpus-pw" }}', data: { p12: f.p12Pass }, output: f.keyPkcs8 },
    { name: 'pkcs12cert orders a chain leaf first, root last', template: '{{ .p12 | pkcs12cert }}', data: { p12: f.p12Chain }, output: f.certPem + f.caPem },
    { name: 'pkcs12certPass with a wrong password fails without quoting it', template: '{{ .p12 | pkcs12certPass "wrong-pw" }}', data: { p12: f.p12Pass }, error: { kind: 'Execution', message: /error calling pkcs12certPass \(details withheld/ } },
    { name: 'pkcs12cert of something else fails', template: '{{ .p12 | pkcs12cert }}', data: { p12: 'not an archive' }, error: { kind: 'Execution', message: /error calling pkcs12cert/ } },
    { name: 'pemToPkcs12 makes a base64 archive that pkcs12cert reads back', template: '{{ pemToPkcs12 .cert .key | b64dec | pkcs12cert }}', data: { cert: f.certPem, key: f.keyPkcs8 }, output: f.certPem },
    { name: 'pemToPkcs12Pass makes an archive its password opens', template: '{{ pemToPkcs12Pass .cert .key "pw2" | b64dec | pkcs12keyPass "pw2" }}', data: { cert: f.certPem, key: f.keyPkcs8 }, output: f.keyPkcs8 },
    { name: 'fullPemToPkcs12 keeps the chain', template: '{{ fullPemToPkcs12 .chain .key | b64dec | pkcs12cert }}', data: { chain: f.certPem + f.caPem, key: f.keyPkcs8 }, output: f.certPem + f.caPem },
    { name: 'jwkPublicKeyPem of an RSA JWK is a PKIX PUBLIC KEY (ESO docs)', template: '{{ .jwk | jwkPublicKeyPem }}', data: { jwk: jwk(rsa.privateKey) }, output: spki(rsa.privateKey) },
    { name: 'jwkPrivateKeyPem of an RSA JWK is a PKCS#8 PRIVATE KEY (ESO docs)', template: '{{ .jwk | jwkPrivateKeyPem }}', data: { jwk: jwk(rsa.privateKey) }, output: pkcs8(rsa.privateKey) },
    { name: 'jwkPublicKeyPem of an EC JWK', template: '{{ .jwk | jwkPublicKeyPem }}', data: { jwk: jwk(ec.privateKey) }, output: spki(ec.privateKey) },
    { name: 'jwkPrivateKeyPem of a public-only JWK fails', template: '{{ .jwk | jwkPrivateKeyPem }}', data: { jwk: JSON.stringify(rsa.publicKey.export({ format: 'jwk' })) }, error: { kind: 'Execution', message: /error calling jwkPrivateKeyPem/ } },
  ];
}

async function check(engine: GoTemplateEngine, c: CorpusCase): Promise<void> {
  const data = Object.fromEntries(Object.entries(c.data).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));
  if (c.error) {
    await assert.rejects(engine.render({ templates: { t: c.template }, data }), (e: unknown) => {
      assert.ok(isTemplateRenderError(e), String(e));
      assert.equal(e.kind, c.error!.kind, e.message);
      assert.match(e.message, c.error!.message);
      // The pipeline quoted is the template's own text; what a function said of the data is not.
      assert.doesNotMatch(e.message, /planted-value/);
      return true;
    });
    return;
  }
  const out = await engine.render({ templates: { t: c.template }, data });
  const expected = Buffer.isBuffer(c.output) ? c.output : Buffer.from(c.output!);
  assert.deepEqual(out.t, expected, `got ${JSON.stringify(out.t?.toString())}`);
}

async function checkSpec(engine: GoTemplateEngine, c: SpecCase): Promise<void> {
  const spec = { secretStoreRef: { name: 's' }, target: { template: c.template } } as Parameters<typeof renderTemplate>[0];
  const data = Object.fromEntries(Object.entries(c.data).map(([k, v]) => [k, Buffer.from(v)]));
  const rendering = renderTemplate(spec, data, () => engine);
  if (c.error) {
    await assert.rejects(rendering, (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(e.constructor.name, c.error!.name, e.message);
      assert.match(e.message, c.error!.message);
      return true;
    });
    return;
  }
  const out = await rendering;
  if (c.output?.data) assert.deepEqual(Object.fromEntries(Object.entries(out.data).map(([k, v]) => [k, v.toString()])), c.output.data);
  if (c.output?.labels) assert.deepEqual(out.labels, c.output.labels);
  if (c.output?.annotations) assert.deepEqual(out.annotations, c.output.annotations);
}

describe('ESO template corpus (engine v2)', function () {
  this.timeout(60_000);
  const engine = new GoTemplateEngine();
  before(() => engine.start());
  after(() => engine.close());

  for (const c of STATIC_CASES) it(c.name, () => check(engine, c));

  describe('whole templates (metadata rendered as ESO renders it)', () => {
    for (const c of SPEC_CASES) it(c.name, () => checkSpec(engine, c));
  });

  describe('with fixtures made at test time', () => {
    const cases = generatedCases(makeFixtures());
    for (const c of cases) it(c.name, () => check(engine, c));
  });
});
