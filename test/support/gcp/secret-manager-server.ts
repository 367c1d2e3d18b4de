// A Secret Manager gRPC server for tests, from the service definition shipped inside
// @google-cloud/secret-manager: AccessSecretVersion (with data_crc32c), GetSecret,
// GetSecretVersion and ListSecrets (filter by name and labels), version states, and errors
// as real gRPC status codes. Resource names follow the API: projects/<p>/secrets/<s> and
// projects/<p>/locations/<l>/secrets/<s>, versions numbered from 1, `latest` being the most
// recently created version whatever its state.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { crc32c } from '../../../providers/gcpsm/crc32c.js';

export type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';

interface StoredVersion {
  id: number;
  data: Buffer;
  state: VersionState;
  createTime: Date;
}

interface StoredSecret {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  expireTime?: Date;
  createTime: Date;
  versions: StoredVersion[];
}

export interface InjectedFailure {
  code: grpc.status;
  message: string;
  /** Only for this RPC method (e.g. `AccessSecretVersion`); all methods when unset. */
  method?: string;
  /** How many calls fail; every call until cleared when unset. */
  times?: number;
  /** Sent as a google.rpc.RetryInfo detail (seconds), as Google APIs do on quota errors. */
  retryAfterSeconds?: number;
}

export interface ServedCall {
  method: string;
  name: string;
  authorization?: string;
}

export interface SecretManagerServerOptions {
  /** PEM key and certificate; plaintext when unset. */
  tls?: { key: string; cert: string };
  /** Decides whether a bearer token is valid; no auth check at all when unset. */
  acceptToken?: (token: string) => boolean;
}

function loadService(): grpc.ServiceDefinition {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('@google-cloud/secret-manager/package.json'));
  const protos = path.join(packageDir, 'build', 'protos');
  // google/api, google/iam and google/protobuf imports ship with google-gax, the SDK's runtime.
  // google-gax exports no package.json; find its root from its main entry (…/build/src/index.js).
  const gaxMain = require.resolve('google-gax');
  const common = path.join(gaxMain.slice(0, gaxMain.lastIndexOf(`${path.sep}build${path.sep}`)), 'build', 'protos');
  const definition = protoLoader.loadSync('google/cloud/secretmanager/v1/service.proto', {
    includeDirs: [protos, common],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } } };
  };
  return loaded.google.cloud.secretmanager.v1.SecretManagerService.service;
}

/**
 * google.rpc.Status { code, message, details: [Any(google.rpc.RetryInfo { retry_delay })] },
 * the `grpc-status-details-bin` trailer Google APIs attach to RESOURCE_EXHAUSTED.
 */
function statusWithRetryInfo(code: number, message: string, retryDelaySeconds: number): Buffer {
  const duration = protobuf.Writer.create().uint32(8).int64(retryDelaySeconds).finish();
  const retryInfo = protobuf.Writer.create().uint32(10).bytes(duration).finish();
  const any = protobuf.Writer.create().uint32(10).string('type.googleapis.com/google.rpc.RetryInfo').uint32(18).bytes(retryInfo).finish();
  return Buffer.from(protobuf.Writer.create().uint32(8).int32(code).uint32(18).string(message).uint32(26).bytes(any).finish());
}

