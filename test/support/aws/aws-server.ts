// A local AWS endpoint for wire tests and benchmarks: Secrets Manager over the JSON 1.1
// protocol (`X-Amz-Target: secretsmanager.<Operation>`), SSM Parameter Store likewise
// (`AmazonSSM.<Operation>`, see parameter-store.ts) and STS over the query protocol
// (form-encoded `Action=...`, XML responses), on one 127.0.0.1 port. Shapes and error
// codes follow the Secrets Manager and STS API references. Requests are SigV4-verified
// against known keys; web identity tokens are verified against trusted OIDC issuers.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AwsFault } from './aws-fault.js';
import { ParameterStore } from './parameter-store.js';
import { SecretStore, type StoredSecret, type StoredVersion } from './secret-store.js';
import { OidcTokenVerifier, TokenVerificationError } from './service-account-tokens.js';
import { parseSigV4, signatureMatches } from './sigv4.js';

export interface AwsUser {
  accessKeyId: string;
  secretAccessKey: string;
  /** IAM user name shown in error messages (default `keyferry-test`). */
  userName?: string;
  /** Which secrets this principal may read (default: all). */
  allow?: (secretName: string) => boolean;
}

export interface AwsRole {
  arn: string;
  /** `sub` claims allowed to assume it by web identity (`system:serviceaccount:<ns>:<name>`). */
  webIdentitySubjects?: string[];
  /** Access key ids allowed to assume it with AssumeRole. */
  trustedAccessKeyIds?: string[];
  allow?: (secretName: string) => boolean;
}

export interface ThrottleOptions {
  /** Sustained requests per second across Secrets Manager operations. */
  requestsPerSecond: number;
  /** Bucket size (default: requestsPerSecond). */
  burst?: number;
}

export interface InjectedFault {
  status: number;
  type: string;
  message: string;
  headers?: Record<string, string>;
}

export interface AwsServerOptions {
  region?: string;
  account?: string;
  users?: AwsUser[];
  roles?: AwsRole[];
  /** OIDC providers registered in IAM: issuer URL and accepted audiences (client ids). */
  oidcProviders?: Array<{ issuer: string; audiences: string[] }>;
  /** Token-bucket limit; past it, calls fail with ThrottlingException. */
  throttle?: ThrottleOptions;
  /** Added to every call before it is answered. */
  latencyMs?: number;
  /** Lifetime of STS credentials (default 3600 s). */
  credentialTtlSeconds?: number;
  /** Start in 503 mode (every call answered 503 ServiceUnavailable until `unavailable` is cleared). */
  unavailable?: boolean;
  now?: () => Date;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
}

interface Principal {
  arn: string;
  allow: (secretName: string) => boolean;
}

interface TemporaryCredential {
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: Date;
  principal: Principal;
}

const json11 = 'application/x-amz-json-1.1';
const stsNs = 'https://sts.amazonaws.com/doc/2011-06-15/';
const epochSeconds = (d: Date): number => d.getTime() / 1000;
const xmlEscape = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const randomKeyId = (): string => `ASIA${randomBytes(12).toString('hex').toUpperCase().slice(0, 16)}`;

export class AwsTestServer {
  readonly region: string;
  readonly account: string;
  readonly store: SecretStore;
  /** SSM parameters, served to `AmazonSSM.*` calls signed for the `ssm` service. */
  readonly parameters: ParameterStore;
  /** Calls received, by operation (`GetSecretValue`, `AssumeRoleWithWebIdentity`, ...), including refused ones. */
  readonly calls: Record<string, number> = {};
  /** Calls answered successfully, by operation. */
  readonly served: Record<string, number> = {};
  /** Calls refused with ThrottlingException by the token bucket. */
  throttledCalls = 0;
  /** Arrival time (ms) of every Secrets Manager and Parameter Store call, for rates over time. */
  readonly callTimes: number[] = [];
  /** Secret values handed out (single or in a batch), by secret name. */
  readonly valuesServed = new Map<string, number>();
  /** While true, every call gets 503 ServiceUnavailable. */
  unavailable = false;
  /** While set, every Secrets Manager and Parameter Store call is answered with this error (a throttling storm, say). */
  answerEveryCall?: InjectedFault;
  /** While true, Secrets Manager and Parameter Store calls are read but never answered (the client's timeout ends them). */
  stalled = false;
  latencyMs: number;
  private readonly users = new Map<string, AwsUser>();
  private readonly roles = new Map<string, AwsRole>();
  private readonly oidcProviders: Array<{ issuer: string; audiences: string[] }>;
  private readonly temporary = new Map<string, TemporaryCredential>();
  private readonly faults: Array<{ operation: string; fault: InjectedFault; times: number }> = [];
  private readonly verifier: OidcTokenVerifier;
  private readonly now: () => Date;
  private readonly server: Server;
  private bucket?: { tokens: number; updatedMs: number; rate: number; burst: number };
  private baseUrl = '';
  private port = 0;
  private readonly secure: boolean;
  private readonly held = new Set<ServerResponse>();

