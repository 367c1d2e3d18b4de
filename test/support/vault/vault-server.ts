// A local Vault HTTP API for wire tests and benchmarks, following Vault's API docs:
// sys/health, token lookup-self / renew-self, AppRole and kubernetes login, KV v1 and v2
// (data, metadata, versions, delete/undelete/destroy, LIST via `?list=true`), Enterprise
// namespaces (`X-Vault-Namespace`), rate-limit quotas (429 + Retry-After), sealing (503),
// token TTLs on an injectable clock, and Vault's `{"errors":[...]}` bodies.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { OidcTokenVerifier } from '../aws/service-account-tokens.js';
import { KvMount } from './kv-engine.js';

export interface VaultTokenOptions {
  namespace?: string;
  ttlSeconds?: number;
  /** Renewals never extend past this many seconds after creation (0 = no cap). */
  maxTtlSeconds?: number;
  renewable?: boolean;
  policies?: string[];
  /** Paths (after the namespace) this token may use; default all. */
  allow?: (path: string) => boolean;
}

interface TokenRecord {
  id: string;
  accessor: string;
  namespace: string;
  policies: string[];
  ttlSeconds: number;
  createdMs: number;
  expiresMs?: number;
  maxExpiresMs?: number;
  renewable: boolean;
  revoked: boolean;
  allow: (path: string) => boolean;
}

export interface AppRoleOptions {
  mount?: string;
  namespace?: string;
  roleId: string;
  secretIds: string[];
  token?: VaultTokenOptions;
}

export interface KubernetesRoleOptions {
  mount?: string;
  namespace?: string;
  name: string;
  boundServiceAccountNames: string[];
  boundServiceAccountNamespaces: string[];
  /** When set, the JWT's `aud` must contain it. */
  audience?: string;
  token?: VaultTokenOptions;
}

export interface VaultServerOptions {
  now?: () => Date;
  /** Enterprise namespaces besides the root namespace. */
  namespaces?: string[];
  /** Issuers the kubernetes auth method trusts (it fetches their JWKS via OIDC discovery). */
  kubernetesIssuers?: string[];
  /** Rate-limit quota over all requests; past it Vault answers 429 with Retry-After. */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  latencyMs?: number;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
}

class VaultHttpError extends Error {
  constructor(readonly status: number, readonly errors: string[], readonly body?: Record<string, unknown>, readonly headers: Record<string, string> = {}) {
    super(errors.join('; '));
  }
}

const badToken = '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n';
const denied = '1 error occurred:\n\t* permission denied\n\n';

export class VaultTestServer {
  /** Requests received, by kind: `health`, `login:<mount>`, `lookup-self`, `renew-self`, `read`, `list`, `metadata`, `write`. */
  readonly calls: Record<string, number> = {};
  /** Headers of the last request (to check X-Vault-Namespace and tokens). */
  lastHeaders: Record<string, string | string[] | undefined> = {};
  sealed = false;
  latencyMs: number;
  private readonly namespaces: Set<string>;
  private readonly mounts = new Map<string, KvMount>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly appRoles = new Map<string, AppRoleOptions>();
  private readonly kubeRoles = new Map<string, KubernetesRoleOptions>();
  private readonly authMounts = new Map<string, 'approle' | 'kubernetes'>();
  private readonly faults: Array<{ match: RegExp; status: number; errors: string[]; times: number }> = [];
  private readonly verifier: OidcTokenVerifier;
  private readonly now: () => Date;
  private readonly server: Server;
  private bucket?: { tokens: number; updatedMs: number; rate: number; burst: number };
  private baseUrl = '';
  private readonly secure: boolean;

