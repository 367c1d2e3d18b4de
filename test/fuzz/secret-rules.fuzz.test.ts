// Differential fuzzing of secretProblems (src/versioning/secret-limits.ts), which decides
// whether the reconciler may send a Secret, against a real kube-apiserver's server-side dry
// run: generated Secrets with keys, sizes, labels, annotations and types on and around every
// limit. They must agree on every Secret, except the one key keyferry refuses on purpose
// (`__proto__`, which the Kubernetes client's serialiser drops).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_SECRET_DATA_BYTES, secretProblems } from '../../src/versioning/index.js';
import type { SecretObject } from '../../src/kube/kube-object.js';
import { apiServerOracle, type SecretOracle } from './api-server-oracle.js';
import { fuzzSettings } from './settings.js';

const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_./ :@ü'.split('')), minLength: 0, maxLength: 12 });
const dataKey = fc.oneof(
  { weight: 24, arbitrary: fc.stringMatching(/^[-_a-zA-Z0-9][-._a-zA-Z0-9]{0,15}$/) },
  { weight: 2, arbitrary: printable },
  { weight: 1, arbitrary: fc.constantFrom('.', '..', '..x', '.x', 'k'.repeat(253), 'k'.repeat(254), 'tls.crt', 'tls.key', 'username', 'ssh-privatekey', '.dockerconfigjson') },
);
const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$/);
const prefix = fc.oneof(
  { weight: 20, arbitrary: fc.array(dnsLabel, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.')) },
  { weight: 1, arbitrary: fc.constantFrom('Example.com', 'a_b.com', '-a.com', 'a..b', 'x'.repeat(254), `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`) },
);
const namePart = fc.oneof(
  { weight: 20, arbitrary: fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?$/) },
  { weight: 1, arbitrary: fc.constantFrom('', '-a', 'a-', '_a', 'a b', 'x'.repeat(63), 'x'.repeat(64), 'ü') },
);
const qualifiedName = fc.tuple(fc.option(prefix, { nil: undefined }), namePart).map(([p, n]) => (p === undefined ? n : `${p}/${n}`));
const labelValue = fc.oneof(
  { weight: 20, arbitrary: fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?)?$/) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(63), 'x'.repeat(64), '-a', 'a b', 'ü', 'a/b') },
);
const type = fc.constantFrom('Opaque', 'Opaque', 'Opaque', 'Opaque', 'Opaque', 'kubernetes.io/tls', 'kubernetes.io/basic-auth', 'kubernetes.io/ssh-auth', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/dockercfg', 'kubernetes.io/service-account-token', 'bootstrap.kubernetes.io/token', 'example.com/custom');
const value = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 16 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.constantFrom('{"auths":{}}', 'not json', '{}', '[]').map((s) => Buffer.from(s)) },
);
/** Sizes at the 1 MiB boundary, split over one or two keys. */
const bulk = fc.option(fc.tuple(fc.constantFrom(-1, 0, 1, 4096), fc.boolean()), { nil: undefined, freq: 6 });
const annotationBulk = fc.option(fc.constantFrom(-64, 0, 64), { nil: undefined, freq: 8 });

const generatedSecret = fc.record({
  type,
  data: fc.dictionary(dataKey, value, { maxKeys: 4 }),
  bulk,
  labels: fc.dictionary(qualifiedName, labelValue, { maxKeys: 3 }),
  annotations: fc.dictionary(qualifiedName, fc.string({ maxLength: 20 }), { maxKeys: 3 }),
  annotationBulk,
  /** Give a built-in type the keys it needs (most of the time). */
  complete: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
}).map(({ type, data, bulk, labels, annotations, annotationBulk, complete }) => {
  const values: Record<string, Buffer> = { ...data };
  const needs: Record<string, string[]> = {
    'kubernetes.io/tls': ['tls.crt', 'tls.key'], 'kubernetes.io/basic-auth': ['username'], 'kubernetes.io/ssh-auth': ['ssh-privatekey'],
    'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'], 'kubernetes.io/dockercfg': ['.dockercfg'],
  };
  if (complete) for (const k of needs[type] ?? []) values[k] ??= Buffer.from(k.startsWith('.docker') ? '{"auths":{}}' : 'x');
  if (complete && type === 'kubernetes.io/service-account-token') annotations['kubernetes.io/service-account.name'] = 'default';
  if (bulk) {
    const [delta, split] = bulk;
    const others = Object.values(values).reduce((n, v) => n + v.length, 0);
    const total = Math.max(0, MAX_SECRET_DATA_BYTES + delta - others);
    if (split) {
      values['bulk-a'] = Buffer.alloc(Math.floor(total / 2), 97);
      values['bulk-b'] = Buffer.alloc(total - Math.floor(total / 2), 98);
    } else {
      values['bulk-a'] = Buffer.alloc(total, 97);
    }
  }
  const notes: Record<string, string> = { ...annotations };
  if (annotationBulk !== undefined) {
    const used = Object.entries(notes).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0) + 'example.com/bulk'.length;
    notes['example.com/bulk'] = 'n'.repeat(Math.max(0, 256 * 1024 + annotationBulk - used));
  }
  return { type, data: values, labels, annotations: notes };
});

describe('fuzz: what keyferry refuses to send in a Secret, against a real API server', function () {
  const { seed, runs, path } = fuzzSettings('secret rules', 120);
  this.timeout(Math.max(180_000, runs * 1000));
  let oracle: SecretOracle;

  before(async function () {
    this.timeout(600_000);
    oracle = await apiServerOracle();
  });

  it(`agrees with kube-apiserver's dry run on ${runs} generated Secrets`, async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(generatedSecret, async (s) => {
        const problems = secretProblems(s);
        // keyferry refuses `__proto__` itself (the client would drop it); the server would take it.
        if (Object.prototype.hasOwnProperty.call(s.data, '__proto__')) return;
        const secret: SecretObject = {
          apiVersion: 'v1', kind: 'Secret', type: s.type,
          metadata: { name: 'probe', labels: s.labels, annotations: s.annotations },
          data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, v.toString('base64')])),
        };
        const verdict = await oracle.judge(secret);
        if (verdict.accepted) accepted++;
        else refused++;
        assert.equal(problems.length === 0, verdict.accepted, verdict.accepted
          ? `keyferry refuses what the API server accepts: ${problems.map((p) => p.message).join('; ')}`
          : `the API server refuses what keyferry would send: ${verdict.message}`);
      }),
      { seed, numRuns: runs, path, endOnFailure: true },
    );
    console.log(`    fuzz: ${accepted} Secrets accepted and ${refused} refused, by both`);
    assert.ok(accepted > 0 && refused > 0);
  });
});
