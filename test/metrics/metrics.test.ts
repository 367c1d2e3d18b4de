import assert from 'node:assert/strict';
import { Registry, register as globalRegistry } from 'prom-client';
import { OperatorMetrics } from '../../src/metrics/operator-metrics.js';
import { parseListenAddress, startHttpServer } from '../../src/metrics/http-server.js';
import { metricsRoute } from '../../src/metrics/metrics-route.js';
import { healthRoutes } from '../../src/health/health-routes.js';

/** What /metrics serves for these metrics: the registry's, then the per-ExternalSecret series. */
const allMetrics = async (metrics: OperatorMetrics) => (await metrics.registry.metrics()) + metrics.externalSecrets.render();

describe('OperatorMetrics', () => {
  it('registers the ESO and keyferry names on the given registry only', async () => {
    const registry = new Registry();
    const metrics = new OperatorMetrics(registry);
    metrics.externalSecrets.syncCall('a', 'n');
    metrics.externalSecrets.setCondition('a', 'n', 'True');
    const text = await allMetrics(metrics);
    for (const name of ['externalsecret_sync_calls_total', 'externalsecret_sync_calls_error', 'externalsecret_status_condition', 'externalsecret_reconcile_duration',
      'externalsecret_provider_api_calls_count', 'keyferry_provider_request_duration_seconds', 'keyferry_workqueue_depth', 'keyferry_workqueue_retries_total',
      'keyferry_versions_retained', 'keyferry_secret_age_seconds', 'keyferry_secret_expiry_timestamp_seconds']) {
      assert.match(text, new RegExp(`# TYPE ${name} `), name);
    }
    assert.match(text, /externalsecret_status_condition\{name="a",namespace="n",condition="Ready",status="True"\} 1/);
    assert.match(text, /externalsecret_status_condition\{name="a",namespace="n",condition="Ready",status="False"\} 0/);
    assert.match(text, /externalsecret_sync_calls_total\{name="a",namespace="n"\} 1/);
    assert.equal(globalRegistry.getSingleMetric('externalsecret_sync_calls_total'), undefined);
    // Two operators in one process (tests) do not collide.
    assert.doesNotThrow(() => new OperatorMetrics(new Registry()));
  });

  it('forgets the series of a deleted ExternalSecret', async () => {
    const registry = new Registry();
    const metrics = new OperatorMetrics(registry);
    metrics.externalSecrets.setCondition('a', 'n', 'False');
    metrics.externalSecrets.setReconcileDuration('a', 'n', 0.1);
    metrics.externalSecrets.syncCall('b', 'n');
    metrics.externalSecrets.forget('a', 'n');
    const text = await allMetrics(metrics);
    assert.doesNotMatch(text, /name="a"/);
    assert.match(text, /externalsecret_sync_calls_total\{name="b",namespace="n"\} 1/);
  });
});

