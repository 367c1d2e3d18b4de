// GET /metrics in the Prometheus text format, from the operator's own registry.
import type { Registry } from 'prom-client';
import type { Route } from './http-server.js';

export function metricsRoute(registry: Registry): Route {
  return async (_req, res) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType }).end(body);
  };
}
