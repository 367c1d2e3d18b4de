import assert from 'node:assert/strict';
import { fakeProvider } from '../../../providers/fake/index.js';
import { isNotFound, isConfigError, selectProperty, type ProviderDeps, type ProviderCallObservation } from '../../../providers/contract/index.js';
import { compileUserPattern } from '../../../src/controller/user-pattern.js';

function deps(observed: ProviderCallObservation[] = []): ProviderDeps {
  return {
    store: { kind: 'SecretStore', name: 's', namespace: 'ns' },
    allowAmbientCredentials: false,
    clock: { now: () => 1000 },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    observer: { observe: (c) => observed.push(c) },
    readSecret: async () => { throw new Error('unused'); },
    readConfigMap: async () => { throw new Error('unused'); },
    mintServiceAccountToken: async () => { throw new Error('unused'); },
  };
}

describe('fake provider', () => {
  const config = {
    data: [
      { key: 'db', value: '{"user":"u1","password":"p1"}', version: 'v1' },
      { key: 'db', value: '{"user":"u2","password":"p2"}', version: 'v2' },
      { key: 'api/token', value: 'tok' },
      { key: 'api/other', value: 'x' },
    ],
  };

  it('reads the last entry of a key as latest, and an exact version when asked', async () => {
    const client = await fakeProvider.connect(config, deps());
    const latest = await client.fetch({ key: 'db' });
    assert.equal(latest.versionId, 'v2');
    assert.equal(selectProperty(latest, 'db', 'password').toString(), 'p2');
    const v1 = await client.fetch({ key: 'db', version: 'v1' });
    assert.equal(selectProperty(v1, 'db', 'user').toString(), 'u1');
  });

  it('gives entries without a version a version id derived from the value', async () => {
    const a = await (await fakeProvider.connect(config, deps())).fetch({ key: 'api/token' });
    const b = await (await fakeProvider.connect({ data: [{ key: 'api/token', value: 'tok2' }] }, deps())).fetch({ key: 'api/token' });
    assert.match(a.versionId!, /^h-[0-9a-f]{12}$/);
    assert.notEqual(a.versionId, b.versionId);
  });

  it('rejects a missing key or version with a NotFound that carries no value', async () => {
    const observed: ProviderCallObservation[] = [];
    const client = await fakeProvider.connect(config, deps(observed));
    await assert.rejects(client.fetch({ key: 'nope' }), (e) => isNotFound(e));
    await assert.rejects(client.fetch({ key: 'db', version: 'v9' }), (e) => isNotFound(e) && !String(e.message).includes('p1'));
    assert.deepEqual(observed.map((o) => o.outcome), ['NotFound', 'NotFound']);
  });

  it('finds keys by regexp and path, and refuses a bad regexp as a config error', async () => {
    const client = await fakeProvider.connect(config, deps());
    assert.deepEqual(await client.find!({ name: compileUserPattern('^api/') }), ['api/other', 'api/token']);
    assert.deepEqual(await client.find!({ path: 'db' }), ['db']);
    assert.deepEqual(await client.find!({ name: compileUserPattern('.'), tags: { team: 'a' } }), []);
  });

  it('validates its config with field paths', () => {
    const store = { kind: 'SecretStore' as const, name: 's', namespace: 'ns' };
    assert.deepEqual(fakeProvider.validateConfig(config, store), []);
    assert.deepEqual(fakeProvider.validateConfig({}, store), []);
    assert.deepEqual(fakeProvider.validateConfig({ data: 'x' }, store), [{ field: 'spec.provider.fake.data', message: 'must be a list' }]);
    const issues = fakeProvider.validateConfig({ data: [{ key: 'a', value: 'b' }, { value: 3, version: '' }] }, store);
    assert.deepEqual(issues.map((i) => i.field), ['spec.provider.fake.data[1].key', 'spec.provider.fake.data[1].value', 'spec.provider.fake.data[1].version']);
    assert.equal(fakeProvider.validateConfig(null, store)[0]!.field, 'spec.provider.fake');
  });

  it('refuses to connect with a bad config and validates a good one', async () => {
    await assert.rejects(fakeProvider.connect({ data: [{}] } as never, deps()), (e) => isConfigError(e));
    const client = await fakeProvider.connect(config, deps());
    assert.deepEqual(await client.validate(), { warnings: [] });
    await client.close();
  });

  it('names each store as its own endpoint', () => {
    assert.equal(fakeProvider.endpointIdentity(config, { kind: 'ClusterSecretStore', name: 'c' }), 'fake:ClusterSecretStore//c');
  });
});
