// The dashboard and the alerts on a real Prometheus. The operator process syncs from the local
// AWS and GCP wire servers; a real `prometheus` scrapes its /metrics every second (on the real
// cluster over HTTPS with a ServiceAccount token bound to keyferry-metrics-reader, as the
// ServiceMonitor does; on the dev cluster, which has no SubjectAccessReview, in plain mode)
// and evaluates the PrometheusRule's groups. One sync, one failure, one throttle and one open
// circuit later, through Prometheus's HTTP API: every panel query returns data, every metric
// a panel, variable, alert or promtool case reads is one the scrape has, every alert evaluates,
// and the circuit alert fires. A misspelled panel metric is caught by the same checks.
//
// KEYFERRY_DASHBOARD_PNG=<path> also renders the dashboard from this run's data with headless
// Chromium (README's picture).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { kubectl } from '../support/control-plane/shared-control-plane.js';
import { AwsTestServer } from '../support/aws/aws-server.js';
import { FakeSecretManagerServer } from '../support/gcp/secret-manager-server.js';
import { FakeGoogleTokenServer } from '../support/gcp/token-server.js';
import { createLoopbackCertificate } from '../support/vault/loopback-certificate.js';
import { API, eventually, externalSecret, forEachCluster, namespace, namespaceView, startClusterFixture, type ClusterFixture, type KubeObject } from './fixture.js';
import { PrometheusServer, type ScrapeTarget } from '../prometheus/prometheus-server.js';
import { emptyVariables, runPanels, unknownMetrics } from '../prometheus/dashboard-check.js';
import { loadDashboard, panelQueries, variableQueries } from '../prometheus/dashboard.js';
import { metricNames, renameMetric } from '../prometheus/promql.js';
import { alerts, repoRoot, ruleGroups, type RuleGroup } from '../prometheus/rules.js';
import { renderDashboardPng } from '../prometheus/render-dashboard.js';

const NS = 'observed';
const JOB = 'keyferry-metrics';
const KEY_ID = 'AKIAKEYFERRYPROM0001';
const SECRET_KEY = 'promSecretAccessKey/planted+0123456789abcd';
const PLANTED = ['planted-prometheus-db-5e1a', 'planted-prometheus-token-77b0', 'planted-prometheus-cert-c3d9', 'planted-prometheus-db-rotated-19f4'];
const PROJECT = 'keyferry-prom';

/** The alerts as the e2e Prometheus runs them: `for` shortened to a second, so "fires" is seen within the test; the `for` durations themselves are promtool's cases. */
function liveRules(): RuleGroup[] {
  return ruleGroups().map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: '1s' })) }));
}

