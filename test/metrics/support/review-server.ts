// A local endpoint for the two review APIs the secure metrics server calls, speaking the
// Kubernetes REST shapes (POST tokenreviews / subjectaccessreviews, JSON in and out), so
// @kubernetes/client-node talks to it as to an API server. Tokens map to users; `allow`
// plays the authorizer. It records every review body it receives.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';

export interface ReviewUser {
  username: string;
  uid?: string;
  groups?: string[];
}

export interface ReviewServerOptions {
  users: Record<string, ReviewUser>;
  /** Whether `user` may `verb` the non-resource `path`. */
  allow(user: ReviewUser, path: string, verb: string): boolean;
}

export class ReviewServer {
  readonly tokenReviews: Array<{ spec: { token: string } }> = [];
  readonly accessReviews: Array<{ spec: { user: string; uid?: string; groups?: string[]; nonResourceAttributes?: { path: string; verb: string } } }> = [];
  /** Answer every review with this HTTP status instead (an API server in trouble). */
  failWith?: number;
  private server?: Server;

  constructor(private readonly options: ReviewServerOptions) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get reviews(): number {
    return this.tokenReviews.length + this.accessReviews.length;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => {
        const send = (status: number, obj: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
        if (this.failWith) return send(this.failWith, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: this.failWith, message: 'unavailable' });
        const parsed = JSON.parse(body || '{}') as Record<string, unknown>;
        if (req.method === 'POST' && req.url?.startsWith('/apis/authentication.k8s.io/v1/tokenreviews')) {
          const review = parsed as (typeof this.tokenReviews)[number];
          this.tokenReviews.push(review);
          const user = this.options.users[review.spec.token];
          return send(201, { ...parsed, status: user ? { authenticated: true, user } : { authenticated: false, error: 'invalid bearer token' } });
        }
        if (req.method === 'POST' && req.url?.startsWith('/apis/authorization.k8s.io/v1/subjectaccessreviews')) {
          const review = parsed as (typeof this.accessReviews)[number];
          this.accessReviews.push(review);
          const attrs = review.spec.nonResourceAttributes;
          const allowed = attrs !== undefined && this.options.allow({ username: review.spec.user, uid: review.spec.uid, groups: review.spec.groups }, attrs.path, attrs.verb);
          return send(201, { ...parsed, status: { allowed } });
        }
        send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, message: 'not found' });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  /** A KubeConfig pointing at this server, as the operator's would point at the API server. */
  kubeConfig(): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'review', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'operator', token: 'operator-token' }],
      contexts: [{ name: 'review', cluster: 'review', user: 'operator' }],
      currentContext: 'review',
    });
    return kc;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}
