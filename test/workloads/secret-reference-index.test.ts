import assert from 'node:assert/strict';
import { SecretReferenceIndex } from '../../src/workloads/secret-reference-index.js';
import type { ReferencingObject } from '../../src/workloads/referencing-kinds.js';

const obj = (kind: string, name: string, secretNames: string[], namespace = 'ns'): ReferencingObject => ({ kind, metadata: { name, namespace }, secretNames });

describe('SecretReferenceIndex', () => {
  it('counts references per namespace across objects and says when the last one goes', () => {
    const index = new SecretReferenceIndex();
    const released: string[] = [];
    index.onReleased((ns, name) => released.push(`${ns}/${name}`));
    index.set(obj('Pod', 'p1', ['db-1', 'tls']));
    index.set(obj('ReplicaSet', 'rs1', ['db-1']));
    index.set(obj('Pod', 'p1', ['db-1', 'tls'], 'other'));
    assert.equal(index.inUse('ns')('db-1'), true);
    assert.equal(index.inUse('ns')('db-2'), false);

    index.remove(obj('Pod', 'p1', ['db-1', 'tls']));
    assert.deepEqual(released, ['ns/tls']);
    assert.equal(index.isReferenced('ns', 'db-1'), true, 'the ReplicaSet still references it');
    assert.equal(index.isReferenced('other', 'tls'), true, 'namespaces are separate');

    // An update that moves a template to a new version releases the old one.
    index.set(obj('ReplicaSet', 'rs1', ['db-2']));
    assert.deepEqual(released, ['ns/tls', 'ns/db-1']);
    assert.equal(index.isReferenced('ns', 'db-2'), true);
  });

  it('does not count an object twice when it is set again unchanged, and ignores removing what it never saw', () => {
    const index = new SecretReferenceIndex();
    const released: string[] = [];
    index.onReleased((_ns, name) => released.push(name));
    index.set(obj('Pod', 'p', ['a']));
    index.set(obj('Pod', 'p', ['a']));
    index.remove(obj('Pod', 'ghost', ['a']));
    assert.equal(index.isReferenced('ns', 'a'), true);
    index.remove(obj('Pod', 'p', ['a']));
    assert.equal(index.isReferenced('ns', 'a'), false);
    assert.deepEqual(released, ['a']);
  });
});
