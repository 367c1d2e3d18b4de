// A connected AWS SSM Parameter Store store: GetParameter for single reads, GetParameters
// for batches, GetParametersByPath and DescribeParameters for `dataFrom.find`,
// ListTagsForResource for `metadataPolicy: Fetch`. Values are
// always read WithDecryption, so a SecureString yields its plaintext.
import {
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ListTagsForResourceCommand,
  type Parameter,
  type ParameterStringFilter,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import {
  ConfigError,
  InvalidDataError,
  NotFoundError,
  type CallContext,
  type FindQuery,
  type ProviderClient,
  type ProviderError,
  type RemoteRef,
  type RemoteSecret,
  type StoreValidation,
} from '../contract/index.js';
import { AwsCallRunner } from './call-runner.js';
import { tagMap, type AwsClientOptions } from './client.js';

/** GetParameters accepts at most 10 names per call. */
export const ssmMaxBatchSize = 10;

/** The name SSM is asked for: `version` (a number or a label) becomes a `name:selector`. */
export function parameterSelector(ref: RemoteRef): string {
  return ref.version === undefined || ref.version === '' ? ref.key : `${ref.key}:${ref.version}`;
}

function toRemoteSecret(key: string, p: Parameter): RemoteSecret {
  if (p.Value === undefined) throw new InvalidDataError(`AWS SSM parameter "${key}" has no value`, { reason: 'EmptyParameter' });
  const metadata: Record<string, string> = {};
  if (p.Name) metadata.name = p.Name;
  if (p.Type) metadata.type = p.Type;
  if (p.DataType) metadata.dataType = p.DataType;
  return {
    value: Buffer.from(p.Value, 'utf8'),
    versionId: p.Version === undefined ? undefined : String(p.Version),
    // A parameter's versions are immutable: the last modification of this one is its creation.
    createdAt: p.LastModifiedDate,
    metadata,
  };
}

export interface AwsParameterStoreClientOptions extends Omit<AwsClientOptions, 'sdk'> {
  sdk: SSMClient;
}

export class AwsParameterStoreClient implements ProviderClient {
  readonly maxBatchSize = ssmMaxBatchSize;
  private readonly runner: AwsCallRunner;

  constructor(private readonly options: AwsParameterStoreClientOptions) {
    this.runner = new AwsCallRunner(options);
  }

  async fetch(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret> {
    const subject = `"${ref.key}"${ref.version ? ` at version "${ref.version}"` : ''}`;
    const out = await this.runner.call('GetParameter', subject, () =>
      this.options.sdk.send(new GetParameterCommand({ Name: parameterSelector(ref), WithDecryption: true }), { abortSignal: ctx?.signal }));
    if (!out.Parameter) throw new InvalidDataError(`AWS SSM returned no parameter for ${subject}`, { reason: 'EmptyParameter' });
    return toRemoteSecret(ref.key, out.Parameter);
  }

  /**
   * The parameter's tags, read with ListTagsForResource as ESO does. Tags belong to the
   * parameter, not to a version, so `version` plays no part; the value is never read.
   */
  async fetchMetadata(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret> {
    const out = await this.runner.call('ListTagsForResource', `"${ref.key}"`, () =>
      this.options.sdk.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: ref.key }), { abortSignal: ctx?.signal }));
    return { value: Buffer.alloc(0), userMetadata: tagMap(out.TagList) };
  }

  async fetchMany(refs: RemoteRef[], ctx?: CallContext): Promise<Array<RemoteSecret | ProviderError>> {
    if (refs.length > ssmMaxBatchSize) {
      throw new ConfigError(`a batch holds at most ${ssmMaxBatchSize} parameters, got ${refs.length}`, { reason: 'BatchTooLarge' });
    }
    // GetParameters takes `name:selector` too, so pinned versions share the call with latest ones.
    const names = [...new Set(refs.map(parameterSelector))];
    if (names.length === 0) return [];
    const out = await this.runner.call('GetParameters', `${names.length} parameters`, () =>
      this.options.sdk.send(new GetParametersCommand({ Names: names, WithDecryption: true }), { abortSignal: ctx?.signal }));
    const found = out.Parameters ?? [];
    const invalid = new Set(out.InvalidParameters ?? []);
    return refs.map((ref) => {
      const selector = ref.version ? `:${ref.version}` : '';
      // A ref may name a parameter by name or ARN; a selector comes back apart from the name.
      const p = found.find((x) => (x.Name === ref.key || x.ARN === ref.key) && (x.Selector ?? '') === selector);
      if (!p) {
        const why = invalid.has(parameterSelector(ref)) ? 'does not exist' : 'was not returned by GetParameters';
        return new NotFoundError(`AWS SSM parameter "${ref.key}"${ref.version ? ` at version "${ref.version}"` : ''} ${why}`, { reason: 'ParameterNotFound', code: 'ParameterNotFound' });
      }
      try {
        return toRemoteSecret(ref.key, p);
      } catch (e) {
        return e as ProviderError;
      }
    });
  }

  async find(query: FindQuery, ctx?: CallContext): Promise<string[]> {
    const tags = Object.entries(query.tags ?? {});
    const names = tags.length === 0 && query.path ? await this.listByPath(query.path, ctx) : await this.describe(query, ctx);
    return [...new Set(names.filter((n) => !query.name || query.name.test(n)))].sort();
  }

  /** A whole hierarchy below `path` (recursive); only names are kept, values stay encrypted. */
  private async listByPath(path: string, ctx?: CallContext): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.runner.call('GetParametersByPath', `path "${path}"`, () =>
        this.options.sdk.send(new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: false, MaxResults: 10, NextToken: nextToken }), { abortSignal: ctx?.signal }));
      for (const p of out.Parameters ?? []) if (p.Name) names.push(p.Name);
      nextToken = out.NextToken;
    } while (nextToken);
    return names;
  }

  /** Parameter metadata, filtered on the server by exact tag values and path; never values. */
  private async describe(query: FindQuery, ctx?: CallContext): Promise<string[]> {
    const filters: ParameterStringFilter[] = Object.entries(query.tags ?? {}).map(([k, v]) => ({ Key: `tag:${k}`, Option: 'Equals', Values: [v] }));
    if (query.path) filters.push({ Key: 'Path', Option: 'Recursive', Values: [query.path] });
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.runner.call('DescribeParameters', 'DescribeParameters', () =>
        this.options.sdk.send(new DescribeParametersCommand({ ParameterFilters: filters.length > 0 ? filters : undefined, MaxResults: 50, NextToken: nextToken }), { abortSignal: ctx?.signal }));
      for (const p of out.Parameters ?? []) if (p.Name) names.push(p.Name);
      nextToken = out.NextToken;
    } while (nextToken);
    return names;
  }

  /** Resolves credentials (running any STS exchange), which needs no SSM permission. */
  async validate(_ctx?: CallContext): Promise<StoreValidation> {
    await this.runner.call('ResolveCredentials', 'credentials', () => this.options.credentials());
    return { warnings: this.options.plaintext ? ['endpoint uses plain http: traffic, including secret values, is not encrypted'] : [] };
  }

  async close(): Promise<void> {
    this.options.sdk.destroy();
  }
}
