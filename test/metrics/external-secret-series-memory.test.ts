// The per-ExternalSecret series stay small at scale: one record per ExternalSecret, its label
// text one flat string, the reason's label text shared between ExternalSecrets.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ExternalSecretSeries } from '../../src/metrics/external-secret-series.js';

describe('ExternalSecretSeries memory', () => {
  it('holds at most 230 B of heap per ExternalSecret with every series set (measured ~175 B; ~435 B with built-up label texts)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const count = 10_000;
    // The names as the reconciler has them: cut from the queue key.
    const keys = Array.from({ length: count }, (_, i) => `team-${i % 100}/external-secret-${i}`);
    gc(); gc();
    const before = process.memoryUsage().heapUsed;
    const series = new ExternalSecretSeries();
    for (const key of keys) {
      const [namespace, name] = key.split('/') as [string, string];
      series.syncCall(name, namespace);
      series.setCondition(name, namespace, 'True', 'SecretSynced');
      series.setReconcileDuration(name, namespace, 0.0123);
      series.setVersionsRetained(name, namespace, 1);
      series.setSecretAge(name, namespace, 12);
    }
    gc(); gc();
    const perRow = (process.memoryUsage().heapUsed - before) / count;
    assert.match(series.render(), /externalsecret_status_condition\{name="external-secret-7",namespace="team-7",condition="Ready",status="True"\} 1/);
    assert.ok(perRow <= 230, `${Math.round(perRow)} B per ExternalSecret`);
  });
});
