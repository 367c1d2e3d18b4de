import assert from 'node:assert/strict';
import { EXPIRING_SOON_MS, expiryConditions, nextExpiryTransition, withExpiryConditions } from '../../src/versioning/expiry.js';
import { maxAgePeriod } from '../../src/versioning/max-age.js';
import { nextPruneAt } from '../../src/versioning/retention.js';

const DAY = 86_400_000;

describe('remote expiry conditions', () => {
  const expiresAt = '2030-01-10T00:00:00.000Z';
  const at = Date.parse(expiresAt);
  const state = (now: number) => Object.fromEntries(expiryConditions(expiresAt, now, []).map((c) => [c.type, `${c.status} ${c.reason}`]));

  it('go ExpiringSoon ahead of the expiry and Expired once it passes, each turning at its own instant', () => {
    assert.deepEqual(state(at - EXPIRING_SOON_MS - 1), { Expired: 'False NotExpired', ExpiringSoon: 'False NotExpiringSoon' });
    assert.deepEqual(state(at - EXPIRING_SOON_MS), { Expired: 'False NotExpired', ExpiringSoon: 'True RemoteExpiresSoon' });
    assert.deepEqual(state(at), { Expired: 'True RemoteExpired', ExpiringSoon: 'False RemoteExpired' });
    assert.equal(nextExpiryTransition(expiresAt, at - 30 * DAY), at - EXPIRING_SOON_MS);
    assert.equal(nextExpiryTransition(expiresAt, at - DAY), at);
    assert.equal(nextExpiryTransition(expiresAt, at), undefined);
    assert.deepEqual(expiryConditions(undefined, at, []), []);
  });

  it('keep their transition time while unchanged, and replace only themselves in a condition list', () => {
    const first = withExpiryConditions([{ type: 'Ready', status: 'True', reason: 'SecretSynced' }], expiresAt, at - DAY, 3);
    const later = withExpiryConditions(first, expiresAt, at - 1000, 3);
    assert.deepEqual(later.map((c) => c.type), ['Ready', 'Expired', 'ExpiringSoon']);
    assert.equal(later[2]!.lastTransitionTime, first[2]!.lastTransitionTime);
    assert.equal(later[2]!.observedGeneration, 3);
    const expired = withExpiryConditions(later, expiresAt, at + 1, 3);
    assert.notEqual(expired[1]!.lastTransitionTime, first[1]!.lastTransitionTime);
    assert.deepEqual(withExpiryConditions(expired, undefined, at, 3).map((c) => c.type), ['Ready'], 'no expiry reported any more: gone');
  });
});

describe('maxAge periods', () => {
  it('cut time into maxAge-long periods, offset per ExternalSecret, each starting where the last ended', () => {
    const maxAge = 3_600_000;
    const now = Date.parse('2030-01-01T12:00:00Z');
    const p = maxAgePeriod(maxAge, now, 'ns/db');
    assert.ok(Date.parse(p.startedAt) <= now && now < p.endsAt);
    assert.equal(p.endsAt - Date.parse(p.startedAt), maxAge);
    assert.deepEqual(maxAgePeriod(maxAge, p.endsAt - 1, 'ns/db'), p, 'same period up to its end');
    assert.equal(maxAgePeriod(maxAge, p.endsAt, 'ns/db').startedAt, new Date(p.endsAt).toISOString());
    const offsets = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => maxAgePeriod(maxAge, now, `ns/${k}`).endsAt));
    assert.ok(offsets.size > 1, 'ExternalSecrets do not all renew at once');
  });
});

describe('nextPruneAt', () => {
  it('is when the youngest version beyond retain that nothing uses passes minRetention', () => {
    const v = (name: string, createdAt: number) => ({ name, createdAt: new Date(createdAt) });
    const versions = [v('cur', 300), v('prev', 200), v('old', 100), v('older', 50)];
    const policy = { retain: 1, minRetentionMs: 1000 };
    assert.equal(nextPruneAt(versions, 'cur', policy, 400), 1050);
    assert.equal(nextPruneAt(versions, 'cur', policy, 400, (n) => n === 'older'), 1100);
    assert.equal(nextPruneAt(versions, 'cur', policy, 5000), undefined);
  });
});
