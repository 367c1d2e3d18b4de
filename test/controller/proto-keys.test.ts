// A `__proto__` key from remote data is never dropped silently. The Kubernetes client writes
// and reads Secret data as plain objects, where such a key vanishes, so it cannot be carried
// into a Secret: wherever one arrives (a JSON field, a map of fields, a remote secret's name)
// the ExternalSecret says so with InvalidRemoteData naming it, writes nothing, and keys named
// after other things an object inherits are carried like any other.
import assert from 'node:assert/strict';
import { fakeProvider } from '../../providers/fake/index.js';
import type { Provider, ProviderClient, RemoteSecret } from '../../providers/contract/index.js';
import { createHarness } from './harness.js';

const PLANTED = 'planted-proto-value-51c7';

/** The fake provider, answering with a map of fields (as Vault's KV data and 1Password items are) parsed from the JSON value. */
const fieldsProvider = {
  ...fakeProvider,
  connect: async (config: never, deps: never) => {
    const client = await fakeProvider.connect(config, deps);
    const fetch = async (...args: Parameters<ProviderClient['fetch']>): Promise<RemoteSecret> => {
      const secret = await client.fetch(...args);
      const parsed = JSON.parse(secret.value.toString()) as Record<string, string>;
      return { ...secret, fields: Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, Buffer.from(v)])) };
    };
    return Object.assign(Object.create(client) as ProviderClient, { fetch });
  },
} as unknown as Provider;

async function reconciled(data: Array<{ key: string; value: string }>, spec: Record<string, unknown>, provider?: Provider) {
  const h = createHarness(provider ? { providers: { fake: provider } } : {});
  h.store('fake', 'ns', data);
  await h.reconcileStore('SecretStore/ns/fake');
  h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, ...spec });
  await h.reconcile('ns/app').catch(() => undefined);
  return h;
}

function assertRefused(h: ReturnType<typeof createHarness>, message: RegExp) {
  const ready = h.ready('app', 'ns')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'InvalidRemoteData');
  assert.match(ready.message, message);
  assert.ok(!JSON.stringify([ready, h.api.events]).includes(PLANTED), 'no value in status or Events');
  assert.equal(h.api.secrets.size, 0, 'nothing written');
}

describe('__proto__ keys from remote data', () => {
  it('a field "__proto__" of a remote map of fields, extracted: InvalidRemoteData naming the key', async () => {
    const h = await reconciled([{ key: 'item', value: `{"__proto__":"${PLANTED}","user":"u"}` }], { dataFrom: [{ extract: { key: 'item' } }] }, fieldsProvider);
    assertRefused(h, /data key "__proto__" cannot be carried by the Kubernetes client/);
  });

  it('a remote secret named "__proto__", found by name: InvalidRemoteData naming the key', async () => {
    const h = await reconciled([{ key: '__proto__', value: PLANTED }, { key: 'user', value: 'u' }], { dataFrom: [{ find: { name: { regexp: '.' } } }] });
    assertRefused(h, /data key "__proto__" cannot be carried by the Kubernetes client/);
  });

  it('a remote name rewritten to "__proto__": InvalidRemoteData naming the key', async () => {
    const h = await reconciled([{ key: 'proto', value: PLANTED }], { dataFrom: [{ find: { name: { regexp: '^proto$' } }, rewrite: [{ regexp: { source: '^proto$', target: '__proto__' } }] }] });
    assertRefused(h, /data key "__proto__" cannot be carried by the Kubernetes client/);
  });

  it('fields named after other inherited names are carried, from a map of fields and by property', async () => {
    const h = await reconciled([{ key: 'item', value: '{"constructor":"c","toString":"t","hasOwnProperty":"h"}' }], {
      dataFrom: [{ extract: { key: 'item' } }],
      data: [{ secretKey: 'ctor', remoteRef: { key: 'item', property: 'constructor' } }],
    }, fieldsProvider);
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced');
    const secret = h.api.secrets.get(`ns/${h.get('app', 'ns').status!.currentSecretName}`)!;
    assert.deepEqual(Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])), { constructor: 'c', toString: 't', hasOwnProperty: 'h', ctor: 'c' });
  });

  it('a property named after an inherited name that the map does not have is a missing property, not a value', async () => {
    const h = await reconciled([{ key: 'item', value: '{"user":"u"}' }], { data: [{ secretKey: 'x', remoteRef: { key: 'item', property: 'constructor' } }] }, fieldsProvider);
    const ready = h.ready('app', 'ns')!;
    assert.equal(ready.reason, 'SecretSyncedError');
    assert.equal(ready.message, 'NotFound: spec.data[0].remoteRef.property: property "constructor" not found in remote secret "item"');
  });
});
