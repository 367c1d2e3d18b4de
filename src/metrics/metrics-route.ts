// GET /metrics in the Prometheus text format, from the operator's own registry plus any
// component registries. A component metric whose name the main registry already serves is
// left out, so every family appears once (the provider-call metrics are observed at the
// provider, where every call, logins included, is seen with its real status). `text`
// sources render families of their own (the per-ExternalSecret series).
import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Route } from './http-server.js';

export interface MetricsText {
  /** The text in pieces, written one after the other (never joined: see ExternalSecretSeries.chunks). */
  chunks(): Iterable<string>;
}

/** Writes one piece; waits while the socket's buffer is full, so a slow scraper does not make the text pile up. */
function write(res: ServerResponse, text: string): Promise<void> {
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function metricsRoute(registry: Registry, components: Registry[] = [], text: MetricsText[] = []): Route {
  return async (_req, res) => {
    const head = [await registry.metrics()];
    for (const component of components) {
      for (const metric of component.getMetricsAsArray()) {
        const name = (metric as unknown as { name: string }).name;
        if (registry.getSingleMetric(name)) continue;
        head.push(`${await component.getSingleMetricAsString(name)}\n`);
      }
    }
    res.writeHead(200, { 'content-type': registry.contentType });
    await write(res, head.join(''));
    for (const source of text) {
      for (const piece of source.chunks()) {
        if (res.destroyed) return;
        await write(res, piece);
      }
    }
    res.end();
  };
}