describe('HTTP servers', () => {
  it('parses listen addresses', () => {
    assert.deepEqual(parseListenAddress(':8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('[::1]:9'), { host: '::1', port: 9 });
    assert.throws(() => parseListenAddress('x:y'));
  });

  it('serves /metrics on port 0 and reports the bound address', async () => {
    const registry = new Registry();
    const metrics = new OperatorMetrics(registry);
    metrics.externalSecrets.syncCall('a', 'n');
    const server = await startHttpServer('127.0.0.1:0', { '/metrics': metricsRoute(registry, [], [metrics.externalSecrets]) });
    try {
      assert.match(server.address, /^127\.0\.0\.1:[1-9]\d*$/);
      const res = await fetch(`http://${server.address}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /externalsecret_sync_calls_total\{name="a",namespace="n"\} 1/);
      assert.equal((await fetch(`http://${server.address}/nope`)).status, 404);
    } finally {
      await server.close();
    }
  });

  it('answers /readyz 503 until everything is synced, /healthz always 200', async () => {
    let waiting = ['externalsecrets'];
    const server = await startHttpServer('127.0.0.1:0', healthRoutes({ notReady: () => waiting }));
    try {
      assert.equal((await fetch(`http://${server.address}/healthz`)).status, 200);
      const notReady = await fetch(`http://${server.address}/readyz`);
      assert.equal(notReady.status, 503);
      assert.match(await notReady.text(), /externalsecrets/);
      waiting = [];
      assert.equal((await fetch(`http://${server.address}/readyz`)).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('metrics route with component registries', () => {
  it('serves component metrics once, leaving out names the main registry already has', async () => {
    const { Counter } = await import('prom-client');
    const main = new Registry();
    new OperatorMetrics(main).providerApiCalls.inc({ provider: 'fake', call: 'GetSecret', status: 'OK' });
    const component = new Registry();
    new Counter({ name: 'externalsecret_provider_api_calls_count', help: 'dup', labelNames: ['provider'], registers: [component] }).inc({ provider: 'x' });
    new Counter({ name: 'keyferry_fetch_cache_lookups_total', help: 'cache', registers: [component] }).inc(3);
    const server = await startHttpServer('127.0.0.1:0', { '/metrics': metricsRoute(main, [component]) });
    try {
      const text = await (await fetch(`http://${server.address}/metrics`)).text();
      assert.equal(text.match(/# TYPE externalsecret_provider_api_calls_count /g)!.length, 1);
      assert.doesNotMatch(text, /provider="x"/);
      assert.match(text, /keyferry_fetch_cache_lookups_total 3/);
    } finally {
      await server.close();
    }
  });
});

describe('ExternalSecretSeries', () => {
  it('renders every family in the text format prom-client parses back, with escaped labels', async () => {
    const { ExternalSecretSeries } = await import('../../src/metrics/external-secret-series.js');
    const series = new ExternalSecretSeries();
    series.syncCall('a', 'n');
    series.syncCall('a', 'n');
    series.syncError('a', 'n');
    series.setCondition('a', 'n', 'False', 'Stale');
    series.setVersionsRetained('a', 'n', 3);
    series.setSecretAge('a', 'n', 12.5);
    series.setSecretExpiry('a', 'n', 1_900_000_000);
    series.setReconcileDuration('odd"name', 'n', 0.25);
    const text = series.render();
    for (const name of ExternalSecretSeries.names) assert.match(text, new RegExp(`# HELP ${name} .+\n# TYPE ${name} (counter|gauge)\n`));
    assert.match(text, /^externalsecret_sync_calls_total\{name="a",namespace="n"\} 2$/m);
    assert.match(text, /^externalsecret_sync_calls_error\{name="a",namespace="n"\} 1$/m);
    assert.match(text, /^externalsecret_status_condition\{name="a",namespace="n",condition="Ready",status="False"\} 1$/m);
    assert.match(text, /^externalsecret_status_condition\{name="a",namespace="n",condition="Ready",status="True"\} 0$/m);
    assert.match(text, /^keyferry_externalsecret_ready_reason\{name="a",namespace="n",status="False",reason="Stale"\} 1$/m);
    assert.match(text, /^keyferry_versions_retained\{name="a",namespace="n"\} 3$/m);
    assert.match(text, /^keyferry_secret_age_seconds\{name="a",namespace="n"\} 12.5$/m);
    assert.match(text, /^keyferry_secret_expiry_timestamp_seconds\{name="a",namespace="n"\} 1900000000$/m);
    assert.match(text, /^externalsecret_reconcile_duration\{name="odd\\"name",namespace="n"\} 0.25$/m);
    // Only what was set appears: "odd" has no condition, calls or errors yet.
    assert.doesNotMatch(text, /externalsecret_sync_calls_(total|error)\{name="odd/);
    assert.doesNotMatch(text, /status_condition\{name="odd/);
  });

  it('keeps one reason sample per ExternalSecret, replaced when the condition changes', async () => {
    const { ExternalSecretSeries } = await import('../../src/metrics/external-secret-series.js');
    const series = new ExternalSecretSeries();
    series.setCondition('a', 'n', 'False', 'StoreNotReady');
    series.setCondition('a', 'n', 'True', 'SecretSynced');
    const reasons = series.render().split('\n').filter((l) => l.startsWith('keyferry_externalsecret_ready_reason{'));
    assert.deepEqual(reasons, ['keyferry_externalsecret_ready_reason{name="a",namespace="n",status="True",reason="SecretSynced"} 1']);
  });

  it('renders three samples per synced ExternalSecret without errors, for 10 000 of them', async () => {
    const { ExternalSecretSeries } = await import('../../src/metrics/external-secret-series.js');
    const series = new ExternalSecretSeries();
    for (let i = 0; i < 10_000; i++) {
      series.syncCall(`es-${i}`, `team-${i % 100}`);
      series.setCondition(`es-${i}`, `team-${i % 100}`, 'True');
    }
    const lines = series.render().split('\n').filter((l) => l && !l.startsWith('#'));
    assert.equal(lines.length, 10_000 * 3, 'calls and two condition samples each; no error series before the first error');
  });
});
