// Entries of one ExternalSecret that name the same remote secret take their fields from one
// read of it: a rotation landing between two reads of a sync (the cached read expiring
// mid-sync, or a forced sync that bypasses the cache) must not give a version that pairs the old
// user with the new password, or an old label with new metadata.
import assert from 'node:assert/strict';
import { NotFoundError, type ProviderClient, type RemoteRef, type RemoteSecret } from '../../providers/contract/index.js';
import { fetchSecretData } from '../../src/controller/secret-data.js';
import type { ExternalSecretSpec } from '../../src/controller/types.js';
import type { FetchOptions, RemoteFetcher, StoreHandle } from '../../src/fetch/remote-fetcher.js';

/** A remote secret that rotates at every read: read n holds user-n, password-n and owner label n. */
function rotatingFetcher(): { fetcher: RemoteFetcher; calls: Array<{ ref: RemoteRef; options?: FetchOptions }> } {
  const calls: Array<{ ref: RemoteRef; options?: FetchOptions }> = [];
  const fetcher: RemoteFetcher = {
    fetch: async (_store, ref, options) => {
      calls.push({ ref, options });
      const n = calls.length;
      const secret: RemoteSecret = {
        value: Buffer.from(JSON.stringify({ user: `user-${n}`, password: `password-${n}` })),
        versionId: `v${n}`,
      };
      return ref.metadata ? { ...secret, userMetadata: { owner: `owner-${n}`, team: `team-${n}` } } : secret;
    },
    find: async () => ['db', 'other'],
    forgetStore: () => undefined,
  };
  return { fetcher, calls };
}

const store: StoreHandle = {
  id: 'SecretStore/ns/s#1', label: 'ns/s', provider: 'fake', endpoint: 'fake', rateLimit: { requestsPerSecond: 10, burst: 10, maxConcurrent: 1 },
  // What the store's client can do, as the checks before any read ask; the reads go to the fetcher.
  client: { fetch: async () => ({ value: Buffer.alloc(0) }), fetchMetadata: async () => ({ value: Buffer.alloc(0) }), find: async () => [] } as unknown as ProviderClient,
};

const text = (data: Record<string, Buffer>): Record<string, string> => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.toString()]));

describe('one read of each remote secret per sync', () => {
  const spec: ExternalSecretSpec = {
    secretStoreRef: { name: 's' },
    dataFrom: [{ extract: { key: 'db' } }, { find: { name: { regexp: '.*' } } }],
    data: [
      { secretKey: 'user', remoteRef: { key: 'db', property: 'user' } },
      { secretKey: 'password', remoteRef: { key: 'db', property: 'password' } },
      { secretKey: 'owner', remoteRef: { key: 'db', metadataPolicy: 'Fetch', property: 'owner' } },
      { secretKey: 'labels', remoteRef: { key: 'db', metadataPolicy: 'Fetch' } },
      { secretKey: 'pinned', remoteRef: { key: 'db', version: 'v0', property: 'user' } },
    ],
  } as ExternalSecretSpec;

  for (const fresh of [false, true]) {
    it(`entries of one key, value or metadata, come from one read each${fresh ? ' (a forced sync, past the cache)' : ''}`, async () => {
      const { fetcher, calls } = rotatingFetcher();
      const fetched = await fetchSecretData(spec, fetcher, store, { fresh, maxAgeMs: 1000 });
      // db's value once (extract, find and both properties), other's value, db's metadata, db at v0.
      assert.deepEqual(calls.map((c) => [c.ref.key, c.ref.version ?? null, c.ref.metadata === true]), [
        ['db', null, false], ['other', null, false], ['db', null, true], ['db', 'v0', false],
      ]);
      assert.ok(calls.every((c) => c.options?.fresh === fresh), 'the caller\'s options reach every read');
      const data = text(fetched.data);
      assert.equal(data.user, 'user-1');
      assert.equal(data.password, 'password-1', 'the password of the same read as the user');
      assert.equal(data.db, JSON.stringify({ user: 'user-1', password: 'password-1' }), 'find reads db as extract did');
      assert.equal(data.owner, 'owner-3');
      assert.equal(data.labels, JSON.stringify({ owner: 'owner-3', team: 'team-3' }), 'every metadata entry of the same read');
      assert.equal(data.pinned, 'user-4', 'another version is another read');
      assert.equal(fetched.remoteVersions.user, 'v1');
      assert.equal(fetched.remoteVersions.password, 'v1');
    });
  }

  it('a missing remote secret is read once and listed once', async () => {
    const calls: string[] = [];
    const notFound: RemoteFetcher = {
      fetch: async (_store, ref) => {
        calls.push(ref.key);
        throw new NotFoundError(`remote secret "${ref.key}" not found`);
      },
      find: async () => [],
      forgetStore: () => undefined,
    };
    const gone = { secretStoreRef: { name: 's' }, data: [
      { secretKey: 'a', remoteRef: { key: 'gone', property: 'a' } },
      { secretKey: 'b', remoteRef: { key: 'gone', property: 'b' } },
    ] } as ExternalSecretSpec;
    const fetched = await fetchSecretData(gone, notFound, store, {}, { skipMissing: true });
    assert.deepEqual(calls, ['gone']);
    assert.deepEqual(fetched.missing, ['gone']);
    assert.deepEqual(Object.keys(fetched.data), []);
  });
});
