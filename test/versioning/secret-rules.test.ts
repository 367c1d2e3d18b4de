import assert from 'node:assert/strict';
import {
  MAX_SECRET_DATA_BYTES, buildVersionedSecret, checkOwnership, externalSecretNameOf, forgetData, labelValueOf, looksLikeVersionOf, ownerMetadata,
  secretProblems, targetNameOf, type SecretShape,
} from '../../src/versioning/index.js';
import type { SecretObject } from '../../src/kube/kube-object.js';

const KEY = Buffer.alloc(32, 1);
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('labels of a version', () => {
  it('keep names up to 63 characters as they are', () => {
    assert.equal(labelValueOf('app'), 'app');
    assert.deepEqual(ownerMetadata('es', 'app'), { labels: { 'keyferry.io/external-secret': 'es', 'keyferry.io/target': 'app' }, annotations: {} });
  });

  it('shorten longer names to 63 valid characters, distinct per name, with the full name in an annotation', () => {
    const long = `${'a'.repeat(60)}.example-${'b'.repeat(150)}`;
    const other = `${long.slice(0, -1)}c`;
    const value = labelValueOf(long);
    assert.equal(value.length, 63);
    assert.match(value, LABEL_VALUE);
    assert.notEqual(labelValueOf(other), value);
    const meta = ownerMetadata(long, other);
    assert.equal(meta.labels['keyferry.io/external-secret'], value);
    assert.equal(meta.annotations['keyferry.io/external-secret-name'], long);
    assert.equal(meta.annotations['keyferry.io/target-name'], other);
    const secret = { metadata: meta };
    assert.equal(externalSecretNameOf(secret), long);
    assert.equal(targetNameOf(secret), other);
  });

  it('do not let an annotation that does not hash to the label claim another name', () => {
    const secret = { metadata: { labels: { 'keyferry.io/external-secret': 'es' }, annotations: { 'keyferry.io/external-secret-name': 'someone-else' } } };
    assert.equal(externalSecretNameOf(secret), 'es');
  });
});

describe('ownership of a version name', () => {
  const built = buildVersionedSecret({
    namespace: 'ns', externalSecretName: 'es', targetName: 'app', type: 'Opaque', data: { pw: Buffer.from('s3cret') },
    templateLabels: {}, templateAnnotations: {}, remoteVersions: {}, key: KEY,
  });
  const expected = { externalSecretName: 'es', targetName: 'app', secret: built.secret };
  const copy = (): SecretObject => structuredClone(built.secret) as SecretObject;

  it('accepts the version itself, with its data or with only the digest the cache keeps', () => {
    assert.deepEqual(checkOwnership(copy(), expected), { ours: true });
    const cached = copy();
    forgetData(cached);
    assert.equal(cached.data, undefined);
    assert.ok(!JSON.stringify(cached).includes(Buffer.from('s3cret').toString('base64')));
    assert.deepEqual(checkOwnership(cached, expected), { ours: true });
    assert.ok(looksLikeVersionOf(cached, 'es'));
  });

  it('refuses a squatter: other data, mutable, another ExternalSecret or no labels', () => {
    const otherData = copy();
    otherData.data = { pw: Buffer.from('ATTACKER-CONTROLLED').toString('base64') };
    assert.equal(checkOwnership(otherData, expected).ours, false);
    const mutable = copy();
    delete (mutable as { immutable?: boolean }).immutable;
    assert.equal(checkOwnership(mutable, expected).ours, false);
    const foreign = copy();
    foreign.metadata!.labels!['keyferry.io/external-secret'] = 'other';
    assert.equal(checkOwnership(foreign, expected).ours, false);
    const bare = { ...copy(), metadata: { name: built.secret.metadata.name, namespace: 'ns' } };
    assert.equal(checkOwnership(bare, expected).ours, false);
  });

  it('cannot tell without data or digest, and says so', () => {
    const blind = copy();
    delete blind.data;
    assert.deepEqual(checkOwnership(blind, expected), { ours: 'unknown' });
  });
});

describe('what the API server refuses in a Secret', () => {
  const shape = (data: Record<string, string | Buffer>, extra: Partial<SecretShape> = {}): SecretShape => ({
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)])),
    labels: {},
    annotations: {},
    ...extra,
  });

  it('accepts an ordinary Secret', () => {
    assert.deepEqual(secretProblems(shape({ 'tls.crt': 'x', 'tls.key': 'y' }, { type: 'kubernetes.io/tls', labels: { 'app.kubernetes.io/name': 'x' } })), []);
  });

  it('refuses bad data keys, naming the key and never the value', () => {
    for (const key of ['a b', '.', '..x', 'x'.repeat(254), '', 'ü']) {
      const problems = secretProblems(shape({ [key]: 'planted-value' }));
      assert.equal(problems.length, 1, key);
      assert.ok(!problems[0]!.message.includes('planted-value'));
    }
    const proto = Object.create(null) as Record<string, Buffer>;
    proto['__proto__'] = Buffer.from('x');
    assert.match(secretProblems({ type: 'Opaque', data: proto, labels: {}, annotations: {} })[0]!.message, /__proto__/);
  });

  it('refuses more than 1 MiB of values, and accepts exactly 1 MiB', () => {
    assert.deepEqual(secretProblems(shape({ a: Buffer.alloc(MAX_SECRET_DATA_BYTES - 1), b: Buffer.alloc(1) })), []);
    assert.match(secretProblems(shape({ a: Buffer.alloc(MAX_SECRET_DATA_BYTES), b: Buffer.alloc(1) }))[0]!.message, /1 MiB/);
  });

  it('refuses labels over 63 characters or with bad keys, and annotations over 256 KiB', () => {
    assert.equal(secretProblems(shape({}, { labels: { a: 'x'.repeat(64) } })).length, 1);
    assert.equal(secretProblems(shape({}, { labels: { '-bad': 'x' } })).length, 1);
    assert.equal(secretProblems(shape({}, { labels: { 'Not_DNS/x': 'x' } })).length, 1);
    assert.equal(secretProblems(shape({}, { annotations: { a: 'x'.repeat(256 * 1024) } })).length, 1);
  });

  it('refuses built-in types without their keys', () => {
    assert.equal(secretProblems(shape({ 'tls.crt': 'x' }, { type: 'kubernetes.io/tls' })).length, 1);
    assert.equal(secretProblems(shape({ other: 'x' }, { type: 'kubernetes.io/basic-auth' })).length, 1);
    assert.equal(secretProblems(shape({ '.dockerconfigjson': 'not json' }, { type: 'kubernetes.io/dockerconfigjson' })).length, 1);
    assert.equal(secretProblems(shape({}, { type: 'kubernetes.io/service-account-token' })).length, 1);
  });
});
