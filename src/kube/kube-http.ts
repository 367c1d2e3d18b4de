// The Kubernetes REST calls the operator makes, as plain JSON over one keep-alive connection
// pool: requests, paged lists and watches. Objects are what the API server sent (no typed
// model classes: timestamps stay strings), and a failure is a KubeApiError with the HTTP
// status, which api-error.ts reads.
import { request as httpRequest, STATUS_CODES, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConnection } from './kube-connection.js';
import type { KubeList, KubeObject } from './kube-object.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const CONTENT_TYPE = {
  json: 'application/json',
  mergePatch: 'application/merge-patch+json',
  jsonPatch: 'application/json-patch+json',
} as const;

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
}

/** A response other than 2xx. `code` and `body` (the API server's Status, parsed) are what api-error.ts reads. */
export class KubeApiError extends Error {
  constructor(readonly code: number, readonly body: unknown, method: string, path: string) {
    const reason = (body as { message?: unknown } | undefined)?.message;
    super(`${method} ${path}: HTTP ${code} ${typeof reason === 'string' ? reason.split('\n')[0]!.slice(0, 200) : STATUS_CODES[code] ?? ''}`.trim());
    this.name = 'KubeApiError';
  }
}

export interface ListQuery {
  limit?: number;
  continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** One watch event as the API server streams it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR' | string;
  object: KubeObject & { code?: number };
}

export interface WatchHandle {
  /** Ends the watch; `done` is not called after this. */
  abort(): void;
}

/** Objects per page of a list (client-go's default). */
export const DEFAULT_LIST_PAGE_SIZE = 500;

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (c: Buffer) => chunks.push(c));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('response aborted')));
  });
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class KubeHttp {
  private readonly send: typeof httpRequest;

  constructor(readonly connection: KubeConnection) {
    this.send = connection.server.startsWith('http:') ? httpRequest : httpsRequest;
  }

  /** One call; resolves with the parsed body (undefined when empty), rejects with KubeApiError. */
  async request<T = unknown>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const { agent, headers } = await this.connection.requestAuth();
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body), 'utf8');
    const url = `${this.connection.server}${path}${queryString(options.query)}`;
    return new Promise<T>((resolve, reject) => {
      const req = this.send(url, {
        method,
        agent,
        headers: payload ? { ...headers, 'Content-Type': options.contentType ?? CONTENT_TYPE.json, 'Content-Length': String(payload.length) } : headers,
      }, (response) => {
        readAll(response).then((text) => {
          const status = response.statusCode ?? 0;
          const body = parseBody(text);
          if (status >= 200 && status < 300) resolve(body as T);
          else reject(new KubeApiError(status, body, method, path));
        }, reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  get<T = unknown>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  /** One page of a list; `continue` is the token from the previous page's metadata. */
  list<T extends KubeObject = KubeObject>(path: string, query: ListQuery): Promise<KubeList<T>> {
    const { limit, labelSelector, fieldSelector } = query;
    return this.request<KubeList<T>>('GET', path, { query: { limit, continue: query.continue, labelSelector, fieldSelector } });
  }

  /**
   * Streams a watch: `onEvent` for each line, `done` once when it ends (null when the server
   * closed it, an error otherwise; an error carries `statusCode` when the server refused it).
   */
  async watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, done: (error: unknown) => void): Promise<WatchHandle> {
    let finished = false;
    let aborted = false;
    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      if (!aborted) done(error);
    };
    const { agent, headers } = await this.connection.requestAuth('watch');
    const url = `${this.connection.server}${path}${queryString({ ...query, watch: true })}`;
    const req = this.send(url, { method: 'GET', agent, headers }, (response) => {
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        // The refusal's Status says why (e.g. 422 for `sendInitialEvents` where watch-list is off).
        const refused = (body: unknown) => {
          const reason = (body as { message?: unknown } | undefined)?.message;
          const text = typeof reason === 'string' ? reason.split('\n')[0]!.slice(0, 200) : STATUS_CODES[status] ?? '';
          finish(Object.assign(new Error(`watch ${path}: HTTP ${status} ${text}`.trim()), { statusCode: status, body }));
          req.destroy();
        };
        readAll(response).then((text) => refused(parseBody(text)), () => refused(undefined));
        return;
      }
      // A watch holds its connection for minutes; TCP keep-alive finds a dead peer without traffic.
      response.socket.setKeepAlive(true, 30_000);
      response.setEncoding('utf8');
      let pending = '';
      response.on('data', (chunk: string) => {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line.trim() === '') continue;
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch {
            continue; // as client-node: a line that is not JSON is skipped
          }
          if (!finished && !aborted) onEvent(event);
        }
      });
      response.on('end', () => finish(null));
      response.on('aborted', () => finish(new Error(`watch ${path}: connection closed mid-stream`)));
      response.on('error', finish);
      response.on('close', () => finish(null));
    });
    req.on('error', finish);
    req.end();
    return {
      abort: () => {
        aborted = true;
        req.destroy();
      },
    };
  }
}
