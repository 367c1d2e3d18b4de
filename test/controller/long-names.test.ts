// Issue: ExternalSecret names and target.names over 63 characters went into label values,
// which a real API server refuses (the dev cluster accepted them).
import assert from 'node:assert/strict';
import { labelValueOf, secretProblems } from '../../src/versioning/index.js';
import { createHarness } from './harness.js';

const name = `app-${'x'.repeat(200)}`;
const target = `t-${'y'.repeat(240)}`;

describe('names over 63 characters', () => {
  it('are labelled within 63 characters, carried whole in annotations, and the versions still found and pruned', async () => {
    const h = createHarness();
    h.store('fake', 'ns', [{ key: 'db', value: 'one' }]);
    h.controller.start();
    await h.settle();
    h.es(name, 'ns', { secretStoreRef: { name: 'fake' }, refreshInterval: '10s', target: { name: target, versioning: { retain: 0, minRetention: '0s' } }, data: [{ secretKey: 'pw', remoteRef: { key: 'db' } }] });
    await h.runUntil(() => h.ready(name, 'ns')?.status === 'True', 10_000);
    assert.equal(h.ready(name, 'ns')?.status, 'True');
    const [secret] = [...h.api.secrets.values()];
    const labels = secret!.metadata!.labels!;
    for (const value of Object.values(labels)) assert.ok(value.length <= 63, value);
    assert.deepEqual(secretProblems({ type: secret!.type!, data: {}, labels, annotations: secret!.metadata!.annotations! }), []);
    assert.equal(secret!.metadata!.annotations!['keyferry.io/external-secret-name'], name);
    assert.equal(secret!.metadata!.annotations!['keyferry.io/target-name'], target);
    // Selecting by the label as written finds the ExternalSecret's versions.
    const selected = [...h.api.secrets.values()].filter((s) => s.metadata!.labels!['keyferry.io/external-secret'] === labelValueOf(name));
    assert.equal(selected.length, 1);

    // A new version replaces it and the old one is pruned: the versions are found by the full name.
    h.store('fake', 'ns', [{ key: 'db', value: 'two' }]);
    await h.runFor(20_000);
    assert.equal(h.api.secrets.size, 1);
    assert.notEqual([...h.api.secrets.values()][0]!.metadata!.name, secret!.metadata!.name);

    // A version deleted behind keyferry's back re-queues the right ExternalSecret, which writes it again.
    const counts = h.countReconciles();
    h.api.secrets.clear();
    await h.settle();
    assert.equal(counts.get(`ns/${name}`), 1);
    assert.equal(h.api.secrets.size, 1);
  });
});
