// The HTTP transport handed to the Connect SDK (its documented `httpClient` hook). Written
// here rather than using the SDK's default axios client because that client drops the
// response headers (so a 429's Retry-After is lost) and cannot trust a private CA. It keeps
// the SDK's contract: resolve `{status, data}`, reject a non-2xx with the body
// `{status, message}` (plus `retryAfterMs` when the server sent Retry-After).
import { AsyncLocalStorage } from 'node:async_hooks';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ClientRequestOptions, IRequestClient } from '@1password/connect';
import { parseRetryAfter } from '../contract/index.js';

/** What the transport rejects with for an HTTP error: the Connect error body plus Retry-After. */
export interface ConnectHttpError {
  status: number;
  message: string;
  retryAfterMs?: number;
}

export interface ConnectTransportOptions {
  ca?: string;
  timeoutMs?: number;
  now: () => number;
}

type Method = Parameters<IRequestClient['request']>[0];
type Result = Awaited<ReturnType<IRequestClient['request']>>;

/**
 * The SDK's calls take no AbortSignal, so the caller's signal travels to the transport in
 * async context: `withSignal(signal, () => sdk.getItem(...))`.
 */
const callSignal = new AsyncLocalStorage<AbortSignal | undefined>();

export function withSignal<T>(signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
  return callSignal.run(signal, run);
}

export class ConnectTransport implements IRequestClient {
  defaultTimeout: number;
  private readonly agent?: Agent;

  constructor(private readonly options: ConnectTransportOptions) {
    this.defaultTimeout = options.timeoutMs ?? 15_000;
    this.agent = options.ca ? new Agent({ ca: options.ca, keepAlive: true }) : undefined;
  }

  close(): void {
    this.agent?.destroy();
  }

  async request(method: Method, url: string, opts: ClientRequestOptions): Promise<Result> {
    const target = new URL(url);
    for (const [k, v] of Object.entries(opts.params ?? {})) target.searchParams.set(k, Array.isArray(v) ? v.join(',') : String(v));
    const body = opts.data === undefined ? undefined : typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'keyferry',
      ...Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k, String(v)])),
      authorization: `Bearer ${opts.authToken}`,
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const signal = callSignal.getStore();
    signal?.throwIfAborted();
    const response = await new Promise<{ message: IncomingMessage; body: Buffer }>((resolve, reject) => {
      const req = send(target, {
        method: method.toUpperCase(),
        headers,
        signal,
        timeout: opts.timeout ?? this.defaultTimeout,
        ...(target.protocol === 'https:' && this.agent ? { agent: this.agent } : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ message: res, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`request to the Connect server timed out`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
    const status = response.message.statusCode ?? 0;
    const type = String(response.message.headers['content-type'] ?? '');
    if (status < 200 || status >= 300) {
      const error: ConnectHttpError = { status, message: response.message.statusMessage ?? `HTTP ${status}` };
      if (type.includes('json')) {
        try {
          const parsed = JSON.parse(response.body.toString('utf8')) as Partial<ConnectHttpError>;
          if (typeof parsed.message === 'string') error.message = parsed.message;
        } catch {
          // Not JSON after all: keep the status line.
        }
      }
      const retryAfter = parseRetryAfter(response.message.headers['retry-after'] as string | undefined, this.options.now());
      if (retryAfter !== undefined) error.retryAfterMs = retryAfter;
      throw error;
    }
    if (opts.responseType === 'stream') return { status, data: Readable.from([response.body]) };
    const data = type.includes('json') && response.body.length > 0 ? JSON.parse(response.body.toString('utf8')) : response.body.toString('utf8');
    return { status, data };
  }
}
