// A local Azure Key Vault (secrets data plane) over TLS, answering as the REST API does:
// `GET /secrets/{name}/{version}` and the paged `GET /secrets` list (`nextLink`), the 401
// bearer challenge naming the tenant's authority and the vault resource, access tokens
// checked against the local Entra ID's key, RBAC-style 403s, `SecretNotFound` 404s, the
// 403 on a disabled secret, and injected 429 (with Retry-After) / 5xx faults.
// Attributes travel as Unix seconds (`enabled`, `nbf`, `exp`, `created`, `updated`).
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { EntraIdServer } from './entra-id-server.js';
import type { TestPki } from './test-pki.js';

export const keyVaultResource = 'https://vault.azure.net';

export interface SecretVersionRecord {
  version: string;
  value: string;
  contentType?: string;
  enabled: boolean;
  notBefore?: Date;
  expires?: Date;
  created: Date;
  updated: Date;
  tags?: Record<string, string>;
  managed?: boolean;
}

export interface SetSecretOptions {
  contentType?: string;
  enabled?: boolean;
  notBefore?: Date;
  expires?: Date;
  tags?: Record<string, string>;
  managed?: boolean;
}

export interface VaultRequestRecord {
  method: string;
  path: string;
  apiVersion?: string;
  authorized: boolean;
  status: number;
  appId?: string;
}

type Permission = 'get' | 'list';

interface Fault {
  status: number;
  retryAfter?: string;
  code: string;
  message: string;
}

export interface KeyVaultServerOptions {
  pki: TestPki;
  entra: EntraIdServer;
  /** Page size of `GET /secrets` when the client asks for none (the service default is 25). */
  pageSize?: number;
}

const unixSeconds = (d: Date | undefined): number | undefined => (d ? Math.floor(d.getTime() / 1000) : undefined);

export class KeyVaultServer {
  private readonly secrets = new Map<string, SecretVersionRecord[]>();
  private readonly grants = new Map<string, Set<Permission>>();
  private faults: Fault[] = [];
  readonly requests: VaultRequestRecord[] = [];
  private url = '';

  private constructor(
    private readonly server: Server,
    private readonly entra: EntraIdServer,
    private readonly pageSize: number,
  ) {}

