// A tiny HTTP(S) server for /metrics and the health endpoints. Node's http module is enough
// for a few GET routes; a framework would add weight and nothing else.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';

export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Parses `host:port`, `:port` (all interfaces) or `port`. */
export function parseListenAddress(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = i < 0 ? '' : addr.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(i < 0 ? addr : addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid listen address "${addr}"`);
  return { host: host || '0.0.0.0', port };
}

/** A certificate and key to serve, and a way to hear that they were replaced on disk. */
export interface TlsIdentity {
  current(): Pick<SecureContextOptions, 'cert' | 'key'>;
  /** Calls `listener` with the new identity whenever it changes; returns a stop function. */
  watch?(listener: (identity: Pick<SecureContextOptions, 'cert' | 'key'>) => void): () => void;
}

export interface HttpServerOptions {
  /** Serve HTTPS with this identity instead of plain HTTP. */
  tls?: TlsIdentity;
}

export interface RunningServer {
  /** The bound `host:port` (with the real port when 0 was asked for). */
  address: string;
  /** `http` or `https`. */
  scheme: 'http' | 'https';
  close(): Promise<void>;
}

export async function startHttpServer(addr: string, routes: Record<string, Route>, options: HttpServerOptions = {}): Promise<RunningServer> {
  const { host, port } = parseListenAddress(addr);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes[path];
    if (!route || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    Promise.resolve(route(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  };
  const tls = options.tls;
  const server: Server = tls ? createHttpsServer({ ...tls.current(), minVersion: 'TLSv1.2' }, handler) : createServer(handler);
  // A replaced certificate (cert-manager renewing it) is served to new connections without a restart.
  const unwatch = tls?.watch?.((identity) => (server as ReturnType<typeof createHttpsServer>).setSecureContext({ ...identity, minVersion: 'TLSv1.2' }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`,
    scheme: tls ? 'https' : 'http',
    close: () => new Promise<void>((resolve) => {
      unwatch?.();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
