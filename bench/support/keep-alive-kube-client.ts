// The benchmarks' own Kubernetes client: one keep-alive agent over a kubeconfig's credentials,
// so thousands of requests do not each pay a connection (and, on the real API server, a TLS
// handshake). client-node makes a fresh agent per request; `config` hands it this one instead.
// Every write is entered in a ledger keyed as apiserver_request_total counts it, so the
// benchmark can take its own writes out of the server's counts.
import * as k8s from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import { requestKey } from './api-server-requests.js';

export class KubeHttpError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what}: HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

export class KeepAliveKubeClient {
  /** This client's writes by `requestKey` (verb, group, resource, subresource), whatever their outcome. */
  readonly ownWrites = new Map<string, number>();

  private constructor(
    /** A client-node KubeConfig whose API clients share this client's agent. */
    readonly config: k8s.KubeConfig,
    private readonly agent: http.Agent,
    private readonly server: URL,
    private readonly headers: Record<string, string>,
  ) {}

  static async fromYaml(kubeconfigYaml: string, maxSockets: number): Promise<KeepAliveKubeClient> {
    const config = new k8s.KubeConfig();
    config.loadFromString(kubeconfigYaml);
    const server = new URL(config.getCurrentCluster()!.server);
    // What client-node would put on a request: CA, client certificate or bearer token.
    const base: https.RequestOptions = {};
    await config.applyToHTTPSOptions(base);
    const agent = server.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, maxSockets, ca: base.ca, cert: base.cert, key: base.key, rejectUnauthorized: base.rejectUnauthorized })
      : new http.Agent({ keepAlive: true, maxSockets });
    (config as unknown as { createAgent: () => http.Agent }).createAgent = () => agent;
    const headers = Object.fromEntries(Object.entries(base.headers ?? {}).map(([k, v]) => [k, String(v)]));
    return new KeepAliveKubeClient(config, agent, server, headers);
  }

  /** One request; resolves to the status and body text. */
  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const key = requestKey(method, path, contentType);
    if (key) this.ownWrites.set(key, (this.ownWrites.get(key) ?? 0) + 1);
    const send = this.server.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send({
        method, hostname: this.server.hostname, port: this.server.port, path, agent: this.agent,
        headers: { ...this.headers, accept: 'application/json', ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(payload);
    });
  }

  /** A request that must succeed (2xx, or one of `accept`); resolves to the body text. */
  async expect(method: string, path: string, body?: unknown, contentType?: string, accept: number[] = []): Promise<string> {
    const { status, text } = await this.request(method, path, body, contentType);
    if ((status < 200 || status > 299) && !accept.includes(status)) throw new KubeHttpError(status, text, `${method} ${path}`);
    return text;
  }

  close(): void {
    this.agent.destroy();
  }
}
