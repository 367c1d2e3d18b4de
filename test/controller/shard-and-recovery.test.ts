import assert from 'node:assert/strict';
import { DirectFetcher } from '../../src/fetch/direct-fetcher.js';
import { ownsGroup, shardOf } from '../../src/controller/shard.js';
import { remoteGroupKey } from '../../src/controller/remote-group.js';
import type { ExternalSecretResource } from '../../src/controller/types.js';
import { createHarness, drainQueue } from './harness.js';

const es = (name: string, ns: string, key: string, store = { kind: 'ClusterSecretStore', name: 'aws' }) =>
  ({ metadata: { name, namespace: ns }, spec: { secretStoreRef: store, data: [{ secretKey: 'v', remoteRef: { key } }] } }) as ExternalSecretResource;

const drain = async (queue: Parameters<typeof drainQueue>[0]) => (await drainQueue(queue)).sort();

describe('sharding ExternalSecrets between replicas', () => {
  it('groups by store and first remote key: readers of one remote secret share a group, namespaced stores do not', () => {
    assert.equal(remoteGroupKey(es('a', 'team-1', 'db')), remoteGroupKey(es('b', 'team-2', 'db')));
    assert.notEqual(remoteGroupKey(es('a', 'team-1', 'db')), remoteGroupKey(es('a', 'team-1', 'cache')));
    const local = { kind: 'SecretStore', name: 'aws' };
    assert.notEqual(remoteGroupKey(es('a', 'team-1', 'db', local)), remoteGroupKey(es('a', 'team-2', 'db', local)));
    const findOnly = { metadata: { name: 'x', namespace: 'n' }, spec: { secretStoreRef: local, dataFrom: [{ find: { name: { regexp: '.*' } } }] } } as ExternalSecretResource;
    assert.equal(remoteGroupKey(findOnly), 'SecretStore/n/aws|n/x');
  });

  it('every group belongs to exactly one of the shards, and the split is even', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      const key = `ClusterSecretStore/aws|app-${i}`;
      const owners = [0, 1, 2].filter((index) => ownsGroup({ index, count: 3 }, key));
      assert.deepEqual(owners, [shardOf(key, 3)]);
      counts[owners[0]!]!++;
    }
    for (const c of counts) assert.ok(c > 900 && c < 1100, `shard share ${c} of 3000`);
    assert.equal(ownsGroup(undefined, 'x'), true);
    assert.equal(ownsGroup({ index: 0, count: 1 }, 'x'), true);
  });

  it('a replica queues and reconciles only the ExternalSecrets of its shard, and forgets one that moved away', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `app-${i}`);
    const owned = keys.filter((k) => shardOf(`SecretStore/ns/fake|${k}`, 2) === 1);
    const h = createHarness({ shard: { index: 1, count: 2 } });
    h.store('fake', 'ns', keys.map((key) => ({ key, value: `v-${key}` })));
    await h.reconcileStore('SecretStore/ns/fake');
    await drain(h.controller.externalSecretQueue);
    for (const k of keys) h.es(k, 'ns', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'v', remoteRef: { key: k } }] });
    assert.deepEqual(await drain(h.controller.externalSecretQueue), owned.map((k) => `ns/${k}`).sort());
    assert.ok(owned.length > 10 && owned.length < 30);
    // Not owned: nothing is read or written for it even if its key reaches a worker.
    const foreign = keys.find((k) => !owned.includes(k))!;
    assert.equal(h.controller.owns(`ns/${foreign}`), false);
    assert.equal(h.controller.owns(`ns/${owned[0]}`), true);
    assert.equal(h.controller.owns('ns/deleted-one'), true, 'a deleted ExternalSecret is forgotten by whoever sees it');
  });
});

describe('recovery after a provider outage', () => {
  it('re-queues the store\'s ExternalSecrets that are not Ready, and only those, when the circuit closes', async () => {
    let recovered: ((storeId: string) => void) | undefined;
    const direct = new DirectFetcher();
    const fetcher = {
      fetch: direct.fetch.bind(direct),
      find: direct.find.bind(direct),
      forgetStore: () => undefined,
      onStoreRecovered: (listener: (storeId: string) => void) => { recovered = listener; },
    };
    const h = createHarness({ fetcher });
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    h.store('other', 'ns', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/ns/fake');
    await h.reconcileStore('SecretStore/ns/other');
    for (const name of ['healthy', 'stale', 'elsewhere']) {
      h.es(name, 'ns', { secretStoreRef: { name: name === 'elsewhere' ? 'other' : 'fake' }, data: [{ secretKey: 'v', remoteRef: { key: 'db' } }] });
      await h.reconcile(`ns/${name}`);
    }
    // What an outage leaves behind: one ExternalSecret's last refresh failed.
    for (const name of ['stale', 'elsewhere']) {
      const obj = h.get(name, 'ns');
      h.caches.externalSecrets.set({ ...obj, status: { ...obj.status, conditions: [{ type: 'Ready', status: 'False', reason: 'Stale', message: 'Unavailable' }] } } as never);
    }
    await drain(h.controller.externalSecretQueue);
    assert.ok(recovered, 'the controller listens for recoveries');
    recovered!('SecretStore/ns/fake#0123abcd');
    assert.deepEqual(await drain(h.controller.externalSecretQueue), ['ns/stale']);
  });
});
