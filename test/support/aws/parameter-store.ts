// The test SSM Parameter Store behind the local AWS endpoint: parameters with numbered
// versions, labels, tags and types, and the read operations keyferry uses (GetParameter,
// GetParameters, GetParametersByPath, DescribeParameters, ListTagsForResource) over the JSON 1.1 protocol
// (`X-Amz-Target: AmazonSSM.<Operation>`). Shapes, limits and error codes follow the SSM
// API reference. The server authenticates the caller; this decides what it may read.
import { AwsFault } from './aws-fault.js';

export interface ParameterVersion {
  version: number;
  value: string;
  labels: Set<string>;
  lastModifiedDate: Date;
}

export interface StoredParameter {
  name: string;
  arn: string;
  type: 'String' | 'StringList' | 'SecureString';
  versions: ParameterVersion[];
  tags: Array<{ Key: string; Value: string }>;
  /** Simulates a SecureString whose KMS key the caller may not use: decrypting reads fail with InvalidKeyId. */
  kmsDenied?: boolean;
}

export interface PutParameterOptions {
  type?: StoredParameter['type'];
  tags?: Record<string, string>;
  labels?: string[];
}

/** Who is asking: the server resolves it from the SigV4 signature. */
export interface ParameterCaller {
  arn: string;
  allow: (name: string) => boolean;
}

/** One Parameter Store call as received, for tests that count names per call. */
export interface ParameterCall {
  operation: string;
  input: Record<string, unknown>;
}

const epochSeconds = (d: Date): number => d.getTime() / 1000;

export class ParameterStore {
  readonly parameters = new Map<string, StoredParameter>();
  /** Every authenticated call, in order. */
  readonly log: ParameterCall[] = [];

  constructor(private readonly account: string, private readonly region: string, private readonly now: () => Date) {}