function timestamp(date: Date): { seconds: string; nanos: number } {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

class RpcError extends Error {
  constructor(readonly code: grpc.status, message: string, readonly retryAfterSeconds?: number) {
    super(message);
  }
}

export class FakeSecretManagerServer {
  readonly secrets = new Map<string, StoredSecret>();
  readonly calls: ServedCall[] = [];
  /** Resource names whose reads are PERMISSION_DENIED. */
  readonly denied = new Set<string>();
  /** When set, payloads carry a CRC32C that does not match their data. */
  corruptPayloads = false;
  /** Secrets (full names) whose payloads carry a CRC32C that does not match their data. */
  readonly corruptSecrets = new Set<string>();
  private failures: InjectedFailure[] = [];
  private server?: grpc.Server;
  private clock = () => new Date();
  port = 0;

  constructor(private readonly options: SecretManagerServerOptions = {}) {}

  /** Creates a secret (e.g. `projects/p/secrets/db`) with optional labels, annotations and expiry. */
  addSecret(name: string, options: { labels?: Record<string, string>; annotations?: Record<string, string>; expireTime?: Date } = {}): void {
    this.secrets.set(name, { labels: options.labels ?? {}, annotations: options.annotations ?? {}, expireTime: options.expireTime, createTime: this.clock(), versions: [] });
  }

  /** Adds a version and returns its number. */
  addVersion(secretName: string, data: string | Buffer, state: VersionState = 'ENABLED'): number {
    const secret = this.secrets.get(secretName);
    if (!secret) throw new Error(`no secret ${secretName}`);
    const id = secret.versions.length + 1;
    secret.versions.push({ id, data: Buffer.from(data), state, createTime: new Date(Date.UTC(2026, 0, 1, 0, 0, id)) });
    return id;
  }

  setVersionState(secretName: string, id: number, state: VersionState): void {
    const version = this.secrets.get(secretName)?.versions.find((v) => v.id === id);
    if (!version) throw new Error(`no version ${id} of ${secretName}`);
    version.state = state;
    if (state === 'DESTROYED') version.data = Buffer.alloc(0);
  }

  fail(failure: InjectedFailure): void {
    this.failures.push({ ...failure });
  }

  clearFailures(): void {
    this.failures = [];
  }

  callsOf(method: string): ServedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async start(): Promise<number> {
    const server = new grpc.Server();
    const handlers: Record<string, (request: Record<string, unknown>) => unknown> = {
      AccessSecretVersion: (r) => this.accessSecretVersion(String(r.name ?? '')),
      GetSecretVersion: (r) => this.getSecretVersion(String(r.name ?? '')),
      GetSecret: (r) => this.getSecret(String(r.name ?? '')),
      ListSecrets: (r) => this.listSecrets(String(r.parent ?? ''), String(r.filter ?? ''), Number(r.pageSize ?? 0), String(r.pageToken ?? '')),
    };
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [method, handle] of Object.entries(handlers)) {
      implementation[method] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const authorization = call.metadata.get('authorization')[0]?.toString();
        this.calls.push({ method, name: String(call.request.name ?? call.request.parent ?? ''), authorization });
        try {
          this.authorize(authorization);
          this.injectFailure(method);
          const target = String(call.request.name ?? call.request.parent ?? '');
          for (const denied of this.denied) {
            if (target === denied || target.startsWith(`${denied}/`)) throw new RpcError(grpc.status.PERMISSION_DENIED, `Permission 'secretmanager.versions.access' denied for resource '${target}' (or it may not exist).`);
          }
          callback(null, handle(call.request));
        } catch (error) {
          if (!(error instanceof RpcError)) throw error;
          const metadata = new grpc.Metadata();
          if (error.retryAfterSeconds !== undefined) metadata.set('grpc-status-details-bin', statusWithRetryInfo(error.code, error.message, error.retryAfterSeconds));
          callback({ code: error.code, details: error.message, metadata, name: 'RpcError', message: error.message });
        }
      };
    }
    // Methods the tests do not use answer UNIMPLEMENTED, as any server lacking them would.
    server.addService(loadService(), implementation);
    const credentials = this.options.tls
      ? grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(this.options.tls.key), cert_chain: Buffer.from(this.options.tls.cert) }])
      : grpc.ServerCredentials.createInsecure();
    this.port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (error, port) => (error ? reject(error) : resolve(port))));
    this.server = server;
    return this.port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    server.forceShutdown();
  }

  private authorize(authorization: string | undefined): void {
    if (!this.options.acceptToken) return;
    const match = /^Bearer (.+)$/.exec(authorization ?? '');
    if (!match || !this.options.acceptToken(match[1]!)) {
      throw new RpcError(grpc.status.UNAUTHENTICATED, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
  }

  private injectFailure(method: string): void {
    const index = this.failures.findIndex((f) => !f.method || f.method === method);
    if (index < 0) return;
    const failure = this.failures[index]!;
    if (failure.times !== undefined) {
      failure.times -= 1;
      if (failure.times <= 0) this.failures.splice(index, 1);
    }
    throw new RpcError(failure.code, failure.message, failure.retryAfterSeconds);
  }

  private secret(name: string): StoredSecret {
    const secret = this.secrets.get(name);
    if (!secret) throw new RpcError(grpc.status.NOT_FOUND, `Secret [${name}] not found or has no versions.`);
    return secret;
  }

  private version(name: string): { secretName: string; version: StoredVersion } {
    const match = /^(.*\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(name);
    if (!match) throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid resource field value in the request.`);
    const secretName = match[1]!;
    const secret = this.secret(secretName);
    const wanted = match[2]!;
    const version = wanted === 'latest' ? secret.versions.at(-1) : secret.versions.find((v) => String(v.id) === wanted);
    if (!version) throw new RpcError(grpc.status.NOT_FOUND, `Secret Version [${name}] not found.`);
    return { secretName, version };
  }

  private versionResource(secretName: string, version: StoredVersion): Record<string, unknown> {
    return {
      name: `${secretName}/versions/${version.id}`,
      createTime: timestamp(version.createTime),
      state: version.state,
      ...(version.state === 'DESTROYED' ? { destroyTime: timestamp(version.createTime) } : {}),
    };
  }

  private accessSecretVersion(name: string): unknown {
    const { secretName, version } = this.version(name);
    if (version.state !== 'ENABLED') {
      throw new RpcError(grpc.status.FAILED_PRECONDITION, `Secret Version [${secretName}/versions/${version.id}] is in ${version.state} state.`);
    }
    const checksum = crc32c(version.data);
    return {
      name: `${secretName}/versions/${version.id}`,
      payload: { data: version.data, dataCrc32c: String(this.corruptPayloads || this.corruptSecrets.has(secretName) ? (checksum ^ 0x1) >>> 0 : checksum) },
    };
  }

  private getSecretVersion(name: string): unknown {
    const { secretName, version } = this.version(name);
    return this.versionResource(secretName, version);
  }

  private secretResource(name: string, secret: StoredSecret): Record<string, unknown> {
    return {
      name,
      createTime: timestamp(secret.createTime),
      labels: secret.labels,
      annotations: secret.annotations,
      replication: { automatic: {} },
      ...(secret.expireTime ? { expireTime: timestamp(secret.expireTime) } : {}),
    };
  }

  private getSecret(name: string): unknown {
    return this.secretResource(name, this.secret(name));
  }

  /**
   * The documented filter subset: terms joined by spaces or AND, each `name:<substring>`,
   * `labels.<key>=<value>` (value optionally quoted) or `labels.<key>:*` (label present).
   */
  private listSecrets(parent: string, filter: string, pageSize: number, pageToken: string): unknown {
    const terms = filter.split(/\s+(?:AND\s+)?/).map((t) => t.trim()).filter((t) => t !== '' && t !== 'AND');
    const matches = (id: string, secret: StoredSecret): boolean => terms.every((term) => {
      let m = /^name:(.+)$/.exec(term);
      if (m) return id.includes(m[1]!.replace(/^"|"$/g, ''));
      m = /^labels\.([^=:]+)=(.+)$/.exec(term);
      if (m) return secret.labels[m[1]!] === m[2]!.replace(/^"|"$/g, '');
      m = /^labels\.([^=:]+):\*$/.exec(term);
      if (m) return m[1]! in secret.labels;
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid filter: ${term}`);
    });
    const all = [...this.secrets.entries()]
      .filter(([name]) => name.startsWith(`${parent}/secrets/`))
      .filter(([name, secret]) => matches(name.slice(name.lastIndexOf('/') + 1), secret))
      .sort(([a], [b]) => a.localeCompare(b));
    const size = pageSize > 0 ? pageSize : 25000;
    const start = pageToken ? Number(pageToken) : 0;
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? String(start + size) : '';
    return { secrets: page.map(([name, secret]) => this.secretResource(name, secret)), nextPageToken: next, totalSize: all.length };
  }
}
