// GET /metrics in the Prometheus text format, from the operator's own registry plus any
// component registries. A component metric whose name the main registry already serves is
// left out, so every family appears once (the provider-call metrics are observed at the
// provider, where every call, logins included, is seen with its real status).
import type { Registry } from 'prom-client';
import type { Route } from './http-server.js';

export function metricsRoute(registry: Registry, components: Registry[] = []): Route {
  return async (_req, res) => {
    const parts = [await registry.metrics()];
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