forEachCluster('dashboard and alerts on a real Prometheus', function (kind) {
  this.timeout(180_000);
  let fx: ClusterFixture;
  let healthy: AwsTestServer;
  let down: AwsTestServer;
  let sm: FakeSecretManagerServer;
  let tokens: FakeGoogleTokenServer;
  let op: OperatorProcess;
  let prometheus: PrometheusServer;
  let startedAt: number;
  let target: ScrapeTarget;
  const secure = kind === 'real';
  const { waitReady, waitReason } = namespaceView(() => fx, NS);

  const awsStore = (name: string, server: AwsTestServer): KubeObject => ({
    apiVersion: API, kind: 'SecretStore', metadata: { name, namespace: NS },
    spec: { provider: { aws: { region: 'us-east-1', endpoint: server.url, auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws-creds', key: 'id' }, secretAccessKeySecretRef: { name: 'aws-creds', key: 'secret' } } } } } },
  });
  const sync = (name: string, store: string, remoteRef: Record<string, unknown>) => externalSecret(name, NS, {
    secretStoreRef: { name: store }, refreshInterval: '1s', data: [{ secretKey: 'value', remoteRef }],
    target: { name, versioning: { retain: 2, minRetention: '0s' } },
  });

  /** /metrics as Prometheus gets it (with its token when secure). */
  async function scrape(): Promise<string> {
    if (target.scheme === 'http') return (await fetch(`http://${target.address}/metrics`)).text();
    return new Promise((resolve, reject) => {
      // The operator's certificate is self-signed, as in the manifests: the scraper skips verification, the token is what counts.
      request(`https://${target.address}/metrics`, { rejectUnauthorized: false, headers: { authorization: `Bearer ${target.bearerToken}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body}`))));
      }).on('error', reject).end();
    });
  }

  before(async () => {
    fx = await startClusterFixture(kind);
    healthy = new AwsTestServer({ users: [{ accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY }], latencyMs: 5 });
    down = new AwsTestServer({ users: [{ accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY }], unavailable: true });
    await healthy.start();
    await down.start();
    healthy.store.put('app/db', JSON.stringify({ password: PLANTED[0] }));
    healthy.store.put('shared/token', PLANTED[1]!);
    down.store.put('app/db', JSON.stringify({ password: PLANTED[0] }));

    // GCP for a remote expiry (AWS has none).
    const cert = await createLoopbackCertificate();
    tokens = new FakeGoogleTokenServer();
    await tokens.start();
    const key = tokens.createServiceAccountKey(`keyferry@${PROJECT}.iam.gserviceaccount.com`, PROJECT);
    sm = new FakeSecretManagerServer({ tls: { key: cert.key, cert: cert.cert }, acceptToken: (t) => tokens.acceptToken(t) });
    await sm.start();
    sm.addSecret(`projects/${PROJECT}/secrets/tls-cert`, { expireTime: new Date(Math.floor(Date.now() / 1000 + 20 * 86400) * 1000) });
    sm.addVersion(`projects/${PROJECT}/secrets/tls-cert`, PLANTED[2]!);

    await fx.cluster.apply([
      namespace(NS),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aws-creds', namespace: NS }, data: { id: Buffer.from(KEY_ID).toString('base64'), secret: Buffer.from(SECRET_KEY).toString('base64') } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gcp-creds', namespace: NS }, data: { 'key.json': Buffer.from(JSON.stringify(key)).toString('base64') } },
      awsStore('sm-ok', healthy),
      awsStore('sm-outage', down),
      { apiVersion: API, kind: 'SecretStore', metadata: { name: 'sm-gcp', namespace: NS }, spec: { provider: { gcpsm: {
        projectID: PROJECT, endpoint: `127.0.0.1:${sm.port}`, caBundle: cert.caBundle, auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-creds', key: 'key.json' } } },
      } } } },
    ]);

    op = await startOperatorProcess({ ...fx.operator, args: secure ? ['--metrics-secure'] : [] });
    const listening = await op.waitForLog((l) => l.msg === 'metrics server listening');
    const address = String(listening.addr);
    if (secure) {
      // Prometheus's ServiceAccount, allowed to get /metrics by the shipped reader role.
      await fx.cluster.apply([
        namespace('monitoring'),
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'prometheus', namespace: 'monitoring' } },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'prometheus-keyferry-metrics' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'keyferry-metrics-reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }],
        },
      ]);
      const token = (await kubectl(fx.adminKubeconfigPath, ['create', 'token', 'prometheus', '-n', 'monitoring', '--duration=1h'])).trim();
      target = { address, scheme: 'https', bearerToken: token };
    } else {
      target = { address, scheme: 'http' };
    }
    assert.equal(listening.url, `${target.scheme}://${address}/metrics`);
    prometheus = await PrometheusServer.start({ target, job: JOB, rules: liveRules() });
    startedAt = Date.now() / 1000;
    // The ExternalSecrets come once Prometheus scrapes, so it sees every count from zero.
    await eventually(async () => (await prometheus.query(`up{job="${JOB}"} == 1`)).length === 1, 30_000, `Prometheus scraping the operator; its log:\n${prometheus.log()}`);
    // The failing one first: the namespace's versions counter is scraped at zero before any version.
    await fx.cluster.apply(sync('missing', 'sm-ok', { key: 'no/such/secret' }));
    await eventually(async () => (await prometheus.query(`keyferry_versions_created_total{namespace="${NS}"} == 0`)).length === 1, 30_000 * fx.slow, 'the namespace\'s versions counter at zero');
    await fx.cluster.apply([
      sync('app', 'sm-ok', { key: 'app/db', property: 'password' }),
      ...[1, 2, 3, 4].map((i) => sync(`reader-${i}`, 'sm-ok', { key: 'shared/token' })),
      sync('outage-1', 'sm-outage', { key: 'app/db' }),
      sync('outage-2', 'sm-outage', { key: 'app/db' }),
      sync('cert', 'sm-gcp', { key: 'tls-cert' }),
    ]);
  });

  after(async () => {
    await prometheus?.close();
    await op?.kill();
    await healthy?.close();
    await down?.close();
    await sm?.close();
    await tokens?.close();
    await fx?.close();
  });

  it(`scrapes the operator (${secure ? 'HTTPS with a bearer token allowed to get /metrics' : 'plain HTTP'})`, async () => {
    const [up] = await prometheus.query(`up{job="${JOB}"}`);
    assert.equal(up?.value[1], '1');
    assert.equal(up?.metric.instance, target.address);
  });

  it('sees one sync, one failure, one throttle and one open circuit', async () => {
    await waitReady('app', 30_000);
    await waitReady('cert', 30_000);
    await waitReason('missing', 'SecretSyncedError', 30_000);
    healthy.failNext('*', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, 2);
    const seen = (expr: string, what: string) => eventually(async () => (await prometheus.query(expr)).length > 0, 60_000 * fx.slow, what);
    await seen(`keyferry_externalsecret_ready_reason{namespace="${NS}",name="app",status="True"} == 1`, 'the sync');
    await seen(`keyferry_externalsecret_ready_reason{namespace="${NS}",name="missing",status="False"} == 1`, 'the failure');
    await seen(`keyferry_fetch_throttles_received_total{store="${NS}/sm-ok"} > 0`, 'the throttle');
    await seen(`keyferry_fetch_circuit_state{store="${NS}/sm-outage"} == 2`, 'the open circuit');
    await seen(`keyferry_secret_expiry_timestamp_seconds{namespace="${NS}",name="cert"}`, 'the remote expiry');
    // And a rotation: a new remote value, a new version.
    healthy.store.put('app/db', JSON.stringify({ password: PLANTED[3] }));
    await seen(`keyferry_versions_created_total{namespace="${NS}"} >= 7`, 'a second version of app');
  });

  it('returns data for every query of every dashboard panel, and values for every variable', async () => {
    const dashboard = loadDashboard();
    // Long enough for rate() over the window Grafana would use at this scrape interval (and, for
    // the picture, long enough to show a trend).
    const seconds = process.env.KEYFERRY_DASHBOARD_PNG ? 90 : 20;
    await eventually(() => Date.now() / 1000 - startedAt > seconds, (seconds + 10) * 1000, `${seconds} s of samples`);
    const results = await runPanels(prometheus, dashboard, startedAt, Date.now() / 1000);
    assert.equal(results.length, panelQueries(dashboard).length);
    assert.deepEqual(results.filter((r) => r.problem).map((r) => `${r.title} [${r.refId}] ${r.problem}: ${r.query}`), []);
    assert.deepEqual(await emptyVariables(prometheus, dashboard), []);
    const png = process.env.KEYFERRY_DASHBOARD_PNG;
    if (png) await renderDashboardPng(dashboard, results, { start: startedAt, end: Date.now() / 1000 }, resolve(repoRoot, png));
  });

  it('reads only metrics the scrape has: panels, variables, alerts and the promtool cases', async () => {
    const scraped = await prometheus.metricNames();
    const dashboard = loadDashboard();
    const promtool = parse(await readFile(join(repoRoot, 'test', 'prometheus', 'alerts.promtool.yaml'), 'utf8')) as { tests: Array<{ input_series: Array<{ series: string }> }> };
    const exprs = [
      ...panelQueries(dashboard).map(({ target: t }) => t.expr),
      ...variableQueries(dashboard).map((v) => v.query),
      ...alerts().map((a) => a.expr),
      ...promtool.tests.flatMap((t) => t.input_series.map((s) => s.series)),
    ];
    assert.deepEqual(unknownMetrics(exprs, scraped), []);
  });

  it('catches a misspelled panel metric', async () => {
    const dashboard = loadDashboard();
    const victim = dashboard.panels.find((p) => p.targets?.length)!;
    const name = metricNames(victim.targets![0]!.expr)[0]!;
    for (const t of victim.targets!) t.expr = renameMetric(t.expr, name, `${name}_misspelled`);
    const results = await runPanels(prometheus, dashboard, startedAt, Date.now() / 1000);
    const broken = results.filter((r) => r.problem);
    assert.ok(broken.length > 0 && broken.every((r) => r.panelId === victim.id), JSON.stringify(broken.map((r) => r.title)));
    assert.deepEqual(unknownMetrics(victim.targets!.map((t) => t.expr), await prometheus.metricNames()), [`${name}_misspelled`]);
  });

  it('evaluates every alert expression without error', async () => {
    const rules = await eventually(async () => {
      const r = await prometheus.alertingRules();
      return r.length === alerts().length && r.every((x) => x.lastEvaluation && !x.lastEvaluation.startsWith('0001')) ? r : undefined;
    }, 30_000, 'every alerting rule evaluated');
    for (const rule of rules) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
    for (const a of alerts()) await prometheus.query(a.expr);
  });

  it('fires KeyferryCircuitOpen for the store whose circuit is open, and only for it', async () => {
    const firing = await eventually(async () => {
      const rule = (await prometheus.alertingRules()).find((r) => r.name === 'KeyferryCircuitOpen');
      const active = (rule?.alerts ?? []).filter((a) => a.state === 'firing');
      return active.length > 0 ? active : undefined;
    }, 30_000 * fx.slow, 'KeyferryCircuitOpen firing');
    assert.deepEqual(firing.map((a) => [a.labels.store, a.labels.provider, a.labels.severity]), [[`${NS}/sm-outage`, 'aws', 'critical']]);
  });

  it('shows no planted value or credential in /metrics or the operator\'s output', async () => {
    const texts = `${await scrape()}\n${op.output()}`;
    for (const needle of [...PLANTED, SECRET_KEY, ...(target.bearerToken ? [target.bearerToken] : [])]) {
      assert.ok(!texts.includes(needle), `"${needle.slice(0, 12)}…" leaked`);
    }
  });
});
