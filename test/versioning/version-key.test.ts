import assert from 'node:assert/strict';
import type { SecretObject } from '../../src/kube/kube-object.js';
import { VERSION_KEY_DATA_KEY, VERSION_KEY_SECRET_NAME, VersionKeyError, loadOrCreateVersionKey, type VersionKeyApi } from '../../src/versioning/index.js';

/** Secrets by namespace/name, with the API server's answers to get and create (409 when the name is taken). */
class SecretsApi implements VersionKeyApi {
  readonly secrets = new Map<string, SecretObject>();
  creates = 0;
  /** Runs between this replica's GET (404) and its create: another replica's create, for instance. */
  beforeCreate?: () => Promise<void>;

  async getSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    const s = this.secrets.get(`${namespace}/${name}`);
    return s && structuredClone(s);
  }

  async createSecret(secret: SecretObject): Promise<SecretObject | undefined> {
    await this.beforeCreate?.();
    const key = `${secret.metadata!.namespace}/${secret.metadata!.name}`;
    if (this.secrets.has(key)) return undefined;
    this.creates++;
    this.secrets.set(key, structuredClone(secret));
    return structuredClone(secret);
  }
}

const fill = (byte: number) => (n: number) => Buffer.alloc(n, byte);

describe('version key', () => {
  it('is generated once into an immutable Secret of the operator namespace, and read back at every start', async () => {
    const api = new SecretsApi();
    const first = await loadOrCreateVersionKey(api, { namespace: 'keyferry-system' }, fill(1));
    assert.equal(first.created, true);
    const stored = api.secrets.get(`keyferry-system/${VERSION_KEY_SECRET_NAME}`)!;
    assert.equal(stored.immutable, true);
    assert.equal(Buffer.from(stored.data![VERSION_KEY_DATA_KEY]!, 'base64').length, 32);
    // A restart with another random source still reads the same key.
    const again = await loadOrCreateVersionKey(api, { namespace: 'keyferry-system' }, fill(2));
    assert.deepEqual(again, { key: first.key, created: false });
    assert.equal(api.creates, 1);
  });

  it('makes two replicas starting together agree on the first key written', async () => {
    const api = new SecretsApi();
    let other: Promise<{ key: Buffer }> | undefined;
    // Replica B creates its key between replica A's GET and A's create.
    api.beforeCreate = async () => {
      api.beforeCreate = undefined;
      other = loadOrCreateVersionKey(api, { namespace: 'ops' }, fill(9));
      await other;
    };
    const a = await loadOrCreateVersionKey(api, { namespace: 'ops' }, fill(1));
    const b = await other!;
    assert.deepEqual(a.key, b.key);
    assert.deepEqual(a.key, Buffer.alloc(32, 9));
    assert.equal(api.creates, 1);
  });

  it('refuses a malformed key Secret instead of replacing it (that would rename every version)', async () => {
    const api = new SecretsApi();
    api.secrets.set(`ops/${VERSION_KEY_SECRET_NAME}`, { metadata: { name: VERSION_KEY_SECRET_NAME, namespace: 'ops' }, data: { [VERSION_KEY_DATA_KEY]: Buffer.alloc(8).toString('base64') } });
    await assert.rejects(loadOrCreateVersionKey(api, { namespace: 'ops' }), (e: unknown) => e instanceof VersionKeyError && /restore it from backup/.test(e.message) && !e.message.includes('AAAA'));
    assert.equal(api.creates, 0);
  });
});
