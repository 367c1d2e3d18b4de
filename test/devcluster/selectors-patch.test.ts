import assert from 'node:assert/strict';
import { parseFieldSelector, parseLabelSelector } from '../../src/devcluster/selectors/index.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../src/devcluster/patch.js';

const obj = (labels: Record<string, string>) => ({ metadata: { name: 'n', namespace: 'ns', labels } });

describe('dev cluster selectors', () => {
  it('parses every label selector operator', () => {
    const m = (s: string, l: Record<string, string>) => parseLabelSelector(s)(obj(l));
    assert.equal(m('a=1', { a: '1' }), true);
    assert.equal(m('a==1', { a: '2' }), false);
    assert.equal(m('a!=1', {}), true);
    assert.equal(m('a in (1, 2)', { a: '2' }), true);
    assert.equal(m('a notin (1,2)', { a: '3' }), true);
    assert.equal(m('a notin (1,2)', {}), true);
    assert.equal(m('a', { a: '' }), true);
    assert.equal(m('!a', { a: '' }), false);
    assert.equal(m('a in (1,2),b,!c', { a: '1', b: 'x' }), true);
    assert.equal(m('example.com/app=x', { 'example.com/app': 'x' }), true);
    assert.throws(() => parseLabelSelector('a in'), /unable to parse/);
  });

  it('parses field selectors and refuses unsupported fields', () => {
    const secrets = { storageKey: '/secrets', kind: 'Secret', builtin: true };
    assert.equal(parseFieldSelector('metadata.name=n,metadata.namespace!=x', secrets)(obj({})), true);
    assert.equal(parseFieldSelector('type=Opaque', secrets)({ ...obj({}), type: 'Opaque' }), true);
    assert.equal(parseFieldSelector('source=ctrl', { storageKey: '/events', kind: 'Event', builtin: true })({ ...obj({}), source: { component: 'ctrl' } }), true);
    assert.throws(() => parseFieldSelector('spec.x=1', secrets), /field label not supported/);
    assert.throws(() => parseFieldSelector('spec.x=1', { storageKey: 'apps/deployments', kind: 'Deployment', builtin: true }), /"spec.x" is not a known field selector/);
  });
});

describe('dev cluster patches', () => {
  it('merge patch (RFC 7386) deletes with null and replaces lists', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1] }, { b: { c: null }, l: [2], e: 4 }), { a: 1, b: { d: 3 }, l: [2], e: 4 });
  });

  it('JSON patch (RFC 6902) add/remove/replace/move/copy/test', () => {
    const doc = { a: { b: [1, 2] }, c: 'x' };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/a/b/-', value: 3 },
      { op: 'replace', path: '/c', value: 'y' },
      { op: 'copy', from: '/c', path: '/d' },
      { op: 'move', from: '/d', path: '/e~1f' },
      { op: 'remove', path: '/a/b/0' },
      { op: 'test', path: '/c', value: 'y' },
    ]);
    assert.deepEqual(out, { a: { b: [2, 3] }, c: 'y', 'e/f': 'y' });
    assert.deepEqual(doc, { a: { b: [1, 2] }, c: 'x' });
    assert.throws(() => jsonPatch(doc, [{ op: 'remove', path: '/zzz' }]), /missing/);
    assert.throws(() => jsonPatch(doc, [{ op: 'test', path: '/c', value: 'no' }]), /testing value/);
  });

  it('strategic merge patch merges named lists by key and honours directives', () => {
    const pod = { spec: { containers: [{ name: 'a', image: 'x', env: [{ name: 'E', value: '1' }] }, { name: 'b', image: 'y' }] }, metadata: { finalizers: ['f1'] } };
    const out = strategicMergePatch(pod, {
      spec: { containers: [{ name: 'a', env: [{ name: 'F', value: '2' }] }, { name: 'b', $patch: 'delete' }, { name: 'c', image: 'z' }], '$setElementOrder/containers': [{ name: 'a' }] },
      metadata: { finalizers: ['f2'], '$deleteFromPrimitiveList/finalizers': ['f1'] },
    }) as typeof pod;
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['a', 'c']);
    assert.deepEqual(out.spec.containers[0].env, [{ name: 'E', value: '1' }, { name: 'F', value: '2' }]);
    assert.deepEqual(out.metadata.finalizers, ['f2']);
    assert.deepEqual(strategicMergePatch({ a: { x: 1 } }, { a: { $patch: 'replace', y: 2 } }), { a: { y: 2 } });
  });
});
