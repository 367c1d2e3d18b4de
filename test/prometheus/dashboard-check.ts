// Runs the dashboard's queries against a Prometheus that scraped the operator, as Grafana would
// with "All" selected, and says which panels would show nothing.
import { metricNames } from './promql.js';
import { panelQueries, resolveQuery, variableQueries, type Dashboard } from './dashboard.js';
import type { PrometheusServer, Sample } from './prometheus-server.js';

export interface PanelResult {
  panelId: number;
  title: string;
  refId: string;
  query: string;
  series: Sample[];
  /** Why the panel would show nothing; undefined when it shows data. */
  problem?: string;
}

/** The query of every panel over `[start, end]` (seconds), each at a 1 s step. */
export async function runPanels(prometheus: PrometheusServer, dashboard: Dashboard, start: number, end: number, rateInterval = '15s'): Promise<PanelResult[]> {
  const results: PanelResult[] = [];
  for (const { panel, target } of panelQueries(dashboard)) {
    const query = resolveQuery(target.expr, dashboard, { rateInterval, range: `${Math.ceil(end - start)}s` });
    const answer = await prometheus.queryRange(query, start, end, 1);
    const series = answer.status === 'success' ? answer.data.result : [];
    let problem: string | undefined;
    if (answer.status !== 'success') problem = `query failed: ${answer.error}`;
    else if (series.length === 0) problem = 'no data';
    else if (!series.some((s) => s.values.some(([, v]) => Number.isFinite(Number(v))))) problem = 'no finite value';
    results.push({ panelId: panel.id, title: panel.title, refId: target.refId, query, series, problem });
  }
  return results;
}

/** Variables whose `label_values(metric, label)` finds nothing. */
export async function emptyVariables(prometheus: PrometheusServer, dashboard: Dashboard): Promise<string[]> {
  const empty: string[] = [];
  for (const { variable, query } of variableQueries(dashboard)) {
    const m = /^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*), ([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(query);
    if (!m) {
      empty.push(`${variable.name}: not a label_values(metric, label) query`);
      continue;
    }
    const answer = await prometheus.api<string[]>(`label/${m[2]}/values`, { 'match[]': m[1]! });
    if (answer.status !== 'success' || answer.data.length === 0) empty.push(`${variable.name}: ${query} finds no values`);
  }
  return empty;
}

/** Metric names that `exprs` read and the scrape does not have. */
export function unknownMetrics(exprs: string[], scraped: Set<string>): string[] {
  return [...new Set(exprs.flatMap((e) => metricNames(e)))].filter((n) => !scraped.has(n)).sort();
}
