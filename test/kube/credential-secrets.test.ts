// Credential Secrets against the dev cluster: only the Secrets stores reference are watched
// (one watch each, by name) and held (only the keys referenced); a change is reported; a Secret
// nobody references is never requested.
import assert from 'node:assert/strict';
import { useDevClusterClient } from './dev-cluster-client.js';
import { CredentialSecretCache, secretWatchFactory } from '../../src/kube/credential-secrets.js';

const quiet = { warn() {}, debug() {} };

async function eventually(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (name: string, namespace: string, data: Record<string, string>) => ({
  apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(data) } },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

describe('credential Secrets', function () {
  this.timeout(30_000);
  const dev = useDevClusterClient({ qps: 1000, burst: 1000 });
  let cache: CredentialSecretCache | undefined;

  before(async () => {
    await dev.cluster.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops' } }]);
  });
  afterEach(async () => {
    await cache?.stop();
    cache = undefined;
  });

  /** A cache over the dev cluster that records which Secrets it read and watched. */
  function recordingCache(namespace?: string) {
    const gets: string[] = [];
    const watches: string[] = [];
    const watch = secretWatchFactory(dev.client, quiet);
    const c = new CredentialSecretCache({
      reader: { getSecret: (ns, name) => { gets.push(`${ns}/${name}`); return dev.client.getSecret(ns, name); } },
      watch: (ns, name, transform) => { watches.push(`${ns}/${name}`); return watch(ns, name, transform); },
      logger: quiet,
      namespace,
    });
    const changes: string[] = [];
    c.onChange((ns, name) => changes.push(`${ns}/${name}`));
    cache = c;
    return { cache: c, gets, watches, changes };
  }

  it('watches and holds only the referenced keys of referenced Secrets, reports their changes, and requests no other Secret', async () => {
    await dev.cluster.apply([
      secret('creds', 'team', { token: 'first', unused: 'never-held' }),
      secret('unrelated', 'team', { token: 'not-ours' }),
    ]);
    dev.cluster.stats.reset();
    const { cache: c, gets, watches, changes } = recordingCache();
    c.track('SecretStore/team/s', [{ namespace: 'team', name: 'creds', key: 'token' }]);
    await eventually(() => changes.length === 1, 'the referenced Secret seen');
    const held = (await c.read('team', 'creds', 'token'))!;
    assert.deepEqual(held.data, { token: b64('first') });
    assert.equal(held.metadata?.annotations, undefined, 'no annotation (kubectl\'s copy of the data) is held');
    assert.deepEqual(gets, [], 'read from the cache once watched');

    await dev.cluster.apply(secret('unrelated', 'team', { token: 'changed' }));
    await dev.cluster.apply(secret('creds', 'team', { token: 'second', unused: 'never-held' }));
    await eventually(() => changes.length === 2, 'the change reported');
    assert.deepEqual(changes, ['team/creds', 'team/creds'], 'the unrelated Secret changing reports nothing');
    assert.deepEqual((await c.read('team', 'creds', 'token'))!.data, { token: b64('second') });
    assert.deepEqual(watches, ['team/creds']);
    // The referenced name's state comes from its watch (watch-list), not a list.
    assert.equal(dev.cluster.stats.count('list', 'secrets'), 0, 'no list');
    assert.equal(dev.cluster.stats.count('watch', 'secrets'), 1, 'one watch, of the referenced name');
    assert.equal(dev.cluster.stats.count('get', 'secrets'), 0);

    // No store references it any more: its watch stops and nothing is held.
    c.track('SecretStore/team/s', []);
    assert.deepEqual(c.watched(), []);
    assert.equal(c.size, 0);
  });

  it('a Secret that appears later is reported; a second store referencing another key of it watches again with both keys', async () => {
    const { cache: c, changes } = recordingCache();
    c.track('SecretStore/team/late', [{ namespace: 'team', name: 'late', key: 'a' }]);
    assert.equal(await c.read('team', 'late', 'a'), undefined, 'not found');
    await dev.cluster.apply(secret('late', 'team', { a: '1', b: '2' }));
    await eventually(() => changes.includes('team/late'), 'the new Secret reported');
    c.track('SecretStore/team/other', [{ namespace: 'team', name: 'late', key: 'b' }]);
    assert.deepEqual((await c.read('team', 'late', 'b'))!.data?.b, b64('2'));
    await eventually(() => c.watched().length === 1, 'one watch');
    c.track('SecretStore/team/late', []);
    assert.deepEqual(c.watched(), ['team/late'], 'still referenced by the other store');
  });

  it('with --namespace, a Secret of another namespace is read on demand and never watched', async () => {
    await dev.cluster.apply(secret('shared', 'ops', { token: 'ops-token' }));
    const { cache: c, gets, watches } = recordingCache('team');
    c.track('ClusterSecretStore/c', [{ namespace: 'ops', name: 'shared', key: 'token' }]);
    assert.deepEqual(watches, []);
    assert.equal((await c.read('ops', 'shared', 'token'))!.data?.token, b64('ops-token'));
    assert.deepEqual(gets, ['ops/shared']);
  });
});
