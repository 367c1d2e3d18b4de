// `data[].remoteRef.metadataPolicy: Fetch` (as External Secrets Operator): the entry's value is
// the remote secret's user metadata (AWS tags, GCP labels and annotations, Vault KV v2
// custom_metadata, Azure tags), all of it as JSON or one entry by `property`. A provider that
// reads no such metadata is refused by name before any provider call.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { fakeProvider } from '../../providers/fake/index.js';
import type { Provider, ProviderClient, RemoteSecret } from '../../providers/contract/index.js';
import { createHarness } from './harness.js';

const PLANTED_TAG = 'planted-tag-value-8d21';
const PLANTED_VALUE = 'planted-secret-value-4e07';

/** The fake provider reading user metadata through `fetchMetadata`, as the AWS, GCP, Vault and Azure clients do; `tags` is read on each call. */
function taggedProvider(tags: Record<string, Record<string, string>>): Provider {
  return {
    ...fakeProvider,
    connect: async (config: never, deps: never) => {
      const client = await fakeProvider.connect(config, deps);
      const fetchMetadata = async (...args: Parameters<ProviderClient['fetch']>): Promise<RemoteSecret> => {
        const secret = await client.fetch(...args);
        return { ...secret, userMetadata: { ...(tags[args[0].key] ?? {}) } };
      };
      return Object.assign(Object.create(client) as ProviderClient, { fetchMetadata });
    },
  } as unknown as Provider;
}

/** The plain fake provider (no metadata), counting every call its client is asked to make. */
function countedProvider(calls: string[]): Provider {
  return {
    ...fakeProvider,
    connect: async (config: never, deps: never) => {
      const client = await fakeProvider.connect(config, deps);
      const counted = Object.create(client) as ProviderClient;
      for (const method of ['fetch', 'fetchMany', 'find'] as const) {
        const original = client[method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
        if (original) Object.assign(counted, { [method]: (...args: unknown[]) => { calls.push(method); return original.apply(client, args); } });
      }
      return counted;
    },
  } as unknown as Provider;
}

function logSink(): { lines: string[]; logger: ReturnType<typeof pino> } {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'trace' }, { write: (line: string) => { lines.push(line); } }) };
}

async function reconciled(spec: Record<string, unknown>, provider?: Provider) {
  const sink = logSink();
  const h = createHarness({ ...(provider ? { providers: { fake: provider } } : {}), logger: sink.logger });
  h.store('fake', 'ns', [{ key: 'db', value: PLANTED_VALUE }, { key: 'bare', value: 'x' }]);
  await h.reconcileStore('SecretStore/ns/fake');
  h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, ...spec });
  await h.reconcile('ns/app').catch(() => undefined);
  return { h, logs: sink.lines };
}

