// The HTTP front of the dev cluster: routes Kubernetes REST paths to ApiCore, streams
// watches, serves discovery/OpenAPI/version/OIDC documents and the `/_dev/` control API
// (stats, faults, restart). Every failure is answered with a `Status` object.
//
// Where the pure modules of src/devcluster/{crd,discovery,openapi,table}/ plug in: CRD
// compilation → `DevClusterServerOptions.compileCrd` (default `compileCrd`); discovery and
// OpenAPI documents → `nonResource()`; Tables → `buildTable`, called for get, list and watch.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { ApiCore, APPLY_PATCH, PATCH_TYPES, type PatchType, type PropagationPolicy } from './api-core.js';
import {
  ApiError, badRequest, fieldForbidden, fieldNotSupported, fieldRequired, gone, invalid, methodNotAllowed, notFound, resourceNotFound, successStatus, unsupportedMediaType,
} from './api-error.js';
import { builtinResources } from './builtin-types.js';
import { compileCrd } from './crd/index.js';
import { installCrdController, type CrdCompiler } from './crd-controller.js';
import { discoveryResponse } from './discovery/index.js';
import {
  encodeOpenApiV2, openapiV2Doc, openapiV3GroupVersionDoc, openapiV3IndexDoc, OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
} from './openapi/index.js';
import { FaultInjector, type FaultRule } from './fault-injector.js';
import { mediaType, parseJsonBody, parseObjectBody, readBody, sendError, sendJson } from './http-util.js';
import { ObjectStore, type Entry } from './object-store.js';
import { timestamp } from './object-meta.js';
import { ResourceRegistry, type ServedResource } from './registry.js';
import { RequestStats, type RequestInfo } from './request-stats.js';
import type { FieldError, KubeObject, ResourceType } from './resource-type.js';
import { both, parseFieldSelector, parseLabelSelector } from './selectors/index.js';
import { TokenIssuer } from './token-issuer.js';
import { buildTable } from './table/index.js';
import { partialMetadata, representationOf, type Representation } from './negotiation.js';
import { copyOut, encode, listItem } from './views.js';
import { WatchHub, watchLine, type Watcher } from './watch-hub.js';

export interface DevClusterLogger {
  debug?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}

export interface DevClusterServerOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Interval of BOOKMARK events on watches with `allowWatchBookmarks=true` (default 60 000 ms; the real server uses ~1 min). */
  bookmarkIntervalMs?: number;
  /** Smallest `expirationSeconds` a TokenRequest may ask for (default 600, as Kubernetes). */
  minTokenExpirationSeconds?: number;
  /** Events kept per resource for watches from a resourceVersion (default 10 000). */
  watchHistorySize?: number;
  /** Compiles a CRD into served types (default: `compileCrd` of src/devcluster/crd/). */
  compileCrd?: CrdCompiler;
  logger?: DevClusterLogger;
  /** Clock for timestamps and token times. */
  now?: () => Date;
  /**
   * Serve watch-list (`sendInitialEvents`, the WatchList feature gate, on by default in
   * Kubernetes 1.34). Default true; false answers it with 422 as a server with the gate off.
   */
  watchList?: boolean;
}

interface ResourceRoute {
  r: ServedResource;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPath: boolean;
}

const VERSION_INFO = {
  major: '1', minor: '32', gitVersion: 'v1.32.0-keyferry-dev', gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23.0', compiler: 'gc', platform: 'linux/amd64',
};

export class DevClusterServer {
  readonly store: ObjectStore;
  readonly registry = new ResourceRegistry();
  readonly core: ApiCore;
  readonly hub: WatchHub;
  readonly stats = new RequestStats();
  readonly faults = new FaultInjector();
  tokens!: TokenIssuer;
  url = '';

