// The ExternalSecret CRD refuses what would only fail later in the cluster: duplicate
// secretKeys, keys the API server refuses in a Secret, label and annotation keys that are not
// qualified names, label values over 63 characters (unless templated: those are checked once
// rendered).
import assert from 'node:assert/strict';
import { CRD_DIR } from '../../scripts/generate-api-types.js';
import { loadValidators } from './crd-validator.js';

const validator = loadValidators(CRD_DIR).get('ExternalSecret')!;
const es = (spec: Record<string, unknown>) => ({
  apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: 'app', namespace: 'ns' },
  spec: { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }], ...spec },
});
const errors = (spec: Record<string, unknown>) => validator.validate(es(spec)).errors;

describe('ExternalSecret CRD rules on written keys and metadata', () => {
  it('refuses a secretKey written twice, and accepts distinct ones', () => {
    const twice = errors({ data: [{ secretKey: 'pw', remoteRef: { key: 'a' } }, { secretKey: 'pw', remoteRef: { key: 'b' } }] });
    assert.deepEqual(twice, ['spec.data: each spec.data[].secretKey may appear only once']);
    assert.deepEqual(errors({ data: [{ secretKey: 'pw', remoteRef: { key: 'a' } }, { secretKey: 'user', remoteRef: { key: 'b' } }] }), []);
  });

  it('refuses secretKeys the API server or the Kubernetes client cannot take', () => {
    for (const key of ['.', '..', '..data', '__proto__']) {
      assert.equal(errors({ data: [{ secretKey: key, remoteRef: { key: 'a' } }] }).length, 1, key);
    }
    assert.deepEqual(errors({ data: [{ secretKey: '.hidden', remoteRef: { key: 'a' } }] }), []);
  });

  it('refuses template.data keys that are not Secret keys', () => {
    for (const key of ['a b', '..x', '__proto__']) {
      assert.equal(errors({ target: { template: { data: { [key]: 'x' } } } }).length, 1, key);
    }
    assert.deepEqual(errors({ target: { template: { data: { 'tls.crt': '{{ .pw }}' } } } }), []);
  });

  it('refuses template labels and annotations the API server refuses on a Secret', () => {
    assert.equal(errors({ target: { template: { metadata: { labels: { team: 'x'.repeat(64) } } } } }).length, 1);
    assert.equal(errors({ target: { template: { metadata: { labels: { team: 'bad value' } } } } }).length, 1);
    assert.equal(errors({ target: { template: { metadata: { labels: { '-team': 'a' } } } } }).length, 1);
    assert.equal(errors({ target: { template: { metadata: { annotations: { 'Not_A_Prefix/x': 'a' } } } } }).length, 1);
    assert.deepEqual(errors({ target: { template: { metadata: { labels: { 'app.kubernetes.io/name': 'a', team: '', long: 'x'.repeat(63) }, annotations: { 'example.com/Note': 'free text: any value' } } } } }), []);
  });

  it('accepts a templated label value, which the reconciler checks once rendered (as ESO renders it)', () => {
    const template = `{{ .team | lower | replace "_" "-" | trunc 63 }}${' '.repeat(64)}`;
    assert.deepEqual(errors({ target: { template: { metadata: { labels: { team: template }, annotations: { note: '{{ .pw | sha256sum }}' } } } } }), []);
  });
});
