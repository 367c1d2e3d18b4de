// /healthz (the process serves) and /readyz (informers synced, a leader known, no work queue stalled).
import type { Route } from '../metrics/http-server.js';

export interface ReadinessSource {
  /** Names of what is not ready yet; empty when ready. */
  notReady(): string[];
}

export function healthRoutes(readiness: ReadinessSource): Record<string, Route> {
  return {
    '/healthz': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    },
    '/readyz': (_req, res) => {
      const waiting = readiness.notReady();
      if (waiting.length === 0) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      else res.writeHead(503, { 'content-type': 'text/plain' }).end(`waiting for: ${waiting.join(', ')}\n`);
    },
  };
}
