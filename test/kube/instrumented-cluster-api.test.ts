import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { ClusterApi } from '../../src/kube/cluster-api.js';
import type { ExternalSecretWriter } from '../../src/kube/external-secret-writer.js';
import { InstrumentedClusterApi } from '../../src/kube/instrumented-cluster-api.js';

describe('InstrumentedClusterApi', () => {
  it('counts requests by verb, resource and outcome, and passes results and errors through', async () => {
    const conflict = Object.assign(new Error('Conflict'), { code: 409 });
    const api = {
      createSecret: async () => ({ metadata: { name: 's' } }),
      patchStatus: async () => { throw conflict; },
      createEvent: async () => { throw new Error('socket hang up'); },
      deleteExternalSecret: async () => true,
    } as unknown as ClusterApi & ExternalSecretWriter;
    const registry = new Registry();
    const counted = new InstrumentedClusterApi(api, registry);
    assert.deepEqual(await counted.createSecret({ metadata: { name: 's', namespace: 'n' } }), { metadata: { name: 's' } });
    await assert.rejects(counted.patchStatus({ kind: 'ExternalSecret', namespace: 'n', name: 'e' }, {}), (e: unknown) => e === conflict);
    assert.equal(await counted.deleteExternalSecret('n', 'e', 'uid'), true);
    await assert.rejects(counted.createEvent({ involved: { kind: 'ExternalSecret', name: 'e', apiVersion: 'v1' }, type: 'Normal', reason: 'r', message: 'm' }), /socket hang up/);
    const text = await registry.metrics();
    assert.match(text, /keyferry_kube_requests_total\{verb="create",resource="secrets",outcome="success"\} 1/);
    assert.match(text, /keyferry_kube_requests_total\{verb="patch",resource="externalsecrets\/status",outcome="409"\} 1/);
    assert.match(text, /keyferry_kube_requests_total\{verb="create",resource="events",outcome="error"\} 1/);
    assert.match(text, /keyferry_kube_requests_total\{verb="delete",resource="externalsecrets",outcome="success"\} 1/);
  });
});
