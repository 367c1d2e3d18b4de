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

describe('ExternalSecretSeries scrape', () => {
  it('serves 10 000 ExternalSecrets in pieces: no string of the whole text lands in the large-object space', async () => {
    const { getHeapSpaceStatistics } = await import('node:v8');
    const { request } = await import('node:http');
    const { Registry } = await import('prom-client');
    const { startHttpServer } = await import('../../src/metrics/http-server.js');
    const { metricsRoute } = await import('../../src/metrics/metrics-route.js');
    const series = new ExternalSecretSeries();
    for (let i = 0; i < 10_000; i++) {
      series.syncCall(`external-secret-${i}`, `team-${i % 100}`);
      series.setCondition(`external-secret-${i}`, `team-${i % 100}`, 'True', 'SecretSynced');
      series.setReconcileDuration(`external-secret-${i}`, `team-${i % 100}`, 0.0123);
      series.setSecretAge(`external-secret-${i}`, `team-${i % 100}`, 12);
    }
    const pieces = [...series.chunks()];
    assert.ok(pieces.length > 50, `${pieces.length} pieces`);
    assert.ok(pieces.every((p) => p.length < 40 * 1024), `largest piece ${Math.max(...pieces.map((p) => p.length))} chars`);
    const total = pieces.reduce((n, p) => n + p.length, 0);

    const server = await startHttpServer('127.0.0.1:0', { '/metrics': metricsRoute(new Registry(), [], [series]) });
    try {
      const largeObjects = () => getHeapSpaceStatistics().find((s) => s.space_name === 'large_object_space')!.space_used_size;
      const before = largeObjects();
      let received = 0;
      let tail = '';
      await new Promise<void>((resolve, reject) => {
        request(`http://${server.address}/metrics`, (res) => {
          res.on('data', (b: Buffer) => { received += b.length; tail = (tail + b.toString('latin1')).slice(-400); });
          res.on('end', resolve);
          res.on('error', reject);
        }).on('error', reject).end();
      });
      const grown = largeObjects() - before;
      assert.ok(received >= total, `${received} bytes received, ${total} in the series`);
      assert.match(tail, /keyferry_secret_age_seconds\{name="external-secret-9999",namespace="team-99"\} 12\n# HELP keyferry_secret_expiry_timestamp_seconds [^\n]*\n# TYPE keyferry_secret_expiry_timestamp_seconds gauge\n$/);
      // The text is ~5 MB; written as one string it alone would take that much here.
      assert.ok(grown < 1024 * 1024, `large-object space grew ${(grown / 1048576).toFixed(1)} MiB during the scrape`);
    } finally {
      await server.close();
    }
  });
});
