// GET /metrics in the Prometheus text format, from the operator's own registry plus any
// component registries. A component metric whose name the main registry already serves is
// left out, so every family appears once (the provider-call metrics are observed at the
// provider, where every call, logins included, is seen with its real status). `text`
// sources render families of their own (the per-ExternalSecret series).
import type { Registry } from 'prom-client';
import type { Route } from './http-server.js';

export interface MetricsText {
  render(): string;
}

export function metricsRoute(registry: Registry, components: Registry[] = [], text: MetricsText[] = []): Route {
  return async (_req, res) => {
    const parts = [await registry.metrics(), ...text.map((t) => t.render())];
    for (const component of components) {
      for (const metric of component.getMetricsAsArray()) {
        const name = (metric as unknown as { name: string }).name;
        if (registry.getSingleMetric(name)) continue;
        parts.push(`${await component.getSingleMetricAsString(name)}\n`);
      }
    }
    res.writeHead(200, { 'content-type': registry.contentType }).end(parts.join(''));
  };
}