  private readonly http: Server;
  private readonly sockets = new Set<Socket>();
  /** The response being written on each connection, so a parse error after it waits for it. */
  private readonly inFlight = new WeakMap<Socket, ServerResponse>();
  private readonly opts: Required<Pick<DevClusterServerOptions, 'host' | 'bookmarkIntervalMs' | 'minTokenExpirationSeconds'>> & DevClusterServerOptions;
  private readonly now: () => Date;
  private port = 0;
  private down = false;
  /** The OpenAPI v2 document of a set of served types (the registry caches the set until it changes). */
  private readonly v2Docs = new WeakMap<ResourceType[], Record<string, unknown>>();
  private readonly v2Protobuf = new WeakMap<ResourceType[], Buffer>();
  private readonly v3Index = new WeakMap<ResourceType[], object>();

  constructor(options: DevClusterServerOptions = {}) {
    this.opts = { host: '127.0.0.1', bookmarkIntervalMs: 60_000, minTokenExpirationSeconds: 600, ...options };
    this.now = options.now ?? (() => new Date());
    this.store = new ObjectStore({ historySize: options.watchHistorySize });
    this.hub = new WatchHub(this.store);
    this.core = new ApiCore(this.store, this.registry, this.now);
    for (const r of builtinResources()) this.registry.add(r);
    installCrdController({
      core: this.core, store: this.store, registry: this.registry, hub: this.hub, now: this.now,
      compile: options.compileCrd ?? compileCrd,
    });
    this.installNamespaceHooks();
    this.http = createServer({ keepAlive: true, noDelay: true }, (req, res) => { void this.handle(req, res); });
    this.http.keepAliveTimeout = 65_000;
    this.http.on('connection', (s: Socket) => {
      if (this.down) { s.destroy(); return; }
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.http.on('clientError', (_err, socket: Socket) => {
      // As Go's server: a request that cannot be parsed gets a plain 400 and the connection closes.
      // Bytes after a request whose body has no length (Node's client sends a DELETE body that way)
      // parse as a bad next request: the request before it still gets its answer first.
      const answer = (): void => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request');
      };
      const pending = this.inFlight.get(socket);
      if (pending && !pending.writableFinished) pending.once('finish', answer).once('close', answer);
      else answer();
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port ?? 0, this.opts.host, () => { this.http.off('error', reject); resolve(); });
    });
    const addr = this.http.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    this.url = `http://${host}:${this.port}`;
    this.tokens ??= await TokenIssuer.create(this.url, this.now);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (!this.store.get('/namespaces', '', ns)) this.core.create(this.served('', 'v1', 'namespaces'), undefined, { metadata: { name: ns } });
    }
    this.opts.logger?.info?.({ url: this.url }, 'dev cluster listening');
    return this.url;
  }

  /** Drops every connection (watches included) and refuses new ones for `downMs`; data is kept. */
  async restart(downMs = 0): Promise<void> {
    this.down = true;
    this.hub.closeAll(() => true, false);
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (downMs > 0) {
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
      await new Promise((r) => setTimeout(r, downMs));
      this.down = false;
      await new Promise<void>((resolve, reject) => {
        this.http.once('error', reject);
        this.http.listen(this.port, this.opts.host, () => { this.http.off('error', reject); resolve(); });
      });
    } else {
      this.down = false;
    }
    this.opts.logger?.info?.({ downMs }, 'dev cluster restarted');
  }

  /** Closes watches matching a resource (all when omitted). Graceful: the response ends; else the connection is reset. */
  dropWatches(filter: { resource?: string; graceful?: boolean } = {}): number {
    return this.hub.closeAll((w) => !filter.resource || w.resource === filter.resource, filter.graceful ?? true);
  }

  async close(): Promise<void> {
    this.hub.closeAll(() => true, true);
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  served(group: string, version: string, plural: string): ServedResource {
    const r = this.registry.get(group, version, plural);
    if (!r) throw resourceNotFound();
    return r;
  }

  // ---- request handling ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight.set(req.socket, res);
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
      if (path.startsWith('/_dev/')) return await this.devControl(req, res, path);
      const method = req.method ?? 'GET';
      const route = this.resolve(path);
      const q = url.searchParams;
      const watch = route?.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';
      const info = route ? requestInfo(method, path, route, watch, q.get('sendInitialEvents') === 'true') : { verb: method.toLowerCase(), resource: '', group: '', path };
      if (route) this.stats.record(info.verb, info.resource);
      const d = this.faults.decide(info);
      if (d.latencyMs > 0) await new Promise((r) => setTimeout(r, d.latencyMs));
      if (d.error) throw d.error;
      if (!route) return await this.nonResource(req, res, path, method);
      await this.serveResource(req, res, route, q, watch, d.dropWatchAfterMs);
    } catch (e) {
      if (!(e instanceof ApiError)) this.opts.logger?.error?.({ err: e instanceof Error ? e.message : String(e) }, 'request failed');
      sendError(res, e);
    }
  }

  private async nonResource(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    if (method !== 'GET' && method !== 'HEAD') throw path.startsWith('/api') ? resourceNotFound() : methodNotAllowed();
    const types = this.registry.types();
    const parts = path.split('/').filter(Boolean);
    let doc: object | undefined;
    switch (path) {
      case '/healthz': case '/livez': case '/readyz':
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      case '/version': doc = VERSION_INFO; break;
      case '/.well-known/openid-configuration': doc = this.tokens.openidConfiguration(); break;
      case '/openid/v1/jwks': {
        const body = JSON.stringify(this.tokens.jwks());
        res.writeHead(200, { 'Content-Type': 'application/jwk-set+json', 'Content-Length': Buffer.byteLength(body) }).end(body);
        return;
      }
      case '/openapi/v2': {
        // kubectl asks for protobuf (and can read nothing else); other clients get JSON.
        if ((req.headers.accept ?? '').includes(OPENAPI_V2_PROTOBUF)) {
          const body = this.openapiV2Protobuf(types);
          res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE, 'Content-Length': body.length }).end(body);
          return;
        }
        doc = this.openapiV2(types);
        break;
      }
      case '/openapi/v3': {
        doc = this.v3Index.get(types);
        if (!doc) this.v3Index.set(types, (doc = openapiV3IndexDoc(types)));
        break;
      }
      default:
        if (parts[0] === 'api' || parts[0] === 'apis') {
          const d = discoveryResponse(path, req.headers.accept, types, `${this.opts.host}:${this.port}`);
          if (!d) throw resourceNotFound();
          return sendJson(res, 200, d.body, { 'Content-Type': d.contentType });
        }
        if (parts[0] === 'openapi' && parts[1] === 'v3' && parts[2] === 'api' && parts.length === 4) doc = openapiV3GroupVersionDoc(types, '', parts[3]);
        else if (parts[0] === 'openapi' && parts[1] === 'v3' && parts[2] === 'apis' && parts.length === 5) doc = openapiV3GroupVersionDoc(types, parts[3], parts[4]);
    }
    if (!doc) throw resourceNotFound();
    sendJson(res, 200, doc);
  }

  private openapiV2(types: ResourceType[]): Record<string, unknown> {
    let doc = this.v2Docs.get(types);
    if (!doc) this.v2Docs.set(types, (doc = openapiV2Doc(types)));
    return doc;
  }

  private openapiV2Protobuf(types: ResourceType[]): Buffer {
    let body = this.v2Protobuf.get(types);
    if (!body) this.v2Protobuf.set(types, (body = encodeOpenApiV2(this.openapiV2(types))));
    return body;
  }

  /** Maps a path to a served resource, or undefined for non-resource paths. Throws 404 for unknown resources. */
  private resolve(path: string): ResourceRoute | undefined {
    let parts: string[];
    try {
      parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw badRequest(`invalid path encoding: ${path}`);
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) { group = ''; version = parts[1]; rest = parts.slice(2); }
    else if (parts[0] === 'apis' && parts.length >= 4) { group = parts[1]; version = parts[2]; rest = parts.slice(3); }
    else return undefined;
    let watchPath = false;
    if (rest[0] === 'watch') { watchPath = true; rest = rest.slice(1); }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize') && group === '')) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length === 0 || rest.length > 3) throw resourceNotFound();
    const r = this.registry.get(group, version, rest[0]);
    if (!r) throw resourceNotFound();
    if (namespace !== undefined && !r.type.namespaced) throw resourceNotFound();
    const subresource = rest[2];
    if (subresource !== undefined && !r.type.subresources.includes(subresource)) throw resourceNotFound();
    return { r, namespace, name: rest[1], subresource, watchPath };
  }

  private async serveResource(
    req: IncomingMessage, res: ServerResponse, route: ResourceRoute, q: URLSearchParams, watch: boolean, dropAfterMs?: number,
  ): Promise<void> {
    const { r, namespace, name, subresource } = route;
    const method = req.method ?? 'GET';
    const dryRun = q.get('dryRun') === 'All';
    switch (method) {
      case 'GET': {
        if (watch) return this.serveWatch(req, res, route, q, dropAfterMs);
        if (name !== undefined) {
          if (subresource && subresource !== 'status') throw methodNotAllowed();
          const entry = this.core.get(r, namespace ?? '', name);
          const as = representationOf(req.headers.accept);
          if (as === 'table') return sendJson(res, 200, buildTable(r.type, [copyOut(r, entry)], { resourceVersion: String(entry.rv) }, this.now()));
          if (as === 'partial') return sendJson(res, 200, partialMetadata(entry.obj));
          return sendJson(res, 200, encode(r, entry));
        }
        return this.serveList(res, r, namespace, q, representationOf(req.headers.accept));
      }
      case 'POST': {
        if (name !== undefined && subresource === 'token') return this.serveTokenRequest(req, res, r, namespace!, name);
        if (name !== undefined) throw methodNotAllowed();
        if (r.type.namespaced && namespace === undefined) throw methodNotAllowed();
        const body = parseObjectBody(await readBody(req), req.headers['content-type']) as KubeObject;
        if (r.virtual) return this.serveTokenReview(res, body);
        const entry = this.core.create(r, namespace, body, { dryRun, manager: fieldManager(req, q) });
        return sendJson(res, 201, encode(r, entry));
      }
      case 'PUT': {
        if (name === undefined) throw methodNotAllowed();
        const body = parseObjectBody(await readBody(req), req.headers['content-type']) as KubeObject;
        return sendJson(res, 200, encode(r, this.core.update(r, namespace, name, body, { subresource, dryRun, manager: fieldManager(req, q) })));
      }
      case 'PATCH': {
        if (name === undefined) throw methodNotAllowed();
        const mt = mediaType(req.headers['content-type']);
        // Custom resources take no strategic merge patch; the API server words the two refusals differently.
        const accepted: readonly string[] = r.type.builtin ? PATCH_TYPES : PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json');
        if (!accepted.includes(mt)) {
          throw r.type.builtin ? new ApiError(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {}) : unsupportedMediaType([...accepted]);
        }
        const force = q.get('force');
        if (mt === APPLY_PATCH) {
          const manager = q.get('fieldManager');
          if (!manager) throw patchOptionsInvalid([fieldRequired('fieldManager', 'is required for apply patch')]);
          const config = parseApplyBody(await readBody(req));
          const { entry, created } = this.core.apply(r, namespace, name, config, { manager, force: force === 'true', subresource, dryRun });
          return sendJson(res, created ? 201 : 200, encode(r, entry));
        }
        if (force !== null) throw patchOptionsInvalid([fieldForbidden('force', 'may not be specified for non-apply patch')]);
        const patch = parseJsonBody(await readBody(req));
        return sendJson(res, 200, encode(r, this.core.patch(r, namespace, name, mt as PatchType, patch, { subresource, dryRun, manager: fieldManager(req, q) })));
      }
      case 'DELETE': {
        const raw = await readBody(req);
        const opts = raw.length ? (parseJsonBody(raw) as { propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string }; orphanDependents?: boolean }) : {};
        let policy = (q.get('propagationPolicy') ?? opts.propagationPolicy) as PropagationPolicy | undefined;
        if (opts.orphanDependents === true || q.get('orphanDependents') === 'true') policy = 'Orphan';
        if (policy && !['Background', 'Foreground', 'Orphan'].includes(policy)) throw badRequest(`invalid propagationPolicy: ${policy}`);
        if (name === undefined) {
          // The answer is the list of what was deleted, as it was listed before.
          const resourceVersion = String(this.store.resourceVersion);
          const deleted = this.core.deleteCollection(r, namespace, this.selectors(r, q), { propagationPolicy: policy, dryRun });
          return this.sendList(res, r, deleted, { resourceVersion });
        }
        if (subresource) throw methodNotAllowed();
        const { entry, removed } = this.core.delete(r, namespace, name, { propagationPolicy: policy, preconditions: opts.preconditions, dryRun });
        // Gone at once: a Status (Pods answer with their last state); still finalizing: the object.
        if (removed && r.storageKey !== '/pods') {
          return sendJson(res, 200, successStatus({ name, ...(r.type.group ? { group: r.type.group } : {}), kind: r.type.plural, uid: String(entry.obj.metadata?.uid ?? '') }));
        }
        return sendJson(res, 200, encode(r, entry));
      }
      default:
        throw methodNotAllowed();
    }
  }

  private selectors(r: ServedResource, q: URLSearchParams) {
    let fs = q.get('fieldSelector');
    if (fs && r.toExternal && r.storageKey === '/events') {
      fs = fs.replace(/regarding\./g, 'involvedObject.').replace(/reportingController/g, 'reportingComponent');
    }
    return both(parseLabelSelector(q.get('labelSelector')), parseFieldSelector(fs, selectable(r)));
  }

  private serveList(res: ServerResponse, r: ServedResource, namespace: string | undefined, q: URLSearchParams, as: Representation = 'object'): void {
    const matcher = this.selectors(r, q);
    const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
    const result = this.core.list(r, namespace, { matcher, limit, continueToken: q.get('continue') ?? undefined });
    // Lists of custom resources always say `continue`, empty on the last page.
    const meta: Record<string, unknown> = r.type.builtin ? {} : { continue: '' };
    meta.resourceVersion = result.resourceVersion;
    if (result.continueToken) { meta.continue = result.continueToken; meta.remainingItemCount = result.remainingItemCount; }
    if (as === 'table') return sendJson(res, 200, buildTable(r.type, result.entries.map((e) => copyOut(r, e)), meta, this.now()));
    if (as === 'partial') {
      return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: result.entries.map((e) => partialMetadata(e.obj)) });
    }
    this.sendList(res, r, result.entries, meta);
  }

  /** A `<Kind>List`; items of built-in kinds carry no apiVersion and kind, custom resources' do. */
  private sendList(res: ServerResponse, r: ServedResource, entries: Entry[], meta: Record<string, unknown>): void {
    const items = (r.type.builtin ? entries.map((e) => listItem(r, e)) : entries.map((e) => encode(r, e))).join(',');
    sendJson(res, 200, `{"kind":"${r.type.listKind}","apiVersion":"${r.apiVersion}","metadata":${JSON.stringify(meta)},"items":[${items}]}`);
  }

  private serveWatch(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, q: URLSearchParams, dropAfterMs?: number): void {
    const { r, namespace } = route;
    let matcher = this.selectors(r, q);
    if (route.name !== undefined) {
      const byName = parseFieldSelector(`metadata.name=${route.name}`, selectable(r));
      matcher = both(matcher, byName);
    }
    const rvParam = q.get('resourceVersion') ?? '';
    const sendInitialParam = q.get('sendInitialEvents');
    this.validateWatchOptions(q);
    const sendInitial = sendInitialParam === 'true';
    const allowBookmarks = q.get('allowWatchBookmarks') === 'true';
    let history: Entry[] | undefined;
    let replay: ReturnType<ObjectStore['eventsSince']> = [];
    if (sendInitial || (sendInitialParam === null && (rvParam === '' || rvParam === '0'))) {
      // The current state as ADDED events (a watch-list; or, without sendInitialEvents, a watch from "" or "0").
      history = [...this.store.entries(r.storageKey, r.type.namespaced ? namespace : undefined)];
    } else {
      // sendInitialEvents=false from "" or "0": from now, no initial state.
      const rv = rvParam === '' || rvParam === '0' ? this.store.resourceVersion : Number(rvParam);
      if (!Number.isInteger(rv) || rv < 0) throw badRequest(`invalid resource version: ${rvParam}`);
      replay = this.store.eventsSince(r.storageKey, rv);
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    if (replay === undefined) {
      const err = gone(`too old resource version: ${rvParam} (${this.store.resourceVersion})`);
      res.end(watchLine('ERROR', JSON.stringify(err.toStatus())));
      return;
    }
    const timers: NodeJS.Timeout[] = [];
    let closed = false;
    // `kubectl get -w` asks for Tables (each event's object is a one-row Table); metadata informers for PartialObjectMetadata.
    const as = representationOf(req.headers.accept);
    const viewKey = as === 'object' ? r.apiVersion : `${r.apiVersion}|${as}`;
    const encodeFor = (e: Entry): string => {
      if (as === 'table') return JSON.stringify(buildTable(r.type, [copyOut(r, e)], { resourceVersion: String(e.rv) }, this.now()));
      if (as === 'partial') return JSON.stringify(partialMetadata(e.obj));
      return encode(r, e);
    };
    const bookmarkLine = (extra?: Record<string, string>): string => JSON.stringify({
      type: 'BOOKMARK',
      object: { kind: r.type.kind, apiVersion: r.apiVersion, metadata: { resourceVersion: String(this.store.resourceVersion), ...(extra ? { annotations: extra } : {}) } },
    }) + '\n';
    const w: Watcher = {
      storageKey: r.storageKey,
      namespace: r.type.namespaced ? namespace : undefined,
      matches: matcher,
      viewKey,
      resource: r.type.plural,
      encode: encodeFor,
      send: (line) => { if (!closed) res.write(line); },
      close: (graceful) => {
        if (closed) return;
        cleanup();
        if (graceful) res.end(); else res.destroy();
      },
    };
    const unregister = this.hub.add(w);
    const cleanup = (): void => {
      closed = true;
      unregister();
      for (const t of timers) { clearTimeout(t); clearInterval(t); }
    };
    req.on('close', cleanup);
    res.on('close', cleanup);
    res.on('error', cleanup);
    if (history) {
      for (const e of history) if (w.matches(e.obj)) res.write(watchLine('ADDED', encodeFor(e)));
      // As the watch cache: the end of the initial events is marked only for a client that accepts bookmarks.
      if (sendInitial && allowBookmarks) res.write(bookmarkLine({ 'k8s.io/initial-events-end': 'true' }));
    } else {
      for (const ev of replay) this.hub.deliver(w, ev);
    }
    if (allowBookmarks) {
      timers.push(setInterval(() => { if (!closed) res.write(bookmarkLine()); }, this.opts.bookmarkIntervalMs));
    }
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0);
    if (timeoutSeconds > 0) timers.push(setTimeout(() => w.close(true), timeoutSeconds * 1000));
    if (dropAfterMs !== undefined) timers.push(setTimeout(() => w.close(true), dropAfterMs));
  }

  /**
   * kube-apiserver's checks of a watch's options (ValidateListOptions in apimachinery's
   * internalversion/validation): 422 Invalid on ListOptions.
   */
  private validateWatchOptions(q: URLSearchParams): void {
    const errors: FieldError[] = [];
    const sendInitial = q.get('sendInitialEvents');
    const match = q.get('resourceVersionMatch') ?? '';
    if (sendInitial !== null) {
      if (match !== 'NotOlderThan') errors.push(fieldForbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
      if (this.opts.watchList === false) errors.push(fieldForbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
    }
    if (match !== '') {
      if (sendInitial === null) errors.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') errors.push(fieldNotSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (q.get('continue')) errors.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    if (errors.length) throw listOptionsInvalid(errors);
  }

  private async serveTokenRequest(req: IncomingMessage, res: ServerResponse, r: ServedResource, namespace: string, name: string): Promise<void> {
    const raw = await readBody(req);
    const body = (raw.length ? parseObjectBody(raw, req.headers['content-type']) : {}) as {
      spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: { kind?: string; name?: string; uid?: string } };
    };
    const sa = this.core.get(r, namespace, name);
    const spec = body.spec ?? {};
    const audiences = spec.audiences && spec.audiences.length ? spec.audiences : [this.tokens.issuer];
    const expirationSeconds = spec.expirationSeconds ?? 3600;
    if (expirationSeconds < this.opts.minTokenExpirationSeconds) {
      throw new ApiError(422, 'Invalid', `TokenRequest.authentication.k8s.io "${name}" is invalid: spec.expirationSeconds: Invalid value: ${expirationSeconds}: may not specify a duration less than ${this.opts.minTokenExpirationSeconds} seconds`, {
        name, group: 'authentication.k8s.io', kind: 'TokenRequest',
        causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${expirationSeconds}: may not specify a duration less than ${this.opts.minTokenExpirationSeconds} seconds`, field: 'spec.expirationSeconds' }],
      });
    }
    let bound: { kind: string; name: string; uid: string } | undefined;
    if (spec.boundObjectRef?.name && spec.boundObjectRef.kind) {
      const plural = spec.boundObjectRef.kind === 'Pod' ? '/pods' : spec.boundObjectRef.kind === 'Secret' ? '/secrets' : undefined;
      if (!plural) throw badRequest(`cannot bind token to object of kind ${spec.boundObjectRef.kind}`);
      const obj = this.store.get(plural, namespace, spec.boundObjectRef.name);
      if (!obj) throw notFound({ group: '', plural: plural.slice(1) }, spec.boundObjectRef.name);
      bound = { kind: spec.boundObjectRef.kind, name: spec.boundObjectRef.name, uid: String(obj.obj.metadata?.uid) };
    }
    const { token, expirationTimestamp } = await this.tokens.sign({
      namespace, serviceAccountName: name, serviceAccountUid: String(sa.obj.metadata?.uid), audiences, expirationSeconds, boundObject: bound,
    });
    sendJson(res, 201, {
      kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: timestamp(this.now()) },
      spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token, expirationTimestamp: timestamp(expirationTimestamp) },
    });
  }

  private async serveTokenReview(res: ServerResponse, body: KubeObject): Promise<void> {
    const spec = (body.spec ?? {}) as { token?: string; audiences?: string[] };
    const reqAud = spec.audiences && spec.audiences.length ? spec.audiences : undefined;
    let status: Record<string, unknown>;
    try {
      if (!spec.token) throw new Error('token is required');
      const v = await this.tokens.verify(spec.token, reqAud ?? [this.tokens.issuer]);
      const sa = this.store.get('/serviceaccounts', v.namespace, v.serviceAccountName);
      if (!sa || sa.obj.metadata?.uid !== v.serviceAccountUid) throw new Error(`service account ${v.namespace}/${v.serviceAccountName} has been deleted`);
      status = {
        authenticated: true,
        user: {
          username: `system:serviceaccount:${v.namespace}:${v.serviceAccountName}`,
          uid: v.serviceAccountUid,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${v.namespace}`, 'system:authenticated'],
          extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${v.jti}`] },
        },
        audiences: reqAud ? v.audiences.filter((a) => reqAud.includes(a)) : v.audiences,
      };
    } catch (e) {
      status = { authenticated: false, user: {}, error: `[invalid bearer token, ${e instanceof Error ? e.message : String(e)}]` };
    }
    sendJson(res, 201, { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status });
  }

  private installNamespaceHooks(): void {
    // The service-account controller's job: every namespace gets a `default` ServiceAccount.
    this.core.setHooks('/namespaces', {
      afterCommit: (entry, old) => {
        if (old) return;
        const ns = String(entry.obj.metadata?.name);
        const sa = this.registry.get('', 'v1', 'serviceaccounts');
        if (sa && !this.store.get('/serviceaccounts', ns, 'default')) this.core.create(sa, ns, { metadata: { name: 'default' } });
      },
    });
  }

  // ---- /_dev control API ----

  private async devControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const raw = method === 'GET' ? Buffer.alloc(0) : await readBody(req);
    const body = raw.length ? (parseJsonBody(raw) as Record<string, unknown>) : {};
    switch (`${method} ${path}`) {
      case 'GET /_dev/stats': return sendJson(res, 200, {
        counts: this.stats.snapshot(), faultsInjected: this.faults.injected, watches: this.hub.size,
        resourceVersion: this.store.resourceVersion, rssBytes: process.memoryUsage().rss,
      });
      case 'DELETE /_dev/stats': case 'POST /_dev/stats/reset': this.stats.reset(); return sendJson(res, 200, { ok: true });
      case 'GET /_dev/faults': return sendJson(res, 200, { rules: this.faults.list() });
      case 'POST /_dev/faults': return sendJson(res, 201, { id: this.faults.add(body as FaultRule) });
      case 'DELETE /_dev/faults': this.faults.clear(); return sendJson(res, 200, { ok: true });
      case 'POST /_dev/watches/drop': return sendJson(res, 200, { dropped: this.dropWatches(body as { resource?: string; graceful?: boolean }) });
      case 'POST /_dev/compact': this.store.compact(); return sendJson(res, 200, { ok: true, resourceVersion: this.store.resourceVersion });
      case 'POST /_dev/restart': {
        const downMs = Number(body.downMs ?? 0);
        res.on('finish', () => { setImmediate(() => { void this.restart(downMs); }); });
        return sendJson(res, 202, { ok: true }, { Connection: 'close' });
      }
    }
    const m = path.match(/^\/_dev\/faults\/([^/]+)$/);
    if (m && method === 'DELETE') { this.faults.remove(m[1]); return sendJson(res, 200, { ok: true }); }
    throw notFound({ group: '', plural: '_dev' }, path);
  }
}

const selectable = (r: ServedResource) => ({ storageKey: r.storageKey, kind: r.type.kind, builtin: r.type.builtin === true });

/** The field manager of a write: `?fieldManager=`, else the client's User-Agent up to its first `/`, as the API server derives it. */
function fieldManager(req: IncomingMessage, q: URLSearchParams): string {
  const named = q.get('fieldManager');
  if (named) return named;
  const agent = req.headers['user-agent'] ?? '';
  return agent.split('/')[0] || 'unknown';
}

const listOptionsInvalid = (errors: FieldError[]): ApiError => {
  const e = invalid('meta.k8s.io', 'ListOptions', '', errors);
  const { name: _n, ...details } = e.details ?? {};
  return new ApiError(422, 'Invalid', e.message, details);
};

const patchOptionsInvalid = (errors: FieldError[]): ApiError => {
  const e = invalid('meta.k8s.io', 'PatchOptions', '', errors);
  const { name: _n, ...details } = e.details ?? {};
  return new ApiError(422, 'Invalid', e.message, details);
};

/** An applied configuration: YAML (of which JSON is a part). */
function parseApplyBody(raw: Buffer): unknown {
  try {
    return parseYaml(raw.toString('utf8'));
  } catch (e) {
    throw badRequest(`error decoding YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

function requestInfo(method: string, path: string, route: ResourceRoute, watch: boolean, initialEvents: boolean): RequestInfo {
  let verb: string;
  switch (method) {
    case 'GET': verb = watch ? 'watch' : route.name !== undefined ? 'get' : 'list'; break;
    case 'POST': verb = 'create'; break;
    case 'PUT': verb = 'update'; break;
    case 'PATCH': verb = 'patch'; break;
    case 'DELETE': verb = route.name !== undefined ? 'delete' : 'deletecollection'; break;
    default: verb = method.toLowerCase();
  }
  const resource = route.subresource ? `${route.r.type.plural}/${route.subresource}` : route.r.type.plural;
  return { verb, resource, group: route.r.type.group, namespace: route.namespace, name: route.name, path, ...(verb === 'watch' && initialEvents ? { initialEvents } : {}) };
}