  constructor(options: VaultServerOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.latencyMs = options.latencyMs ?? 0;
    this.namespaces = new Set(['', ...(options.namespaces ?? [])]);
    const issuers = options.kubernetesIssuers ?? [];
    this.verifier = new OidcTokenVerifier(() => issuers, this.now);
    if (options.rateLimit) this.setRateLimit(options.rateLimit);
    this.secure = options.tls !== undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
  }

  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const scheme = this.secure ? 'https' : 'http';
    this.baseUrl = `${scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Enables a KV engine at `path` (in `namespace`) and returns it for seeding. */
  enableKv(path: string, version: 1 | 2, namespace = ''): KvMount {
    const mount = new KvMount(version, this.now);
    this.mounts.set(`${namespace}|${path}`, mount);
    return mount;
  }

  kv(path: string, namespace = ''): KvMount {
    const m = this.mounts.get(`${namespace}|${path}`);
    if (!m) throw new Error(`no KV mount ${path} in namespace "${namespace}"`);
    return m;
  }

  createToken(options: VaultTokenOptions = {}): string {
    const id = `hvs.${randomBytes(18).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x')}`;
    const nowMs = this.now().getTime();
    const ttl = options.ttlSeconds ?? 0;
    this.tokens.set(id, {
      id,
      accessor: randomBytes(12).toString('hex'),
      namespace: options.namespace ?? '',
      policies: options.policies ?? ['default'],
      ttlSeconds: ttl,
      createdMs: nowMs,
      expiresMs: ttl > 0 ? nowMs + ttl * 1000 : undefined,
      maxExpiresMs: options.maxTtlSeconds ? nowMs + options.maxTtlSeconds * 1000 : undefined,
      renewable: options.renewable ?? ttl > 0,
      revoked: false,
      allow: options.allow ?? (() => true),
    });
    return id;
  }

  revokeToken(id: string): void {
    const t = this.tokens.get(id);
    if (t) t.revoked = true;
  }

