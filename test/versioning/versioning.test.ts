import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildVersionedSecret, contentHash, versionsToPrune, DEFAULT_RETENTION, MAX_YOUNG_VERSIONS } from '../../src/versioning/index.js';

const KEY = Buffer.alloc(32, 1);

const content = (data: Record<string, string>, extra: Partial<{ type: string; labels: Record<string, string>; annotations: Record<string, string> }> = {}) => ({
  type: extra.type ?? 'Opaque',
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])),
  labels: extra.labels ?? {},
  annotations: extra.annotations ?? {},
});

describe('content hash', () => {
  it('is 10 hex, stable under key order, and changes with type, data, labels and annotations', () => {
    const h = contentHash(content({ a: '1', b: '2' }), KEY);
    assert.match(h, /^[0-9a-f]{10}$/);
    assert.equal(contentHash(content({ b: '2', a: '1' }), KEY), h);
    assert.notEqual(contentHash(content({ a: '1', b: '3' }), KEY), h);
    assert.notEqual(contentHash(content({ a: '1', b: '2' }, { type: 'kubernetes.io/tls' }), KEY), h);
    assert.notEqual(contentHash(content({ a: '1', b: '2' }, { labels: { x: 'y' } }), KEY), h);
    assert.notEqual(contentHash(content({ a: '1', b: '2' }, { annotations: { x: 'y' } }), KEY), h);
    // No ambiguity between keys and values.
    assert.notEqual(contentHash(content({ 'a=1': '' }), KEY), contentHash(content({ a: '=1' }), KEY));
  });

  it('is keyed: another key gives another name, and a PIN cannot be found from its name by hashing guesses', () => {
    const pin = content({ pin: '0429' });
    const named = contentHash(pin, KEY);
    assert.notEqual(contentHash(pin, Buffer.alloc(32, 2)), named);
    // The attack on an unkeyed hash: hash every 4-digit PIN and compare with the name.
    const canonical = (p: string) => JSON.stringify(['keyferry.io/v1', 'Opaque', [['pin', Buffer.from(p).toString('base64')]], [], []]);
    const search = (name: string) => {
      for (let i = 0; i < 10_000; i++) {
        const guess = String(i).padStart(4, '0');
        if (createHash('sha256').update(canonical(guess)).digest('hex').startsWith(name)) return guess;
      }
      return undefined;
    };
    assert.equal(search(createHash('sha256').update(canonical('0429')).digest('hex').slice(0, 10)), '0429', 'the search finds an unkeyed name');
    assert.equal(search(named), undefined, 'but not the keyed one');
  });
});

describe('buildVersionedSecret', () => {
  const input = {
    namespace: 'ns', externalSecretName: 'es', targetName: 'app', type: 'Opaque',
    data: { password: Buffer.from('planted-value') },
    templateLabels: { team: 'a' }, templateAnnotations: {},
    remoteVersions: { 'db': 'v2' },
    key: KEY,
  };

  it('names the Secret by hash, makes it immutable, labels it, and records version ids only', () => {
    const { hash, secret } = buildVersionedSecret(input);
    assert.equal(secret.metadata.name, `app-${hash}`);
    assert.equal(secret.immutable, true);
    assert.equal(secret.data.password, Buffer.from('planted-value').toString('base64'));
    assert.deepEqual(secret.metadata.labels, { team: 'a', 'keyferry.io/external-secret': 'es', 'keyferry.io/target': 'app', 'keyferry.io/managed': 'true' });
    assert.equal(secret.metadata.annotations['keyferry.io/remote-versions'], '{"db":"v2"}');
    assert.ok(!JSON.stringify(secret.metadata).includes('planted-value'));
    assert.equal(secret.metadata.ownerReferences, undefined);
  });

  it('adds a controller owner reference for creationPolicy Owner', () => {
    const { secret } = buildVersionedSecret({ ...input, owner: { apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', name: 'es', uid: 'u1' } });
    assert.deepEqual(secret.metadata.ownerReferences, [{ apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', name: 'es', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
  });

  it('does not change the name when only remote version ids change', () => {
    assert.equal(buildVersionedSecret(input).hash, buildVersionedSecret({ ...input, remoteVersions: { db: 'v3' } }).hash);
  });
});

describe('versionsToPrune', () => {
  const hour = 3600_000;
  const now = 100 * hour;
  const v = (name: string, ageHours: number) => ({ name, createdAt: new Date(now - ageHours * hour) });
  const versions = [v('v1', 50), v('v2', 40), v('v3', 30), v('v4', 20), v('v5', 10)];

  it('keeps the current and the retain newest previous ones, deleting the rest oldest first', () => {
    assert.deepEqual(versionsToPrune(versions, 'v5', DEFAULT_RETENTION, now), ['v1', 'v2']);
    assert.deepEqual(versionsToPrune(versions, 'v5', { retain: 0, minRetentionMs: 0 }, now), ['v1', 'v2', 'v3', 'v4']);
  });

  it('keeps the current version even when it is not the newest', () => {
    assert.deepEqual(versionsToPrune(versions, 'v1', { retain: 1, minRetentionMs: 0 }, now), ['v2', 'v3', 'v4']);
  });

  it('keeps versions younger than minRetention', () => {
    assert.deepEqual(versionsToPrune(versions, 'v5', { retain: 0, minRetentionMs: 35 * hour }, now), ['v1', 'v2']);
  });

  it('keeps at most maxYoung versions younger than minRetention beyond retain, never one in use', () => {
    const burst = Array.from({ length: 51 }, (_, i) => ({ name: `v${i}`, createdAt: new Date(now - (51 - i) * 60_000) }));
    const pruned = versionsToPrune(burst, 'v50', DEFAULT_RETENTION, now, (n) => n === 'v0');
    assert.equal(burst.length - pruned.length, 1 + DEFAULT_RETENTION.retain + MAX_YOUNG_VERSIONS + 1);
    assert.ok(!pruned.includes('v0') && !pruned.includes('v49') && pruned.includes('v1'));
  });

  it('keeps versions the in-use hook reports', () => {
    assert.deepEqual(versionsToPrune(versions, 'v5', { retain: 0, minRetentionMs: 0 }, now, (n) => n === 'v2'), ['v1', 'v3', 'v4']);
  });
});

describe('versionsToPrune ordering', () => {
  it('breaks ties between versions created in the same second by sequence', () => {
    const t = new Date(1_000_000);
    const versions = [{ name: 'b', createdAt: t, sequence: 1 }, { name: 'a', createdAt: t, sequence: 2 }, { name: 'c', createdAt: t, sequence: 3 }];
    assert.deepEqual(versionsToPrune(versions, 'c', { retain: 1, minRetentionMs: 0 }, 2_000_000), ['b']);
  });
});
