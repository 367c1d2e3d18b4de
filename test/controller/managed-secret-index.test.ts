import assert from 'node:assert/strict';
import { ManagedSecretIndex } from '../../src/controller/managed-secret-index.js';
import type { SecretObject } from '../../src/kube/kube-object.js';
import { LABEL_EXTERNAL_SECRET } from '../../src/versioning/labels.js';

/** Stands in for the API client's model class (a create call's response). */
class ModelSecret {
  constructor(readonly metadata: SecretObject['metadata']) {}
}

const meta = (name: string, resourceVersion: string) => ({ name, namespace: 'ns', resourceVersion, labels: { [LABEL_EXTERNAL_SECRET]: 'app' } });
const fromInformer = (name: string, rv: string): SecretObject => JSON.parse(JSON.stringify({ metadata: meta(name, rv) })) as SecretObject;
const fromCreate = (name: string, rv: string): SecretObject => new ModelSecret(meta(name, rv)) as SecretObject;

describe('ManagedSecretIndex', () => {
  it('groups versions by ExternalSecret and forgets removed ones', () => {
    const index = new ManagedSecretIndex();
    index.upsert(fromInformer('app-1', '1'));
    index.upsert(fromInformer('app-2', '2'));
    assert.deepEqual(index.forExternalSecret('ns/app').map((s) => s.metadata?.name), ['app-1', 'app-2']);
    index.remove(fromInformer('app-1', '1'));
    assert.equal(index.has('ns/app', 'app-1'), false);
    assert.equal(index.has('ns/app', 'app-2'), true);
  });

  it('keeps the informer\'s copy of a version, whichever of it and the create response comes first', () => {
    for (const order of ['informer first', 'create first']) {
      const index = new ManagedSecretIndex();
      const informer = fromInformer('app-1', '7');
      const created = fromCreate('app-1', '7');
      for (const s of order === 'informer first' ? [informer, created] : [created, informer]) index.upsert(s);
      assert.equal(index.forExternalSecret('ns/app')[0], informer, order);
    }
  });

  it('takes a newer version of the same Secret', () => {
    const index = new ManagedSecretIndex();
    index.upsert(fromInformer('app-1', '7'));
    const newer = fromCreate('app-1', '8');
    index.upsert(newer);
    assert.equal(index.forExternalSecret('ns/app')[0], newer);
  });
});
