// Puts a route behind a bearer token that the API server authenticates and authorizes
// (see access-review.ts): 401 without a valid token, 403 for a user who may not read it,
// 503 when the API server could not be asked. Responses name nothing about the caller.
import type { AccessDecision } from './access-review.js';
import type { Route } from './http-server.js';

export interface AccessCheck {
  review(token: string): Promise<AccessDecision>;
}

export interface AuthorizedRouteOptions {
  onDenied?(decision: AccessDecision, remoteAddress: string | undefined): void;
  onError?(error: unknown): void;
}

export function authorizedRoute(route: Route, access: AccessCheck, options: AuthorizedRouteOptions = {}): Route {
  return async (req, res) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('unauthorized\n');
      return;
    }
    let decision: AccessDecision;
    try {
      decision = await access.review(match[1]!);
    } catch (error) {
      options.onError?.(error);
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' }).end('access review unavailable\n');
      return;
    }
    if (decision.outcome === 'allowed') return route(req, res);
    options.onDenied?.(decision, req.socket.remoteAddress);
    if (decision.outcome === 'unauthenticated') res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('unauthorized\n');
    else res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden\n');
  };
}