  /** Revokes every token issued so far, as a Vault restart with a lost token store would. */
  revokeAllTokens(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  /** Tokens issued so far (newest last). */
  issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  addAppRole(role: AppRoleOptions): void {
    const mount = role.mount ?? 'approle';
    this.authMounts.set(`${role.namespace ?? ''}|${mount}`, 'approle');
    this.appRoles.set(`${role.namespace ?? ''}|${mount}|${role.roleId}`, role);
  }

  addKubernetesRole(role: KubernetesRoleOptions): void {
    const mount = role.mount ?? 'kubernetes';
    this.authMounts.set(`${role.namespace ?? ''}|${mount}`, 'kubernetes');
    this.kubeRoles.set(`${role.namespace ?? ''}|${mount}|${role.name}`, role);
  }

  setRateLimit(limit: { requestsPerSecond: number; burst?: number } | undefined): void {
    this.bucket = limit
      ? { tokens: limit.burst ?? limit.requestsPerSecond, updatedMs: this.now().getTime(), rate: limit.requestsPerSecond, burst: limit.burst ?? limit.requestsPerSecond }
      : undefined;
  }

  /** Answers the next `times` requests whose path (after /v1/) matches with this error. */
  failNext(match: RegExp, status: number, errors: string[], times = 1): void {
    this.faults.push({ match, status, errors, times });
  }

  private count(kind: string): void {
    this.calls[kind] = (this.calls[kind] ?? 0) + 1;
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  }

  private envelope(data: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null, ...extra };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    this.lastHeaders = { ...req.headers };
    const url = new URL(req.url ?? '/', 'http://vault');
    try {
      if (!url.pathname.startsWith('/v1/')) throw new VaultHttpError(404, []);
      const path = decodeURIComponent(url.pathname.slice(4)).replace(/\/+$/, '');
      let body: Record<string, unknown> = {};
      if (raw) {
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          throw new VaultHttpError(400, ['failed to parse JSON input: invalid character']);
        }
      }
      const method = req.method === 'GET' && /^(true|1)$/.test(url.searchParams.get('list') ?? '') ? 'LIST' : (req.method ?? 'GET');
      const out = await this.route(method, path, url.searchParams, body, req);
      this.send(res, out.status, out.body);
    } catch (e) {
      if (e instanceof VaultHttpError) return this.send(res, e.status, e.body ?? { errors: e.errors }, e.headers);
      this.send(res, 500, { errors: ['internal error'] });
    }
  }

  private takeBucket(): boolean {
    const b = this.bucket;
    if (!b) return true;
    const nowMs = this.now().getTime();
    b.tokens = Math.min(b.burst, b.tokens + ((nowMs - b.updatedMs) / 1000) * b.rate);
    b.updatedMs = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>, req: IncomingMessage): Promise<{ status: number; body?: unknown }> {
    if (path === 'sys/health') {
      this.count('health');
      const doc = { initialized: true, sealed: this.sealed, standby: false, performance_standby: false, replication_performance_mode: 'disabled', replication_dr_mode: 'disabled', server_time_utc: Math.floor(this.now().getTime() / 1000), version: '1.17.0', cluster_name: 'vault-cluster-test', cluster_id: 'test' };
      return { status: this.sealed ? 503 : 200, body: doc };
    }
    if (this.sealed) throw new VaultHttpError(503, ['Vault is sealed']);
    if (!this.takeBucket()) {
      const b = this.bucket!;
      throw new VaultHttpError(429, [`request path "${path}": rate limit quota exceeded`], undefined, { 'retry-after': String(Math.max(1, Math.ceil(1 / b.rate))) });
    }
    const fault = this.faults.find((f) => f.match.test(path));
    if (fault) {
      if (--fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      throw new VaultHttpError(fault.status, fault.errors);
    }
    const nsHeader = req.headers['x-vault-namespace'];
    const namespace = (typeof nsHeader === 'string' ? nsHeader : '').replace(/^\/+|\/+$/g, '');
    if (!this.namespaces.has(namespace)) throw new VaultHttpError(404, [`no handler for route "${namespace}/${path}". route entry not found.`]);

    const login = /^auth\/(.+)\/login$/.exec(path);
    if (login && method !== 'GET') return this.login(namespace, login[1]!, body);

    const token = this.authenticate(req, namespace);
    if (path === 'auth/token/lookup-self') {
      this.count('lookup-self');
      return { status: 200, body: this.envelope(this.describeToken(token)) };
    }
    if (path === 'auth/token/renew-self') {
      this.count('renew-self');
      return { status: 200, body: this.renew(token, body) };
    }
    if (!token.allow(path)) throw new VaultHttpError(403, [denied]);
    return this.kvRequest(namespace, method, path, query, body);
  }

  private authenticate(req: IncomingMessage, namespace: string): TokenRecord {
    const header = req.headers['x-vault-token'];
    const id = typeof header === 'string' ? header : '';
    if (!id) throw new VaultHttpError(403, [denied]);
    const t = this.tokens.get(id);
    const nowMs = this.now().getTime();
    if (!t || t.revoked || (t.expiresMs !== undefined && t.expiresMs <= nowMs)) throw new VaultHttpError(403, [badToken]);
    // A token is valid in its own namespace and the ones beneath it.
    if (namespace !== t.namespace && !(t.namespace === '' || namespace.startsWith(`${t.namespace}/`))) throw new VaultHttpError(403, [denied]);
    return t;
  }

  private describeToken(t: TokenRecord): Record<string, unknown> {
    const nowMs = this.now().getTime();
    return {
      accessor: t.accessor,
      creation_time: Math.floor(t.createdMs / 1000),
      creation_ttl: t.ttlSeconds,
      display_name: 'token',
      entity_id: '',
      expire_time: t.expiresMs ? new Date(t.expiresMs).toISOString() : null,
      explicit_max_ttl: 0,
      id: t.id,
      issue_time: new Date(t.createdMs).toISOString(),
      meta: null,
      num_uses: 0,
      orphan: true,
      path: 'auth/token/create',
      policies: t.policies,
      renewable: t.renewable,
      ttl: t.expiresMs ? Math.max(0, Math.floor((t.expiresMs - nowMs) / 1000)) : 0,
      type: 'service',
    };
  }

  private authBlock(t: TokenRecord, warnings: string[] | null = null): Record<string, unknown> {
    const nowMs = this.now().getTime();
    return this.envelope(null, {
      warnings,
      auth: {
        client_token: t.id,
        accessor: t.accessor,
        policies: t.policies,
        token_policies: t.policies,
        metadata: {},
        lease_duration: t.expiresMs ? Math.max(0, Math.floor((t.expiresMs - nowMs) / 1000)) : 0,
        renewable: t.renewable,
        entity_id: '',
        token_type: 'service',
        orphan: true,
      },
    });
  }

  private renew(t: TokenRecord, body: Record<string, unknown>): Record<string, unknown> {
    if (!t.renewable || t.expiresMs === undefined) throw new VaultHttpError(400, ['lease is not renewable']);
    const nowMs = this.now().getTime();
    const increment = typeof body.increment === 'number' ? body.increment : t.ttlSeconds;
    let expires = nowMs + increment * 1000;
    const warnings: string[] = [];
    if (t.maxExpiresMs !== undefined && expires > t.maxExpiresMs) {
      expires = t.maxExpiresMs;
      warnings.push('TTL of "' + increment + 's" exceeded the effective max_ttl; TTL value is capped accordingly');
    }
    t.expiresMs = expires;
    return this.authBlock(t, warnings.length > 0 ? warnings : null);
  }

  private async login(namespace: string, mount: string, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    this.count(`login:${mount}`);
    const type = this.authMounts.get(`${namespace}|${mount}`);
    if (!type) throw new VaultHttpError(400, [`no handler for route "auth/${mount}/login". route entry not found.`]);
    if (type === 'approle') {
      const role = this.appRoles.get(`${namespace}|${mount}|${String(body.role_id ?? '')}`);
      if (!role || !role.secretIds.includes(String(body.secret_id ?? ''))) throw new VaultHttpError(400, ['invalid role or secret ID']);
      const id = this.createToken({ ttlSeconds: 3600, ...role.token, namespace });
      return { status: 200, body: this.authBlock(this.tokens.get(id)!) };
    }
    const roleName = String(body.role ?? '');
    const role = this.kubeRoles.get(`${namespace}|${mount}|${roleName}`);
    if (!role) throw new VaultHttpError(400, [`invalid role name "${roleName}"`]);
    if (typeof body.jwt !== 'string' || body.jwt === '') throw new VaultHttpError(400, ['missing jwt']);
    let verified;
    try {
      verified = await this.verifier.verify(body.jwt, role.audience ? [role.audience] : undefined);
    } catch {
      throw new VaultHttpError(403, [denied]);
    }
    if (!role.boundServiceAccountNames.includes(verified.serviceAccountName) && !role.boundServiceAccountNames.includes('*')) {
      throw new VaultHttpError(403, ['service account name not authorized']);
    }
    if (!role.boundServiceAccountNamespaces.includes(verified.namespace) && !role.boundServiceAccountNamespaces.includes('*')) {
      throw new VaultHttpError(403, ['namespace not authorized']);
    }
    const id = this.createToken({ ttlSeconds: 3600, ...role.token, namespace });
    return { status: 200, body: this.authBlock(this.tokens.get(id)!) };
  }

  private findMount(namespace: string, path: string): { mount: KvMount; mountPath: string; rest: string } {
    let best: { mount: KvMount; mountPath: string; rest: string } | undefined;
    for (const [key, mount] of this.mounts) {
      const [ns, mountPath] = key.split('|') as [string, string];
      if (ns !== namespace) continue;
      if (path === mountPath || path.startsWith(`${mountPath}/`)) {
        if (!best || mountPath.length > best.mountPath.length) best = { mount, mountPath, rest: path.slice(mountPath.length + 1) };
      }
    }
    if (!best) throw new VaultHttpError(403, [denied]);
    return best;
  }

  private kvRequest(namespace: string, method: string, path: string, query: URLSearchParams, body: Record<string, unknown>): { status: number; body?: unknown } {
    const { mount, rest } = this.findMount(namespace, path);
    if (mount.version === 1) {
      if (method === 'LIST') return this.listResponse(mount, rest);
      if (method === 'GET') {
        this.count('read');
        const data = mount.v1.get(rest);
        if (!data) throw new VaultHttpError(404, []);
        return { status: 200, body: this.envelope(data, { lease_duration: 2764800 }) };
      }
      if (method === 'POST' || method === 'PUT') {
        this.count('write');
        mount.write(rest, body);
        return { status: 204 };
      }
      if (method === 'DELETE') {
        mount.deleteAll(rest);
        return { status: 204 };
      }
      throw new VaultHttpError(405, ['unsupported operation']);
    }
    const slash = rest.indexOf('/');
    const op = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    const versions = Array.isArray(body.versions) ? body.versions.map(Number) : [];
    switch (`${method} ${op}`) {
      case 'GET data': {
        this.count('read');
        const s = mount.v2.get(key);
        if (!s) throw new VaultHttpError(404, []);
        const wanted = Number(query.get('version') ?? 0) || s.currentVersion;
        const v = s.versions.get(wanted);
        if (!v) throw new VaultHttpError(404, []);
        const meta = mount.metadataOf(v, wanted, s);
        // Deleted or destroyed versions: 404 with the metadata, no errors (as Vault answers).
        if (v.deletionTime || v.destroyed) throw new VaultHttpError(404, [], this.envelope({ data: null, metadata: meta }));
        return { status: 200, body: this.envelope({ data: v.data, metadata: meta }) };
      }
      case 'POST data':
      case 'PUT data': {
        this.count('write');
        const version = mount.write(key, (body.data ?? {}) as Record<string, unknown>);
        const s = mount.v2.get(key)!;
        return { status: 200, body: this.envelope(mount.metadataOf(s.versions.get(version)!, version, s)) };
      }
      case 'GET metadata': {
        this.count('metadata');
        const s = mount.v2.get(key);
        if (!s) throw new VaultHttpError(404, []);
        const versionsDoc = Object.fromEntries([...s.versions].map(([n, v]) => [String(n), { created_time: v.createdTime, deletion_time: v.deletionTime, destroyed: v.destroyed }]));
        const numbers = [...s.versions.keys()];
        return {
          status: 200,
          body: this.envelope({
            cas_required: false, created_time: s.createdTime, current_version: s.currentVersion, custom_metadata: s.customMetadata,
            delete_version_after: '0s', max_versions: s.maxVersions, oldest_version: Math.min(...numbers), updated_time: s.updatedTime, versions: versionsDoc,
          }),
        };
      }
      case 'LIST metadata':
        return this.listResponse(mount, key);
      case 'DELETE data':
        mount.softDelete(key);
        return { status: 204 };
      case 'POST delete':
      case 'PUT delete':
        mount.softDelete(key, versions);
        return { status: 204 };
      case 'POST undelete':
      case 'PUT undelete':
        mount.undelete(key, versions);
        return { status: 204 };
      case 'POST destroy':
      case 'PUT destroy':
        mount.destroy(key, versions);
        return { status: 204 };
      case 'DELETE metadata':
        mount.deleteAll(key);
        return { status: 204 };
      default:
        throw new VaultHttpError(405, ['unsupported operation']);
    }
  }

  private listResponse(mount: KvMount, folder: string): { status: number; body: unknown } {
    this.count('list');
    const keys = mount.list(folder);
    if (keys.length === 0) throw new VaultHttpError(404, []);
    return { status: 200, body: this.envelope({ keys }) };
  }
}
