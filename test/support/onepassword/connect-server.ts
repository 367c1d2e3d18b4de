// A local 1Password Connect server speaking the Connect REST API (v1): vaults, items with
// `filter=title eq "…"` / `tag eq "…"`, full items with fields, sections and files, file
// content, bearer-token checks with per-token vault scope, and Connect's error bodies
// `{"status": …, "message": …}`. List URLs answer with and without the trailing slash, as
// the SDK uses both. Ids are 26 characters of [a-z0-9], like 1Password's.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export type ItemCategory = 'LOGIN' | 'PASSWORD' | 'API_CREDENTIAL' | 'DATABASE' | 'SECURE_NOTE' | 'DOCUMENT' | 'SERVER';

export interface FieldSpec {
  label: string;
  value: string;
  type?: 'STRING' | 'CONCEALED' | 'EMAIL' | 'URL';
  purpose?: 'USERNAME' | 'PASSWORD' | 'NOTES';
  section?: string;
}

export interface ItemSpec {
  title: string;
  category?: ItemCategory;
  tags?: string[];
  fields?: FieldSpec[];
  /** For DOCUMENT items (or attachments): file name → content. */
  files?: Record<string, Buffer | string>;
}

interface StoredFile {
  id: string;
  name: string;
  content: Buffer;
  section?: string;
}

interface StoredItem {
  id: string;
  title: string;
  category: ItemCategory;
  tags: string[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
  fields: Array<FieldSpec & { id: string }>;
  files: StoredFile[];
  trashed: boolean;
}

interface StoredVault {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
  contentVersion: number;
  items: Map<string, StoredItem>;
}

export interface ConnectRequestRecord {
  method: string;
  path: string;
  query: string;
  status: number;
}

/** A 1Password-style id: 26 characters of [a-z0-9]. */
export function onePasswordId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(26);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

const idPattern = /^[a-z0-9]{26}$/;

/** Parses the SCIM-style `attr eq "value"` filters Connect accepts. */
function parseFilter(filter: string | null): { attr: string; value: string } | undefined {
  if (!filter) return undefined;
  const m = /^\s*(\w+)\s+eq\s+"(.*)"\s*$/.exec(filter);
  return m ? { attr: m[1]!, value: m[2]! } : { attr: '', value: '' };
}

export class ConnectServer {
  private readonly vaults = new Map<string, StoredVault>();
  /** token → ids of the vaults it may read. */
  private readonly tokens = new Map<string, Set<string>>();
  private faults: Array<{ status: number; message: string; retryAfter?: string }> = [];
  readonly requests: ConnectRequestRecord[] = [];
  private base = '';

  private constructor(private readonly server: Server) {}

