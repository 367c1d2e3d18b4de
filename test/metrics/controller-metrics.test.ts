// What the reconciler records for the dashboard: why an ExternalSecret is not Ready, how long
// syncs that fetched took per provider, and how many versions it created.
import assert from 'node:assert/strict';
import { createHarness } from '../controller/harness.js';

const lines = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));

describe('controller metrics', () => {
  it('records the Ready reason, sync duration by provider and versions created', async () => {
    const h = createHarness();
    h.store('fake', 'team', [{ key: 'db', value: 'one' }]);
    await h.reconcileStore('SecretStore/team/fake');
    h.es('app', 'team', { secretStoreRef: { name: 'fake' }, refreshInterval: '1h', data: [{ secretKey: 'v', remoteRef: { key: 'db' } }] });
    h.es('broken', 'team', { secretStoreRef: { name: 'missing' }, data: [{ secretKey: 'v', remoteRef: { key: 'db' } }] });
    await h.reconcile('team/app');
    await h.reconcile('team/broken').catch(() => undefined);

    const text = (await h.registry.metrics()) + h.metrics.externalSecrets.render();
    const reasons = lines(text, 'keyferry_externalsecret_ready_reason');
    assert.ok(reasons.includes('keyferry_externalsecret_ready_reason{name="app",namespace="team",status="True",reason="SecretSynced"} 1'), reasons.join('\n'));
    assert.equal(reasons.filter((l) => l.includes('name="broken"') && l.includes('status="False"')).length, 1, reasons.join('\n'));
    assert.deepEqual(lines(text, 'keyferry_versions_created_total'), ['keyferry_versions_created_total{namespace="team"} 1']);
    // Only the sync that reached a store and fetched is timed.
    assert.deepEqual(lines(text, 'keyferry_sync_duration_seconds_count'), ['keyferry_sync_duration_seconds_count{provider="fake"} 1']);

    // A reconcile with nothing due does not count as a sync.
    await h.reconcile('team/app');
    assert.deepEqual(lines(await h.registry.metrics(), 'keyferry_sync_duration_seconds_count'), ['keyferry_sync_duration_seconds_count{provider="fake"} 1']);
  });
});