  /** Creates the parameter if needed and adds a version, as PutParameter with Overwrite does; returns the version number. */
  put(name: string, value: string, options: PutParameterOptions = {}): number {
    let p = this.parameters.get(name);
    if (!p) {
      // A hierarchical name already starts with the slash the ARN puts after `parameter`.
      const path = name.startsWith('/') ? name : `/${name}`;
      p = { name, arn: `arn:aws:ssm:${this.region}:${this.account}:parameter${path}`, type: options.type ?? 'String', versions: [], tags: [] };
      this.parameters.set(name, p);
    }
    if (options.type) p.type = options.type;
    if (options.tags) p.tags = Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value }));
    const version = p.versions.length + 1;
    const labels = new Set(options.labels ?? []);
    // A label names one version at a time: moving it takes it off the older one.
    for (const v of p.versions) for (const l of labels) v.labels.delete(l);
    p.versions.push({ version, value, labels, lastModifiedDate: this.now() });
    return version;
  }

  handle(caller: ParameterCaller, operation: string, input: Record<string, unknown>): Record<string, unknown> {
    this.log.push({ operation, input });
    switch (operation) {
      case 'GetParameter': return { Parameter: this.read(caller, input.Name, input.WithDecryption === true, 'GetParameter') };
      case 'GetParameters': return this.getParameters(caller, input);
      case 'GetParametersByPath': return this.getParametersByPath(caller, input);
      case 'DescribeParameters': return this.describeParameters(input);
      case 'ListTagsForResource': return this.listTagsForResource(caller, input);
      default: throw new AwsFault(400, 'UnknownOperationException', `operation ${operation} is not served by this endpoint`);
    }
  }

  /** A parameter's tags; ResourceId is its name (an ARN is accepted as the other operations do here). */
  private listTagsForResource(caller: ParameterCaller, input: Record<string, unknown>): Record<string, unknown> {
    if (input.ResourceType !== 'Parameter') throw new AwsFault(400, 'InvalidResourceType', 'The resource type isn\'t valid.');
    const requested = input.ResourceId;
    if (typeof requested !== 'string' || requested === '') throw new AwsFault(400, 'ValidationException', '1 validation error detected: Value at \'resourceId\' failed to satisfy constraint: Member must not be null');
    const { parameter, selector, name } = this.resolve(requested);
    if (!caller.allow(parameter?.name ?? name)) {
      throw new AwsFault(400, 'AccessDeniedException', `User: ${caller.arn} is not authorized to perform: ssm:ListTagsForResource on resource: arn:aws:ssm:${this.region}:${this.account}:parameter/${name.replace(/^\//, '')} because no identity-based policy allows the ssm:ListTagsForResource action`);
    }
    // Tags are the parameter's; a `name:version` is no resource id.
    if (!parameter || selector !== undefined) throw new AwsFault(400, 'InvalidResourceId', 'The resource ID is not valid. Verify the ID and try again.');
    return { TagList: parameter.tags.map((t) => ({ ...t })) };
  }

  /** Splits `name:selector` (a version number or a label); a name may also be the parameter's ARN. */
  private resolve(requested: string): { parameter?: StoredParameter; selector?: string; name: string } {
    let name = requested;
    let selector: string | undefined;
    const arnPrefix = `arn:aws:ssm:${this.region}:${this.account}:parameter`;
    const bare = name.startsWith(arnPrefix) ? name.slice(arnPrefix.length) : name;
    const colon = bare.lastIndexOf(':');
    if (colon > 0) {
      selector = bare.slice(colon + 1);
      name = bare.slice(0, colon);
    } else {
      name = bare;
    }
    const parameter = this.parameters.get(name) ?? (name.startsWith('/') ? this.parameters.get(name.slice(1)) : undefined);
    return { parameter, selector, name };
  }

  private read(caller: ParameterCaller, requested: unknown, decrypt: boolean, operation: string): Record<string, unknown> {
    if (typeof requested !== 'string' || requested === '' || requested.length > 2048) {
      throw new AwsFault(400, 'ValidationException', '1 validation error detected: Value at \'name\' failed to satisfy constraint: Member must have length between 1 and 2048');
    }
    const { parameter, selector, name } = this.resolve(requested);
    if (!caller.allow(parameter?.name ?? name)) {
      throw new AwsFault(400, 'AccessDeniedException', `User: ${caller.arn} is not authorized to perform: ssm:${operation} on resource: arn:aws:ssm:${this.region}:${this.account}:parameter/${name.replace(/^\//, '')} because no identity-based policy allows the ssm:${operation} action`);
    }
    if (!parameter) throw new AwsFault(400, 'ParameterNotFound', '');
    let version: ParameterVersion | undefined;
    if (selector === undefined) version = parameter.versions.at(-1);
    else if (/^\d+$/.test(selector)) version = parameter.versions.find((v) => v.version === Number(selector));
    else version = parameter.versions.find((v) => v.labels.has(selector));
    if (!version) throw new AwsFault(400, 'ParameterVersionNotFound', `Systems Manager could not find version ${selector} of ${parameter.name}. Verify the version and try again.`);
    if (decrypt && parameter.type === 'SecureString' && parameter.kmsDenied) {
      throw new AwsFault(400, 'InvalidKeyId', 'The query key ID isn\'t valid.');
    }
    // Without decryption a SecureString comes back as ciphertext, which this stands in for.
    const value = parameter.type === 'SecureString' && !decrypt ? Buffer.from(`kms:${version.version}:${parameter.name}`).toString('base64') : version.value;
    return {
      Name: parameter.name,
      Type: parameter.type,
      Value: value,
      Version: version.version,
      ...(selector !== undefined ? { Selector: `:${selector}` } : {}),
      LastModifiedDate: epochSeconds(version.lastModifiedDate),
      ARN: parameter.arn,
      DataType: 'text',
    };
  }

  private getParameters(caller: ParameterCaller, input: Record<string, unknown>): Record<string, unknown> {
    const names = input.Names;
    if (!Array.isArray(names) || names.length < 1 || names.length > 10) {
      throw new AwsFault(400, 'ValidationException', '1 validation error detected: Value at \'names\' failed to satisfy constraint: Member must have length less than or equal to 10');
    }
    const parameters: Array<Record<string, unknown>> = [];
    const invalid: string[] = [];
    for (const n of names) {
      try {
        parameters.push(this.read(caller, n, input.WithDecryption === true, 'GetParameters'));
      } catch (e) {
        // A denied name fails the whole call; a missing one is listed as invalid.
        if (e instanceof AwsFault && (e.type === 'ParameterNotFound' || e.type === 'ParameterVersionNotFound')) invalid.push(String(n));
        else throw e;
      }
    }
    parameters.sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
    return { Parameters: parameters, InvalidParameters: invalid };
  }

  private page<T>(items: T[], input: Record<string, unknown>, max: number): { page: T[]; next?: string } {
    const size = (input.MaxResults as number | undefined) ?? max;
    if (!Number.isInteger(size) || size < 1 || size > max) throw new AwsFault(400, 'ValidationException', `MaxResults must be between 1 and ${max}.`);
    const start = input.NextToken ? Number(Buffer.from(String(input.NextToken), 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw new AwsFault(400, 'InvalidNextToken', 'The specified token isn\'t valid.');
    const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
    return { page: items.slice(start, start + size), next };
  }

  private under(path: string, name: string, recursive: boolean): boolean {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    if (path === '/') return name.startsWith('/') && (recursive || name.indexOf('/', 1) < 0);
    if (!name.startsWith(prefix)) return false;
    return recursive || !name.slice(prefix.length).includes('/');
  }

  private getParametersByPath(caller: ParameterCaller, input: Record<string, unknown>): Record<string, unknown> {
    const path = input.Path;
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new AwsFault(400, 'ValidationException', 'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/".');
    }
    if (!caller.allow(path)) {
      throw new AwsFault(400, 'AccessDeniedException', `User: ${caller.arn} is not authorized to perform: ssm:GetParametersByPath on resource: arn:aws:ssm:${this.region}:${this.account}:parameter${path}`);
    }
    const matching = [...this.parameters.values()]
      .filter((p) => this.under(path, p.name, input.Recursive === true))
      .sort((a, b) => a.name.localeCompare(b.name));
    const { page, next } = this.page(matching, input, 10);
    return {
      Parameters: page.map((p) => this.read(caller, p.name, input.WithDecryption === true, 'GetParametersByPath')),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private describeParameters(input: Record<string, unknown>): Record<string, unknown> {
    const filters = (input.ParameterFilters as Array<{ Key: string; Option?: string; Values?: string[] }> | undefined) ?? [];
    const matches = (p: StoredParameter, f: { Key: string; Option?: string; Values?: string[] }): boolean => {
      const values = f.Values ?? [];
      if (f.Key.startsWith('tag:')) {
        const key = f.Key.slice(4);
        if ((f.Option ?? 'Equals') !== 'Equals') throw new AwsFault(400, 'InvalidFilterOption', `The filter option ${f.Option} is not valid for key ${f.Key}.`);
        return p.tags.some((t) => t.Key === key && (values.length === 0 || values.includes(t.Value)));
      }
      switch (f.Key) {
        case 'Path': {
          const option = f.Option ?? 'OneLevel';
          if (option !== 'OneLevel' && option !== 'Recursive') throw new AwsFault(400, 'InvalidFilterOption', `The filter option ${option} is not valid for key Path.`);
          return values.some((v) => this.under(v, p.name, option === 'Recursive'));
        }
        case 'Name':
          return (f.Option ?? 'Equals') === 'BeginsWith' ? values.some((v) => p.name.startsWith(v)) : values.includes(p.name);
        case 'Type':
          return values.includes(p.type);
        default:
          throw new AwsFault(400, 'InvalidFilterKey', `The filter key ${f.Key} is not valid.`);
      }
    };
    const matching = [...this.parameters.values()].filter((p) => filters.every((f) => matches(p, f))).sort((a, b) => a.name.localeCompare(b.name));
    const { page, next } = this.page(matching, input, 50);
    return {
      Parameters: page.map((p) => {
        const latest = p.versions.at(-1)!;
        return { Name: p.name, ARN: p.arn, Type: p.type, Version: latest.version, LastModifiedDate: epochSeconds(latest.lastModifiedDate), DataType: 'text' };
      }),
      ...(next ? { NextToken: next } : {}),
    };
  }
}