  static async start(tls?: { cert: string; key: string }): Promise<ConnectServer> {
    const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createHttpServer();
    const connect = new ConnectServer(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => connect.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    connect.base = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return connect;
  }

  get url(): string {
    return this.base;
  }

  addVault(name: string): string {
    const id = onePasswordId();
    const now = new Date();
    this.vaults.set(id, { id, name, createdAt: now, updatedAt: now, contentVersion: 1, items: new Map() });
    return id;
  }

  /** Issues a Connect token that may read the given vaults. */
  addToken(token: string, vaultIds: string[]): void {
    this.tokens.set(token, new Set(vaultIds));
  }

  addItem(vaultId: string, spec: ItemSpec): string {
    const vault = this.vault(vaultId);
    const now = new Date();
    const item: StoredItem = {
      id: onePasswordId(),
      title: spec.title,
      category: spec.category ?? 'LOGIN',
      tags: spec.tags ?? [],
      version: 1,
      createdAt: now,
      updatedAt: now,
      fields: (spec.fields ?? []).map((f) => ({ ...f, id: f.purpose === 'PASSWORD' ? 'password' : f.purpose === 'USERNAME' ? 'username' : onePasswordId() })),
      files: Object.entries(spec.files ?? {}).map(([name, content]) => ({ id: onePasswordId(), name, content: Buffer.from(content) })),
      trashed: false,
    };
    vault.items.set(item.id, item);
    vault.contentVersion++;
    return item.id;
  }

  /** Changes a field's value (or a document's file), bumping the item version as 1Password does. */
  updateItem(vaultId: string, itemId: string, change: { field?: string; value?: string; file?: string; content?: Buffer | string }): number {
    const item = this.vault(vaultId).items.get(itemId);
    if (!item) throw new Error(`no item ${itemId}`);
    if (change.field !== undefined) {
      const field = item.fields.find((f) => f.label === change.field);
      if (!field) throw new Error(`no field ${change.field}`);
      field.value = change.value ?? '';
    }
    if (change.file !== undefined) {
      const file = item.files.find((f) => f.name === change.file);
      if (!file) throw new Error(`no file ${change.file}`);
      file.content = Buffer.from(change.content ?? '');
    }
    item.version++;
    item.updatedAt = new Date();
    return item.version;
  }

  deleteItem(vaultId: string, itemId: string): void {
    this.vault(vaultId).items.delete(itemId);
  }

  throttleNext(count: number, retryAfterSeconds: number): void {
    for (let i = 0; i < count; i++) this.faults.push({ status: 429, message: 'Too many requests. Try again later.', retryAfter: String(retryAfterSeconds) });
  }

  failNext(count: number, status: number, message = 'Failed to reach 1Password. Try again later.'): void {
    for (let i = 0; i < count; i++) this.faults.push({ status, message });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private vault(id: string): StoredVault {
    const vault = this.vaults.get(id);
    if (!vault) throw new Error(`no vault ${id}`);
    return vault;
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private vaultJson(v: StoredVault): Record<string, unknown> {
    return {
      id: v.id,
      name: v.name,
      attributeVersion: 1,
      contentVersion: v.contentVersion,
      items: [...v.items.values()].filter((i) => !i.trashed).length,
      type: 'USER_CREATED',
      createdAt: v.createdAt.toISOString(),
      updatedAt: v.updatedAt.toISOString(),
    };
  }

  private itemSummary(vaultId: string, i: StoredItem): Record<string, unknown> {
    return {
      id: i.id,
      title: i.title,
      version: i.version,
      vault: { id: vaultId },
      category: i.category,
      ...(i.tags.length > 0 ? { tags: i.tags } : {}),
      lastEditedBy: 'DEHSFBQ7NVGPDJ4PVVVLHD3RD4',
      createdAt: i.createdAt.toISOString(),
      updatedAt: i.updatedAt.toISOString(),
      ...(i.trashed ? { state: 'ARCHIVED' } : {}),
    };
  }

  private fileJson(vaultId: string, itemId: string, f: StoredFile): Record<string, unknown> {
    return {
      id: f.id,
      name: f.name,
      size: f.content.length,
      content_path: `/v1/vaults/${vaultId}/items/${itemId}/files/${f.id}/content`,
      ...(f.section ? { section: { id: f.section } } : {}),
    };
  }

  private fullItem(vaultId: string, i: StoredItem): Record<string, unknown> {
    const sectionIds = [...new Set(i.fields.map((f) => f.section).filter((s): s is string => s !== undefined))];
    return {
      ...this.itemSummary(vaultId, i),
      sections: sectionIds.map((s) => ({ id: s, label: s })),
      fields: i.fields.map((f) => ({
        id: f.id,
        type: f.type ?? (f.purpose === 'PASSWORD' ? 'CONCEALED' : 'STRING'),
        ...(f.purpose ? { purpose: f.purpose } : {}),
        label: f.label,
        value: f.value,
        ...(f.section ? { section: { id: f.section } } : {}),
        ...(f.purpose === 'PASSWORD' ? { entropy: 96 } : {}),
      })),
      ...(i.files.length > 0 ? { files: i.files.map((f) => this.fileJson(vaultId, i.id, f)) } : {}),
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    const record: ConnectRequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: url.search, status: 200 };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      this.json(res, status, body, headers);
    };
    const error = (status: number, message: string, headers: Record<string, string> = {}): void => send(status, { status, message }, headers);

    if (url.pathname === '/heartbeat') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('.');
      return;
    }
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer\s+\S+/.test(auth)) return error(401, 'Invalid bearer token');
    const scope = this.tokens.get(auth.replace(/^Bearer\s+/, ''));
    if (!scope) return error(401, 'Invalid token signature');
    const fault = this.faults.shift();
    if (fault) return error(fault.status, fault.message, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    if (req.method !== 'GET') return error(405, 'Method not allowed');

    // Trailing slashes are optional on every path (the SDK lists with and without them).
    const parts = url.pathname.replace(/\/+$/, '').split('/').filter(Boolean);
    if (parts[0] !== 'v1' || parts[1] !== 'vaults') return error(404, 'Not found');
    const filter = parseFilter(url.searchParams.get('filter'));

    if (parts.length === 2) {
      if (filter && filter.attr !== 'name' && filter.attr !== 'title') return error(400, 'Invalid filter');
      const list = [...this.vaults.values()].filter((v) => scope.has(v.id) && (!filter || v.name === filter.value));
      return send(200, list.map((v) => this.vaultJson(v)));
    }
    const vaultId = parts[2]!;
    if (!idPattern.test(vaultId)) return error(400, 'Invalid Vault UUID');
    const vault = this.vaults.get(vaultId);
    if (!vault) return error(404, `vault ${vaultId} not found`);
    if (!scope.has(vaultId)) return error(403, `vault ${vaultId} is not in scope`);
    if (parts.length === 3) return send(200, this.vaultJson(vault));
    if (parts[3] !== 'items') return error(404, 'Not found');

    if (parts.length === 4) {
      if (filter && filter.attr !== 'title' && filter.attr !== 'tag') return error(400, 'Invalid filter');
      const items = [...vault.items.values()].filter((i) => !i.trashed && (!filter
        || (filter.attr === 'title' ? i.title === filter.value : i.tags.includes(filter.value))));
      return send(200, items.map((i) => this.itemSummary(vaultId, i)));
    }
    const itemId = parts[4]!;
    if (!idPattern.test(itemId)) return error(400, 'Invalid Item UUID');
    const item = vault.items.get(itemId);
    if (!item) return error(404, `item ${itemId} not found`);
    if (parts.length === 5) return send(200, this.fullItem(vaultId, item));
    if (parts[5] !== 'files') return error(404, 'Not found');
    if (parts.length === 6) return send(200, item.files.map((f) => this.fileJson(vaultId, itemId, f)));
    const file = item.files.find((f) => f.id === parts[6]);
    if (!file) return error(404, `file ${parts[6]} not found`);
    if (parts.length === 7) return send(200, this.fileJson(vaultId, itemId, file));
    if (parts.length === 8 && parts[7] === 'content') {
      record.status = 200;
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${file.name}"`,
        'content-length': String(file.content.length),
      });
      res.end(file.content);
      return;
    }
    return error(404, 'Not found');
  }
}
