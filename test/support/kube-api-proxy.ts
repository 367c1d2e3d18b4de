// A plain HTTP proxy between the operator and a cluster's API server, on 127.0.0.1. It forwards
// every request as it is (the operator's bearer token included, watches streamed) until told to
// hold the requests a predicate picks: those get no answer, as from an API server whose writes
// hang behind a stuck admission webhook, until `release()` lets them through.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';

interface KubeconfigShape {
  clusters?: Array<{ name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean } }>;
}

export type HoldPredicate = (method: string, path: string) => boolean;

export class KubeApiProxy {
  private holding?: HoldPredicate;
  private readonly held: Array<() => void> = [];
  private readonly sockets = new Set<import('node:net').Socket>();
  /** Requests held so far (released or not). */
  heldCount = 0;

  private constructor(private readonly server: Server, private readonly upstream: URL, private readonly ca: string | undefined) {}

  /** Starts a proxy to the cluster of `kubeconfigYaml`; `kubeconfig()` is the same kubeconfig, through the proxy. */
  static async start(kubeconfigYaml: string): Promise<KubeApiProxy & { kubeconfig(): string }> {
    const config = parse(kubeconfigYaml) as KubeconfigShape;
    const cluster = config.clusters?.[0]?.cluster;
    if (!cluster) throw new Error('kubeconfig has no cluster');
    const caData = cluster['certificate-authority-data'];
    const server = createServer();
    const proxy = new KubeApiProxy(server, new URL(cluster.server), caData ? Buffer.from(caData, 'base64').toString() : undefined);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.handle(req, res));
    server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.once('close', () => proxy.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return Object.assign(proxy, {
      kubeconfig(): string {
        const through = parse(kubeconfigYaml) as KubeconfigShape;
        for (const c of through.clusters ?? []) {
          // Plain HTTP on loopback: the client library wants that said explicitly.
          c.cluster = { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true };
        }
        return stringify(through);
      },
    });
  }

  /** From now on, requests `predicate` picks wait unanswered until `release()`. */
  hold(predicate: HoldPredicate): void {
    this.holding = predicate;
  }

  /** Stops holding and forwards every request held so far. */
  release(): void {
    this.holding = undefined;
    for (const forward of this.held.splice(0)) forward();
  }

  async close(): Promise<void> {
    this.holding = undefined;
    this.held.length = 0;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const forward = () => {
      const secure = this.upstream.protocol === 'https:';
      const options = {
        host: this.upstream.hostname,
        port: this.upstream.port || (secure ? 443 : 80),
        method,
        path,
        headers: { ...req.headers, host: this.upstream.host },
        ...(secure && this.ca ? { ca: this.ca } : {}),
      };
      const upstream = (secure ? httpsRequest : httpRequest)(options, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // A watch's headers come before any event: the client waits for them.
        res.flushHeaders();
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    };
    if (this.holding?.(method, path.split('?')[0]!)) {
      this.heldCount++;
      this.held.push(forward);
      return;
    }
    forward();
  }
}
