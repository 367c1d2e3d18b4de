// The Grafana dashboard, checked structurally against the dashboard model Grafana 10+ loads:
// panel types it ships, a 24-column grid without overlaps, Prometheus targets through the
// datasource variable, and only variables the dashboard declares (or Grafana's own).
// That every query returns data is test/e2e/prometheus.e2e.test.ts's job.
import assert from 'node:assert/strict';
import { GLOBAL_VARIABLES, loadDashboard, panelQueries, variableQueries, variablesIn, type Dashboard } from '../prometheus/dashboard.js';

// Panel plugins built into Grafana 10.
const CORE_PANELS = new Set(['row', 'stat', 'timeseries', 'table', 'state-timeline', 'status-history', 'gauge', 'bargauge', 'barchart', 'piechart', 'heatmap', 'histogram', 'text']);
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

describe('Grafana dashboard (manifests/monitoring/keyferry-dashboard.json)', () => {
  let dashboard: Dashboard;
  before(() => {
    dashboard = loadDashboard();
  });

  it('has the top-level fields of a Grafana 10+ dashboard model', () => {
    assert.equal(typeof dashboard.title, 'string');
    assert.match(dashboard.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 39, `schemaVersion ${dashboard.schemaVersion}`);
    assert.ok(dashboard.time.from && dashboard.time.to);
    assert.ok(Array.isArray(dashboard.templating.list) && Array.isArray(dashboard.annotations.list) && Array.isArray(dashboard.panels));
    assert.equal(dashboard.id, undefined, 'no database id: it is imported or provisioned');
  });

  it('lays its panels out on the 24-column grid, without overlaps, with unique ids', () => {
    const ids = new Set<number>();
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      assert.ok(Number.isInteger(p.id) && p.id > 0 && !ids.has(p.id), `panel id ${p.id}`);
      ids.add(p.id);
      assert.ok(CORE_PANELS.has(p.type), `${p.title}: ${p.type} is not a core panel`);
      const { h, w, x, y } = p.gridPos;
      for (const n of [h, w, x, y]) assert.ok(Number.isInteger(n) && n >= 0, `${p.title}: gridPos`);
      assert.ok(w >= 1 && h >= 1 && x + w <= 24, `${p.title}: ${JSON.stringify(p.gridPos)} fits 24 columns`);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          assert.ok(!cells.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`);
          cells.add(`${i},${j}`);
        }
      }
      if (p.type === 'row') {
        assert.deepEqual([p.gridPos.w, p.gridPos.h, p.collapsed, p.panels], [24, 1, false, []], p.title);
        assert.equal(p.targets, undefined);
      }
    }
  });

  it('queries Prometheus through the datasource variable, with unique refIds, for every panel but rows', () => {
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      assert.deepEqual(p.datasource, DATASOURCE, p.title);
      assert.ok(p.description, `${p.title} says what it shows`);
      assert.ok(p.fieldConfig && typeof p.fieldConfig.defaults === 'object' && Array.isArray(p.fieldConfig.overrides), p.title);
      const targets = p.targets ?? [];
      assert.ok(targets.length > 0, `${p.title} has a query`);
      assert.equal(new Set(targets.map((t) => t.refId)).size, targets.length, `${p.title}: refIds`);
      for (const t of targets) {
        assert.deepEqual(t.datasource, DATASOURCE, `${p.title} ${t.refId}`);
        assert.ok(t.expr.trim(), `${p.title} ${t.refId}: expr`);
      }
    }
  });

  it('declares a Prometheus datasource variable and namespace and store variables, and uses no other', () => {
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(vars.get('datasource')?.type, 'datasource');
    assert.equal(vars.get('datasource')?.query, 'prometheus');
    for (const name of ['namespace', 'store']) {
      const v = vars.get(name);
      assert.equal(v?.type, 'query', name);
      assert.deepEqual(v?.datasource, DATASOURCE, name);
      assert.ok(v?.includeAll && v.allValue === '.*', `${name}: All matches everything`);
    }
    for (const { variable, query } of variableQueries(dashboard)) assert.match(query, /^label_values\([a-z_:]+, [a-z_]+\)$/, variable.name);
    const used = new Set(panelQueries(dashboard).flatMap(({ target }) => variablesIn(target.expr)));
    for (const name of used) assert.ok(vars.has(name) || GLOBAL_VARIABLES.includes(name), `$${name} is not declared`);
    for (const name of ['namespace', 'store']) assert.ok(used.has(name), `$${name} filters some panel`);
  });

  it('has the panels an on-call person asks for first', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const wanted of [/not ready, and why/i, /sync latency p50 \/ p99 by provider/i, /provider calls by provider and call/i, /provider errors/i, /throttles/i,
      /limiter wait/i, /limiter queue/i, /cache hit and merge/i, /circuit state/i, /versions created/i, /expiry/i, /kubernetes writes by outcome/i]) {
      assert.ok(titles.some((t) => wanted.test(t)), `a panel matching ${wanted}`);
    }
  });
});