  static async start(options: KeyVaultServerOptions): Promise<KeyVaultServer> {
    const server = createServer({ cert: options.pki.serverCert, key: options.pki.serverKey });
    const vault = new KeyVaultServer(server, options.entra, options.pageSize ?? 25);
    server.on('request', (req, res) => void vault.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    vault.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return vault;
  }

  get vaultUrl(): string {
    return this.url;
  }

  /** Adds a new version (the new latest) and returns its version id. */
  setSecret(name: string, value: string, options: SetSecretOptions = {}): string {
    const now = new Date();
    const record: SecretVersionRecord = {
      version: randomBytes(16).toString('hex'),
      value,
      contentType: options.contentType,
      enabled: options.enabled ?? true,
      notBefore: options.notBefore,
      expires: options.expires,
      created: now,
      updated: now,
      tags: options.tags,
      managed: options.managed,
    };
    const versions = this.secrets.get(name) ?? [];
    versions.push(record);
    this.secrets.set(name, versions);
    return record.version;
  }

  updateSecretAttributes(name: string, changes: Partial<Pick<SecretVersionRecord, 'enabled' | 'notBefore' | 'expires' | 'tags'>>, version?: string): void {
    const versions = this.secrets.get(name) ?? [];
    const record = version ? versions.find((v) => v.version === version) : versions[versions.length - 1];
    if (!record) throw new Error(`no such secret ${name}`);
    Object.assign(record, changes, { updated: new Date() });
  }

  deleteSecret(name: string): void {
    this.secrets.delete(name);
  }

  /** Grants an application (by appid claim) the data-plane permissions, as an RBAC role would. */
  grant(appId: string, permissions: Permission[]): void {
    this.grants.set(appId, new Set(permissions));
  }

  throttleNext(count: number, retryAfterSeconds: number): void {
    for (let i = 0; i < count; i++) {
      this.faults.push({
        status: 429,
        retryAfter: String(retryAfterSeconds),
        code: 'Throttled',
        message: 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
      });
    }
  }

  failNext(count: number, status: number): void {
    for (let i = 0; i < count; i++) {
      this.faults.push({ status, code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please try again later.' });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private error(res: ServerResponse, status: number, code: string, message: string, inner?: string, headers: Record<string, string> = {}): void {
    const body: { error: Record<string, unknown> } = { error: { code, message } };
    if (inner) body.error.innererror = { code: inner };
    this.send(res, status, body, headers);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-ms-request-id': randomBytes(16).toString('hex'),
      'x-ms-keyvault-service-version': '1.9.1234.5',
      'x-ms-keyvault-region': 'westeurope',
      ...headers,
    });
    res.end(JSON.stringify(body));
  }

  private challenge(): string {
    return `Bearer authorization="${this.entra.authorityHost}/${this.entra.tenantId}", resource="${keyVaultResource}"`;
  }

  private async authenticate(req: IncomingMessage): Promise<{ appId: string } | { failure: string }> {
    const header = req.headers.authorization;
    if (!header || !/^Bearer\s+/i.test(header)) return { failure: 'AKV10000: Request is missing a Bearer or PoP token.' };
    const token = header.replace(/^Bearer\s+/i, '');
    try {
      const { payload } = await jwtVerify(token, this.entra.verificationKey, {
        issuer: this.entra.accessTokenIssuer,
        audience: keyVaultResource,
        algorithms: ['RS256'],
      });
      if (payload.tid !== this.entra.tenantId) return { failure: 'AKV10032: Invalid issuer.' };
      return { appId: String(payload.appid) };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (/audience|aud/.test(reason)) return { failure: 'AKV10022: Invalid audience.' };
      if (/expired|exp/.test(reason)) return { failure: 'AKV10020: Token expired.' };
      return { failure: 'AKV10046: Invalid token signature.' };
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const record: VaultRequestRecord = { method: req.method ?? 'GET', path: url.pathname, apiVersion: url.searchParams.get('api-version') ?? undefined, authorized: false, status: 200 };
    this.requests.push(record);
    const reply = (status: number, fn: () => void): void => {
      record.status = status;
      fn();
    };
    const auth = await this.authenticate(req);
    if ('failure' in auth) {
      reply(401, () => this.error(res, 401, 'Unauthorized', auth.failure, undefined, { 'www-authenticate': this.challenge() }));
      return;
    }
    record.authorized = true;
    record.appId = auth.appId;
    if (!record.apiVersion) {
      reply(400, () => this.error(res, 400, 'BadParameter', 'The request URI contains an invalid API version.'));
      return;
    }
    const fault = this.faults.shift();
    if (fault) {
      reply(fault.status, () => this.error(res, fault.status, fault.code, fault.message, undefined, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}));
      return;
    }
    const segments = url.pathname.split('/').filter(Boolean);
    if (req.method !== 'GET' || segments[0] !== 'secrets') {
      reply(405, () => this.error(res, 405, 'MethodNotAllowed', 'The method is not allowed on this resource.'));
      return;
    }
    const action = segments.length === 1 ? 'list' : 'get';
    if (!this.grants.get(auth.appId)?.has(action)) {
      const verb = action === 'list' ? 'secrets/readMetadata/action' : 'secrets/getSecret/action';
      reply(403, () => this.error(res, 403, 'Forbidden', `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=${auth.appId}\r\nAction: 'Microsoft.KeyVault/vaults/${verb}'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\n`, 'ForbiddenByRbac'));
      return;
    }
    if (action === 'list') {
      reply(200, () => this.list(url, res));
      return;
    }
    const name = decodeURIComponent(segments[1]!);
    const version = segments[2] ? decodeURIComponent(segments[2]) : undefined;
    const versions = this.secrets.get(name) ?? [];
    const found = version ? versions.find((v) => v.version === version) : versions[versions.length - 1];
    if (!found) {
      const id = version ? `${name}/${version}` : name;
      reply(404, () => this.error(res, 404, 'SecretNotFound', `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`));
      return;
    }
    if (!found.enabled) {
      reply(403, () => this.error(res, 403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled'));
      return;
    }
    reply(200, () => this.send(res, 200, {
      value: found.value,
      ...(found.contentType ? { contentType: found.contentType } : {}),
      id: `${this.url}/secrets/${encodeURIComponent(name)}/${found.version}`,
      attributes: this.attributes(found),
      tags: found.tags ?? {},
      ...(found.managed ? { managed: true, kid: `${this.url}/keys/${encodeURIComponent(name)}/${found.version}` } : {}),
    }));
  }

  private attributes(v: SecretVersionRecord): Record<string, unknown> {
    const out: Record<string, unknown> = { enabled: v.enabled };
    if (v.notBefore) out.nbf = unixSeconds(v.notBefore);
    if (v.expires) out.exp = unixSeconds(v.expires);
    out.created = unixSeconds(v.created);
    out.updated = unixSeconds(v.updated);
    out.recoveryLevel = 'Recoverable+Purgeable';
    out.recoverableDays = 90;
    return out;
  }

  private list(url: URL, res: ServerResponse): void {
    const requested = Number(url.searchParams.get('maxresults') ?? '');
    const size = Number.isInteger(requested) && requested > 0 ? Math.min(requested, 25) : this.pageSize;
    const skip = Number(Buffer.from(url.searchParams.get('$skiptoken') ?? '', 'base64url').toString('utf8') || '0');
    const names = [...this.secrets.keys()].sort();
    const page = names.slice(skip, skip + size).map((name) => {
      const versions = this.secrets.get(name)!;
      const latest = versions[versions.length - 1]!;
      return {
        id: `${this.url}/secrets/${encodeURIComponent(name)}`,
        attributes: this.attributes(latest),
        tags: latest.tags ?? {},
        ...(latest.contentType ? { contentType: latest.contentType } : {}),
        ...(latest.managed ? { managed: true } : {}),
      };
    });
    let nextLink: string | null = null;
    if (skip + size < names.length) {
      const next = new URL(`${this.url}/secrets`);
      next.searchParams.set('api-version', url.searchParams.get('api-version')!);
      next.searchParams.set('$skiptoken', Buffer.from(String(skip + size)).toString('base64url'));
      next.searchParams.set('maxresults', String(size));
      nextLink = next.toString();
    }
    this.send(res, 200, { value: page, nextLink });
  }
}