  constructor(private readonly options: AwsServerOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '123456789012';
    this.now = options.now ?? (() => new Date());
    this.latencyMs = options.latencyMs ?? 0;
    this.unavailable = options.unavailable ?? false;
    this.store = new SecretStore(this.account, this.region, this.now);
    this.parameters = new ParameterStore(this.account, this.region, this.now);
    for (const u of options.users ?? []) this.users.set(u.accessKeyId, u);
    for (const r of options.roles ?? []) this.roles.set(r.arn, r);
    this.oidcProviders = [...(options.oidcProviders ?? [])];
    this.verifier = new OidcTokenVerifier(() => this.oidcProviders.map((p) => p.issuer), this.now);
    if (options.throttle) this.setThrottle(options.throttle);
    this.secure = options.tls !== undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
  }

  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    const scheme = this.secure ? 'https' : 'http';
    this.baseUrl = `${scheme}://127.0.0.1:${this.port}`;
    return this.baseUrl;
  }

  /** The endpoint goes down: the port stops listening (connections refused) and open connections are cut. */
  async refuseConnections(): Promise<void> {
    this.releaseHeld();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The endpoint comes back on the same port. */
  async acceptConnections(): Promise<void> {
    await this.start();
  }

  /** Ends the stall: calls held so far lose their connection, later ones are answered. */
  endStall(): void {
    this.stalled = false;
    this.releaseHeld();
  }

  private releaseHeld(): void {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  async close(): Promise<void> {
    this.releaseHeld();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addUser(user: AwsUser): void {
    this.users.set(user.accessKeyId, user);
  }

  addRole(role: AwsRole): void {
    this.roles.set(role.arn, role);
  }

  addOidcProvider(issuer: string, audiences: string[]): void {
    this.oidcProviders.push({ issuer, audiences });
  }

  setThrottle(throttle: ThrottleOptions | undefined): void {
    this.bucket = throttle
      ? { tokens: throttle.burst ?? throttle.requestsPerSecond, updatedMs: this.now().getTime(), rate: throttle.requestsPerSecond, burst: throttle.burst ?? throttle.requestsPerSecond }
      : undefined;
  }

  /** Answers the next `times` calls of `operation` (or `*`) with this error. */
  failNext(operation: string, fault: InjectedFault, times = 1): void {
    this.faults.push({ operation, fault, times });
  }

  /** Makes every STS credential issued so far expired, as if their lifetime had passed. */
  expireTemporaryCredentials(): void {
    for (const c of this.temporary.values()) c.expiresAt = new Date(0);
  }

  resetCounters(): void {
    for (const k of Object.keys(this.calls)) delete this.calls[k];
    for (const k of Object.keys(this.served)) delete this.served[k];
    this.throttledCalls = 0;
    this.callTimes.length = 0;
    this.valuesServed.clear();
  }

  /** Most Secrets Manager and Parameter Store calls received within any `windowMs` since `sinceMs`. */
  peakCalls(sinceMs: number, windowMs = 1000): number {
    let peak = 0;
    const t = this.callTimes;
    let j = 0;
    for (let i = 0; i < t.length; i++) {
      if (t[i]! < sinceMs) { j = i + 1; continue; }
      while (t[i]! - t[j]! >= windowMs) j++;
      peak = Math.max(peak, i - j + 1);
    }
    return peak;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      await this.handleJsonService(req, res, target, body);
    } else {
      await this.handleSts(req, res, body);
    }
  }

  // ---- Secrets Manager and Parameter Store (JSON 1.1) ----

  private sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
    const target = res.req.headers['x-amz-target'];
    if (status === 200 && typeof target === 'string') {
      const operation = target.slice(target.indexOf('.') + 1);
      this.served[operation] = (this.served[operation] ?? 0) + 1;
    }
    res.writeHead(status, { 'content-type': json11, 'x-amzn-requestid': randomUUID(), ...headers });
    res.end(JSON.stringify(payload));
  }

  private sendJsonError(res: ServerResponse, fault: AwsFault): void {
    this.sendJson(res, fault.status, { __type: fault.type, message: fault.message }, { 'x-amzn-errortype': fault.type, ...fault.headers });
  }

  private takeFault(operation: string): AwsFault | undefined {
    const i = this.faults.findIndex((f) => f.operation === operation || f.operation === '*');
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (--f.times <= 0) this.faults.splice(i, 1);
    return new AwsFault(f.fault.status, f.fault.type, f.fault.message, f.fault.headers);
  }

  private takeBucketToken(): boolean {
    const b = this.bucket;
    if (!b) return true;
    const nowMs = this.now().getTime();
    b.tokens = Math.min(b.burst, b.tokens + ((nowMs - b.updatedMs) / 1000) * b.rate);
    b.updatedMs = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async handleJsonService(req: IncomingMessage, res: ServerResponse, target: string, body: Buffer): Promise<void> {
    const m = /^(secretsmanager|AmazonSSM)\.(\w+)$/.exec(target);
    const operation = m?.[2] ?? 'Unknown';
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    this.callTimes.push(Date.now());
    try {
      if (this.unavailable) throw new AwsFault(503, 'ServiceUnavailableException', 'Service Unavailable');
      if (this.stalled) {
        this.held.add(res);
        res.once('close', () => this.held.delete(res));
        return;
      }
      const every = this.answerEveryCall;
      if (every) throw new AwsFault(every.status, every.type, every.message, every.headers);
      if (!m) throw new AwsFault(400, 'UnknownOperationException', '');
      if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith(json11)) {
        throw new AwsFault(400, 'SerializationException', 'Start of structure or map found where not expected.');
      }
      const injected = this.takeFault(operation);
      if (injected) throw injected;
      if (!this.takeBucketToken()) {
        this.throttledCalls++;
        throw new AwsFault(400, 'ThrottlingException', 'Rate exceeded');
      }
      const ssm = m[1] === 'AmazonSSM';
      const principal = this.authenticate(req, body, ssm ? 'ssm' : 'secretsmanager');
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        throw new AwsFault(400, 'SerializationException', 'Unable to parse request body');
      }
      if (ssm) return this.sendJson(res, 200, this.parameters.handle(principal, operation, input));
      switch (operation) {
        case 'GetSecretValue': return this.sendJson(res, 200, this.getSecretValue(principal, input));
        case 'BatchGetSecretValue': return this.sendJson(res, 200, this.batchGetSecretValue(principal, input));
        case 'ListSecrets': return this.sendJson(res, 200, this.listSecrets(input));
        case 'DescribeSecret': return this.sendJson(res, 200, this.describeSecret(principal, input));
        default: throw new AwsFault(400, 'UnknownOperationException', `operation ${operation} is not served by this endpoint`);
      }
    } catch (e) {
      if (e instanceof AwsFault) return this.sendJsonError(res, e);
      this.sendJsonError(res, new AwsFault(500, 'InternalServiceError', 'An error occurred on the server side.'));
    }
  }

  /** Resolves the caller from a SigV4 Authorization header, as AWS does before any operation. */
  private authenticate(req: IncomingMessage, body: Buffer, service: string): Principal {
    const credential = parseSigV4(req.headers.authorization);
    if (!credential) throw new AwsFault(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (credential.service !== service || credential.region !== this.region) {
      throw new AwsFault(400, 'InvalidSignatureException', `Credential should be scoped to a valid region and service, not '${credential.region}/${credential.service}'.`);
    }
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!amzDate.startsWith(credential.date)) throw new AwsFault(400, 'InvalidSignatureException', 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP');
    const user = this.users.get(credential.accessKeyId);
    const temp = this.temporary.get(credential.accessKeyId);
    const secret = user?.secretAccessKey ?? temp?.secretAccessKey;
    if (!secret) throw new AwsFault(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    const request = { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body };
    if (!signatureMatches(request, credential, secret)) {
      throw new AwsFault(400, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.');
    }
    if (temp) {
      if (req.headers['x-amz-security-token'] !== temp.sessionToken) throw new AwsFault(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      if (temp.expiresAt.getTime() <= this.now().getTime()) throw new AwsFault(400, 'ExpiredTokenException', 'The security token included in the request is expired');
      return temp.principal;
    }
    return { arn: `arn:aws:iam::${this.account}:user/${user!.userName ?? 'keyferry-test'}`, allow: user!.allow ?? (() => true) };
  }

  private requireSecret(id: unknown, operation: string, principal?: Principal): StoredSecret {
    if (typeof id !== 'string' || id === '') throw new AwsFault(400, 'InvalidParameterException', 'You must provide a SecretId.');
    const secret = this.store.lookup(id);
    if (principal && !principal.allow(secret?.name ?? id)) {
      throw new AwsFault(400, 'AccessDeniedException', `User: ${principal.arn} is not authorized to perform: secretsmanager:${operation} on resource: ${id} because no identity-based policy allows the secretsmanager:${operation} action`);
    }
    if (!secret) throw new AwsFault(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  private readVersion(principal: Principal, id: unknown, versionId: unknown, stage: unknown): { secret: StoredSecret; version: StoredVersion } {
    const secret = this.requireSecret(id, 'GetSecretValue', principal);
    if (secret.deletedDate) throw new AwsFault(400, 'InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
    const version = this.store.selectVersion(secret, versionId as string | undefined, stage as string | undefined);
    if (!version) {
      const what = versionId !== undefined ? `VersionId: ${String(versionId)}` : `staging label: ${String(stage ?? 'AWSCURRENT')}`;
      throw new AwsFault(400, 'ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${what}`);
    }
    if (secret.kmsDenied) throw new AwsFault(400, 'DecryptionFailure', "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
    return { secret, version };
  }

  private valueEntry(secret: StoredSecret, version: StoredVersion): Record<string, unknown> {
    this.valuesServed.set(secret.name, (this.valuesServed.get(secret.name) ?? 0) + 1);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : { SecretBinary: version.secretBinary!.toString('base64') }),
      VersionStages: [...version.stages],
      CreatedDate: epochSeconds(version.createdDate),
    };
  }

  private getSecretValue(principal: Principal, input: Record<string, unknown>): Record<string, unknown> {
    const { secret, version } = this.readVersion(principal, input.SecretId, input.VersionId, input.VersionStage);
    return this.valueEntry(secret, version);
  }

  private batchGetSecretValue(principal: Principal, input: Record<string, unknown>): Record<string, unknown> {
    const ids = input.SecretIdList as unknown[] | undefined;
    if (ids !== undefined && input.Filters !== undefined) throw new AwsFault(400, 'InvalidParameterException', 'Either SecretIdList or Filters must be provided, not both.');
    if (ids === undefined) {
      // Filter-based batches read every matching secret (used by find-style callers).
      const listed = this.filterSecrets((input.Filters as Filter[] | undefined) ?? []);
      return { SecretValues: listed.map((s) => this.valueEntry(s, this.store.selectVersion(s)!)).filter(Boolean), Errors: [] };
    }
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 20) {
      throw new AwsFault(400, 'InvalidParameterException', 'SecretIdList must contain between 1 and 20 secret ids.');
    }
    const values: Array<Record<string, unknown>> = [];
    const errors: Array<Record<string, unknown>> = [];
    for (const id of ids) {
      try {
        const { secret, version } = this.readVersion(principal, id, undefined, undefined);
        values.push(this.valueEntry(secret, version));
      } catch (e) {
        if (!(e instanceof AwsFault)) throw e;
        errors.push({ SecretId: id, ErrorCode: e.type, Message: e.message });
      }
    }
    return { SecretValues: values, Errors: errors };
  }

  private filterSecrets(filters: Filter[], includeDeleted = false): StoredSecret[] {
    const matches = (s: StoredSecret, f: Filter): boolean => f.Values.some((raw) => {
      const negate = raw.startsWith('!');
      const value = negate ? raw.slice(1) : raw;
      let hit: boolean;
      switch (f.Key) {
        case 'name': hit = s.name.startsWith(value); break;
        case 'description': hit = (s.description ?? '').toLowerCase().startsWith(value.toLowerCase()); break;
        case 'tag-key': hit = s.tags.some((t) => t.Key.startsWith(value)); break;
        case 'tag-value': hit = s.tags.some((t) => t.Value.startsWith(value)); break;
        case 'all': hit = [s.name, s.description ?? '', ...s.tags.flatMap((t) => [t.Key, t.Value])].some((x) => x.toLowerCase().includes(value.toLowerCase())); break;
        default: throw new AwsFault(400, 'InvalidParameterException', `Invalid filter key: ${f.Key}`);
      }
      return negate ? !hit : hit;
    });
    return [...this.store.secrets.values()]
      .filter((s) => includeDeleted || !s.deletedDate)
      .filter((s) => filters.every((f) => matches(s, f)))
      .sort((a, b) => a.createdDate.getTime() - b.createdDate.getTime() || a.name.localeCompare(b.name));
  }

  private listSecrets(input: Record<string, unknown>): Record<string, unknown> {
    const max = (input.MaxResults as number | undefined) ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100) throw new AwsFault(400, 'InvalidParameterException', 'MaxResults must be between 1 and 100.');
    const all = this.filterSecrets((input.Filters as Filter[] | undefined) ?? [], input.IncludePlannedDeletion === true);
    const start = input.NextToken ? Number(Buffer.from(String(input.NextToken), 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw new AwsFault(400, 'InvalidNextTokenException', 'The NextToken value is invalid.');
    const page = all.slice(start, start + max);
    const next = start + max < all.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
    return {
      SecretList: page.map((s) => ({
        ARN: s.arn,
        Name: s.name,
        ...(s.description !== undefined ? { Description: s.description } : {}),
        Tags: s.tags,
        CreatedDate: epochSeconds(s.createdDate),
        LastChangedDate: epochSeconds(s.lastChangedDate),
        ...(s.deletedDate ? { DeletedDate: epochSeconds(s.deletedDate) } : {}),
        SecretVersionsToStages: Object.fromEntries([...s.versions.values()].filter((v) => v.stages.size > 0).map((v) => [v.versionId, [...v.stages]])),
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private describeSecret(principal: Principal, input: Record<string, unknown>): Record<string, unknown> {
    const s = this.requireSecret(input.SecretId, 'DescribeSecret', principal);
    return {
      ARN: s.arn,
      Name: s.name,
      Tags: s.tags,
      CreatedDate: epochSeconds(s.createdDate),
      LastChangedDate: epochSeconds(s.lastChangedDate),
      ...(s.deletedDate ? { DeletedDate: epochSeconds(s.deletedDate) } : {}),
      VersionIdsToStages: Object.fromEntries([...s.versions.values()].filter((v) => v.stages.size > 0).map((v) => [v.versionId, [...v.stages]])),
    };
  }

  // ---- STS (query protocol, XML) ----

  private sendXml(res: ServerResponse, status: number, xml: string): void {
    const action = /<(\w+)Response /.exec(xml)?.[1];
    if (status === 200 && action) this.served[action] = (this.served[action] ?? 0) + 1;
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
  }

  private sendStsError(res: ServerResponse, fault: AwsFault): void {
    const type = fault.status >= 500 ? 'Receiver' : 'Sender';
    this.sendXml(res, fault.status, `<ErrorResponse xmlns="${stsNs}"><Error><Type>${type}</Type><Code>${fault.type}</Code><Message>${xmlEscape(fault.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
  }

  private issueCredentials(principal: Principal, durationSeconds: number): { xml: string } {
    const accessKeyId = randomKeyId();
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = randomBytes(48).toString('base64');
    const ttl = Math.min(durationSeconds, this.options.credentialTtlSeconds ?? durationSeconds);
    const expiresAt = new Date(this.now().getTime() + ttl * 1000);
    this.temporary.set(accessKeyId, { secretAccessKey, sessionToken, expiresAt, principal });
    return {
      xml: `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(secretAccessKey)}</SecretAccessKey><SessionToken>${xmlEscape(sessionToken)}</SessionToken><Expiration>${expiresAt.toISOString()}</Expiration></Credentials>`,
    };
  }

  private async handleSts(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action') ?? 'Unknown';
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    try {
      if (this.unavailable) throw new AwsFault(503, 'ServiceUnavailable', 'Service Unavailable');
      if (params.get('Version') !== '2011-06-15') throw new AwsFault(400, 'InvalidAction', 'Could not find operation for this version');
      const injected = this.takeFault(action);
      if (injected) throw injected;
      const roleArn = params.get('RoleArn') ?? '';
      const sessionName = params.get('RoleSessionName') ?? '';
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) throw new AwsFault(400, 'ValidationError', 'RoleSessionName is invalid');
      const duration = Number(params.get('DurationSeconds') ?? 3600);
      const role = this.roles.get(roleArn);
      const assumed = `arn:aws:sts::${this.account}:assumed-role/${roleArn.split('/').pop()}/${sessionName}`;
      const rolePrincipal: Principal = { arn: assumed, allow: role?.allow ?? (() => true) };
      const assumedUser = `<AssumedRoleUser><Arn>${xmlEscape(assumed)}</Arn><AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${xmlEscape(sessionName)}</AssumedRoleId></AssumedRoleUser>`;
      if (action === 'AssumeRoleWithWebIdentity') {
        // Unsigned by design: the web identity token is the credential.
        const token = params.get('WebIdentityToken') ?? '';
        let verified;
        try {
          verified = await this.verifier.verify(token, this.oidcProviders.flatMap((p) => p.audiences));
        } catch (e) {
          if (e instanceof TokenVerificationError && e.reason === 'expired') throw new AwsFault(400, 'ExpiredTokenException', 'Token expired');
          const detail = e instanceof TokenVerificationError ? e.message : 'token could not be verified';
          throw new AwsFault(400, 'InvalidIdentityToken', `Incorrect token audience or signature: ${detail}`);
        }
        if (!role || !(role.webIdentitySubjects ?? []).includes(verified.subject)) {
          throw new AwsFault(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
        }
        const { xml } = this.issueCredentials(rolePrincipal, duration);
        const issuer = this.oidcProviders.find(() => true)?.issuer ?? '';
        return this.sendXml(res, 200, `<AssumeRoleWithWebIdentityResponse xmlns="${stsNs}"><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>${xmlEscape(verified.subject)}</SubjectFromWebIdentityToken><Audience>${xmlEscape(verified.audiences[0] ?? '')}</Audience>${assumedUser}${xml}<Provider>${xmlEscape(issuer)}</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`);
      }
      if (action === 'AssumeRole') {
        const caller = parseSigV4(req.headers.authorization);
        this.authenticate(req, body, 'sts');
        if (!role || !caller || !(role.trustedAccessKeyIds ?? []).includes(caller.accessKeyId)) {
          throw new AwsFault(403, 'AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
        }
        const { xml } = this.issueCredentials(rolePrincipal, duration);
        return this.sendXml(res, 200, `<AssumeRoleResponse xmlns="${stsNs}"><AssumeRoleResult>${assumedUser}${xml}</AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`);
      }
      throw new AwsFault(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    } catch (e) {
      if (e instanceof AwsFault) {
        // STS has no JSON error codes: the query protocol's names are the ones SDKs see.
        const type = e.type.replace(/Exception$/, '') === 'MissingAuthenticationToken' ? 'MissingAuthenticationToken' : e.type;
        return this.sendStsError(res, new AwsFault(e.status, type, e.message));
      }
      this.sendStsError(res, new AwsFault(500, 'InternalFailure', 'internal error'));
    }
  }
}

interface Filter {
  Key: string;
  Values: string[];
}