function secretData(h: ReturnType<typeof createHarness>): Record<string, string> {
  const name = h.get('app', 'ns').status?.currentSecretName;
  assert.ok(name, 'a Secret was written');
  const secret = h.api.secrets.get(`ns/${name}`)!;
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

/** Nothing the operator says about the ExternalSecret (status, Events, logs) holds a metadata or secret value. */
function assertQuiet(h: ReturnType<typeof createHarness>, logs: string[], logged = true): void {
  // A sync that wrote a Secret logs it; one that failed may say so only in status and Events.
  if (logged) assert.ok(logs.length > 0, 'the reconcile logged something to look through');
  const said = JSON.stringify(h.get('app', 'ns').status) + JSON.stringify(h.api.events) + logs.join('');
  for (const planted of [PLANTED_TAG, PLANTED_VALUE]) assert.ok(!said.includes(planted), `"${planted}" appears in status, Events or logs`);
}

describe('data[].remoteRef.metadataPolicy: Fetch', () => {
  const tags = { db: { owner: 'team-a', rotation: PLANTED_TAG, '<b>': 'a&b', config: '{"tier":"gold"}' } };

  it('without property: the JSON object of all metadata, keys sorted and escaped as Go writes a map; beside it the value as before', async () => {
    const { h, logs } = await reconciled({
      data: [
        { secretKey: 'meta', remoteRef: { key: 'db', metadataPolicy: 'Fetch' } },
        { secretKey: 'value', remoteRef: { key: 'db' } },
        { secretKey: 'explicitNone', remoteRef: { key: 'db', metadataPolicy: 'None' } },
      ],
    }, taggedProvider(tags));
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced');
    const data = secretData(h);
    assert.equal(data.meta, `{"\\u003cb\\u003e":"a\\u0026b","config":"{\\"tier\\":\\"gold\\"}","owner":"team-a","rotation":"${PLANTED_TAG}"}`);
    assert.deepEqual(JSON.parse(data.meta!), tags.db);
    assert.equal(data.value, PLANTED_VALUE);
    assert.equal(data.explicitNone, PLANTED_VALUE);
    assertQuiet(h, logs);
  });

  it('with property: the one entry, a dotted path into an entry holding JSON, and decodingStrategy applied', async () => {
    const encoded = { db: { ...tags.db, b64: Buffer.from(PLANTED_TAG).toString('base64') } };
    const { h, logs } = await reconciled({
      data: [
        { secretKey: 'rotation', remoteRef: { key: 'db', metadataPolicy: 'Fetch', property: 'rotation' } },
        { secretKey: 'tier', remoteRef: { key: 'db', metadataPolicy: 'Fetch', property: 'config.tier' } },
        { secretKey: 'decoded', remoteRef: { key: 'db', metadataPolicy: 'Fetch', property: 'b64', decodingStrategy: 'Base64' } },
      ],
    }, taggedProvider(encoded));
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced');
    assert.deepEqual(secretData(h), { rotation: PLANTED_TAG, tier: 'gold', decoded: PLANTED_TAG });
    assertQuiet(h, logs);
  });

  it('a secret without metadata gives {}', async () => {
    const { h } = await reconciled({ data: [{ secretKey: 'meta', remoteRef: { key: 'bare', metadataPolicy: 'Fetch' } }] }, taggedProvider(tags));
    assert.equal(h.ready('app', 'ns')!.reason, 'SecretSynced');
    assert.deepEqual(secretData(h), { meta: '{}' });
  });

  it('a missing entry fails the sync as a missing property does, naming the entry and not the values', async () => {
    const { h, logs } = await reconciled({ data: [{ secretKey: 'x', remoteRef: { key: 'db', metadataPolicy: 'Fetch', property: 'absent' } }] }, taggedProvider(tags));
    const ready = h.ready('app', 'ns')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'SecretSyncedError');
    assert.equal(ready.message, 'NotFound: spec.data[0].remoteRef.property: metadata "absent" not found on remote secret "db"');
    assert.equal(h.api.secrets.size, 0);
    assertQuiet(h, logs, false);
  });

  it('a provider that reads no metadata is refused with InvalidSpec naming the field and the provider before any provider call, and nothing is written', async () => {
    const calls: string[] = [];
    // The value entry comes first: the refusal still precedes its fetch.
    const { h, logs } = await reconciled({
      data: [
        { secretKey: 'value', remoteRef: { key: 'db' } },
        { secretKey: 'meta', remoteRef: { key: 'db', metadataPolicy: 'Fetch' } },
      ],
    }, countedProvider(calls));
    const ready = h.ready('app', 'ns')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'InvalidSpec');
    assert.match(ready.message, /^spec\.data\[1\]\.remoteRef\.metadataPolicy: Fetch is not supported by this store's provider "fake"/);
    assert.deepEqual(calls, [], 'no provider call was made');
    assert.equal(h.api.secrets.size, 0, 'no empty value written');
    assertQuiet(h, logs, false);
  });

  it('a changed tag is a new version on the next sync', async () => {
    const live = { db: { owner: 'team-a' } };
    const { h } = await reconciled({ data: [{ secretKey: 'owner', remoteRef: { key: 'db', metadataPolicy: 'Fetch', property: 'owner' } }] }, taggedProvider(live));
    const first = h.get('app', 'ns').status!.currentSecretName;
    live.db.owner = 'team-b';
    h.es('app', 'ns', { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'owner', remoteRef: { key: 'db', metadataPolicy: 'Fetch', property: 'owner' } }], refreshInterval: '1s' });
    await h.reconcile('ns/app');
    assert.notEqual(h.get('app', 'ns').status!.currentSecretName, first);
    assert.deepEqual(secretData(h), { owner: 'team-b' });
  });
});
