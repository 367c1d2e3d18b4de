// keyferry's Grafana dashboard as the tests read it: its panels, their queries, and the
// queries as Prometheus would receive them once Grafana has filled in the variables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './rules.js';

export const dashboardPath = join(repoRoot, 'manifests', 'monitoring', 'keyferry-dashboard.json');

export interface Target { refId: string; expr: string; legendFormat?: string; instant?: boolean; format?: string; datasource?: { type: string; uid: string } }
export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
  collapsed?: boolean;
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  options?: Record<string, unknown>;
}
export interface Variable { name: string; type: string; query?: unknown; definition?: string; datasource?: { type: string; uid: string }; allValue?: string; includeAll?: boolean }
export interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  time: { from: string; to: string };
  templating: { list: Variable[] };
  annotations: { list: unknown[] };
  panels: Panel[];
  [field: string]: unknown;
}

export function loadDashboard(path = dashboardPath): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Grafana's own variables the queries may use. */
export const GLOBAL_VARIABLES = ['__rate_interval', '__range', '__interval'];

/** `$name` and `${name}` references in a query. */
export function variablesIn(expr: string): string[] {
  return [...expr.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1]!);
}

/** A query as Grafana sends it with "All" selected: multi-value variables become their allValue. */
export function resolveQuery(expr: string, dashboard: Dashboard, windows: { rateInterval: string; range: string }): string {
  const allValues = new Map(dashboard.templating.list.map((v) => [v.name, v.allValue ?? '.*']));
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    if (name === '__rate_interval' || name === '__interval') return windows.rateInterval;
    if (name === '__range') return windows.range;
    return allValues.get(name) ?? whole;
  });
}

/** Every query of every panel, with its panel. */
export function panelQueries(dashboard: Dashboard): Array<{ panel: Panel; target: Target }> {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
}

/** The metric a `label_values(metric, label)` variable query reads. */
export function variableQueries(dashboard: Dashboard): Array<{ variable: Variable; query: string }> {
  return dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({ variable: v, query: typeof v.query === 'string' ? v.query : String((v.query as { query?: string }).query ?? v.definition ?? '') }));
}
