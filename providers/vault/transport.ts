// The HTTP transport node-vault sends through (its documented `request-promise` hook).
// Hand-written over node:http/https because node-vault's built-in transport drops response
// headers (Vault's rate-limit quotas say when to retry in `Retry-After`) and ignores abort
// signals; this one keeps both, verifies TLS against the store's CA only, and reuses
// connections per store.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Where the transport leaves a response's `Retry-After` header: a symbol on the parsed body. */
export const retryAfterHeader = Symbol.for('keyferry.vault.retryAfter');

interface OutgoingOptions {
  method: string;
  uri: string;
  headers?: Record<string, string>;
  json?: unknown;
  timeout?: number;
  signal?: AbortSignal;
}

interface VaultResponse {
  statusCode: number;
  body: unknown;
  request: { path: string };
}

export interface VaultTransport {
  /** The object node-vault takes as `request-promise`. */
  readonly requestPromise: { defaults(rpDefaults: unknown): (options: OutgoingOptions) => Promise<VaultResponse> };
  close(): void;
}

export function createVaultTransport(options: { timeoutMs: number; ca?: string }): VaultTransport {
  const httpAgent = new HttpAgent({ keepAlive: true });
  const httpsAgent = new HttpsAgent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}), rejectUnauthorized: true });

  const send = (o: OutgoingOptions): Promise<VaultResponse> => new Promise((resolve, reject) => {
    const url = new URL(o.uri);
    const payload = o.json !== undefined && o.json !== null && typeof o.json === 'object' ? JSON.stringify(o.json) : undefined;
    const headers: Record<string, string | number> = { accept: 'application/json', ...(o.headers ?? {}) };
    if (payload !== undefined) {
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const secure = url.protocol === 'https:';
    const req = (secure ? httpsRequest : httpRequest)(url, {
      method: o.method,
      headers,
      agent: secure ? httpsAgent : httpAgent,
      signal: o.signal,
    });
    req.setTimeout(o.timeout ?? options.timeoutMs, () => {
      req.destroy(Object.assign(new Error('Vault request timed out'), { code: 'ETIMEDOUT' }));
    });
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text === '' ? undefined : text;
        try {
          if (text !== '') body = JSON.parse(text);
        } catch {
          // Not JSON (a proxy's error page): node-vault then reports the status alone.
        }
        const retryAfter = res.headers['retry-after'];
        if (retryAfter !== undefined && body !== null && typeof body === 'object') {
          Object.defineProperty(body, retryAfterHeader, { value: String(retryAfter), enumerable: false });
        }
        resolve({ statusCode: res.statusCode ?? 0, body, request: { path: url.pathname } });
      });
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });

  return {
    requestPromise: { defaults: () => send },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
