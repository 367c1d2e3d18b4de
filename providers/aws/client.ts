// A connected AWS Secrets Manager store: GetSecretValue for single reads,
// BatchGetSecretValue for batches of latest values, ListSecrets for `dataFrom.find`.
import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  type Filter,
  type SecretsManagerClient,
  type SecretValueEntry,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import {
  ConfigError,
  InvalidDataError,
  NotFoundError,
  type CallContext,
  type Clock,
  type FindQuery,
  type ProviderClient,
  type ProviderError,
  type ProviderObserver,
  type RemoteRef,
  type RemoteSecret,
  type StoreValidation,
} from '../contract/index.js';
import { mapBatchEntryError } from './errors.js';
import { AwsCallRunner } from './call-runner.js';

/** BatchGetSecretValue accepts at most 20 ids per call. */
export const awsMaxBatchSize = 20;
const versionIdPrefix = 'uuid/';

/** How a ref's `version` selects: `uuid/<id>` is a VersionId, anything else a VersionStage. */
export function versionSelector(version: string | undefined): { VersionId?: string; VersionStage?: string } {
  if (version === undefined || version === '') return {};
  if (version.startsWith(versionIdPrefix)) return { VersionId: version.slice(versionIdPrefix.length) };
  return { VersionStage: version };
}

function toRemoteSecret(key: string, out: Pick<GetSecretValueCommandOutput, 'SecretString' | 'SecretBinary' | 'VersionId' | 'CreatedDate' | 'VersionStages' | 'Name'>): RemoteSecret {
  let value: Buffer;
  if (out.SecretString !== undefined) value = Buffer.from(out.SecretString, 'utf8');
  else if (out.SecretBinary !== undefined) value = Buffer.from(out.SecretBinary);
  else throw new InvalidDataError(`AWS secret "${key}" has neither SecretString nor SecretBinary`, { reason: 'EmptySecret' });
  const metadata: Record<string, string> = {};
  if (out.Name) metadata.name = out.Name;
  if (out.VersionStages && out.VersionStages.length > 0) metadata.versionStages = out.VersionStages.join(',');
  return { value, versionId: out.VersionId, createdAt: out.CreatedDate, metadata };
}

/** AWS tags as a map; a key given twice keeps its last value, as ESO's conversion does. */
export function tagMap(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Record<string, string> {
  // fromEntries defines own entries, so a tag named `__proto__` stays an entry.
  return Object.fromEntries((tags ?? []).flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? '']])));
}

export interface AwsClientOptions {
  sdk: SecretsManagerClient;
  credentials: AwsCredentialIdentityProvider;
  clock: Clock;
  observer: ProviderObserver;
  /** Credentials read for this store; redacted from every error message. */
  redact: readonly string[];
  /** Whether the service or STS endpoint is plain http. */
  plaintext: boolean;
}

export class AwsSecretsManagerClient implements ProviderClient {
  readonly maxBatchSize = awsMaxBatchSize;

  private readonly runner: AwsCallRunner;

  constructor(private readonly options: AwsClientOptions) {
    this.runner = new AwsCallRunner(options);
  }

  private call<T>(operation: string, subject: string, run: () => Promise<T>): Promise<T> {
    return this.runner.call(operation, subject, run);
  }

  async fetch(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret> {
    const subject = `"${ref.key}"${ref.version ? ` at version "${ref.version}"` : ''}`;
    const out = await this.call('GetSecretValue', subject, () =>
      this.options.sdk.send(new GetSecretValueCommand({ SecretId: ref.key, ...versionSelector(ref.version) }), { abortSignal: ctx?.signal }));
    return toRemoteSecret(ref.key, out);
  }

  /**
   * The secret's tags, read with DescribeSecret as ESO does. Tags belong to the secret, not to a
   * version, so `version` plays no part; the value is never read.
   */
  async fetchMetadata(ref: RemoteRef, ctx?: CallContext): Promise<RemoteSecret> {
    const out = await this.call('DescribeSecret', `"${ref.key}"`, () =>
      this.options.sdk.send(new DescribeSecretCommand({ SecretId: ref.key }), { abortSignal: ctx?.signal }));
    return { value: Buffer.alloc(0), userMetadata: tagMap(out.Tags) };
  }

  async fetchMany(refs: RemoteRef[], ctx?: CallContext): Promise<Array<RemoteSecret | ProviderError>> {
    if (refs.length > awsMaxBatchSize) {
      throw new ConfigError(`a batch holds at most ${awsMaxBatchSize} secrets, got ${refs.length}`, { reason: 'BatchTooLarge' });
    }
    const results: Array<RemoteSecret | ProviderError | undefined> = new Array(refs.length);
    // BatchGetSecretValue reads only AWSCURRENT; pinned versions go through GetSecretValue.
    const latest: number[] = [];
    const pinned: Array<Promise<void>> = [];
    refs.forEach((ref, i) => {
      if (ref.version === undefined || ref.version === '' || ref.version === 'AWSCURRENT') latest.push(i);
      else pinned.push(this.fetch(ref, ctx).then((s) => { results[i] = s; }, (e: ProviderError) => { results[i] = e; }));
    });
    const ids = [...new Set(latest.map((i) => refs[i]!.key))];
    if (ids.length > 0) {
      const entries: SecretValueEntry[] = [];
      const errors = new Map<string, ProviderError>();
      let nextToken: string | undefined;
      do {
        const out = await this.call('BatchGetSecretValue', `${ids.length} secrets`, () =>
          this.options.sdk.send(new BatchGetSecretValueCommand({ SecretIdList: ids, NextToken: nextToken }), { abortSignal: ctx?.signal }));
        entries.push(...(out.SecretValues ?? []));
        for (const err of out.Errors ?? []) {
          if (err.SecretId) errors.set(err.SecretId, mapBatchEntryError(err, { subject: err.SecretId, nowMs: this.options.clock.now(), redact: this.options.redact }));
        }
        nextToken = out.NextToken;
      } while (nextToken);
      for (const i of latest) {
        const key = refs[i]!.key;
        // A ref may name a secret by name or ARN; the response carries both.
        const entry = entries.find((e) => e.Name === key || e.ARN === key);
        if (entry) {
          try {
            results[i] = toRemoteSecret(key, entry);
          } catch (e) {
            results[i] = e as ProviderError;
          }
        } else {
          results[i] = errors.get(key) ?? new NotFoundError(`AWS Secrets Manager secret "${key}" was not returned by BatchGetSecretValue`, { reason: 'SecretNotFound' });
        }
      }
    }
    await Promise.all(pinned);
    return results as Array<RemoteSecret | ProviderError>;
  }

  async find(query: FindQuery, ctx?: CallContext): Promise<string[]> {
    // Server-side filters narrow the listing (prefix matches); exact tag pairs and the
    // regexp are checked here, as AWS matches tag keys and values independently.
    const filters: Filter[] = [];
    if (query.path) filters.push({ Key: 'name', Values: [query.path] });
    for (const [k, v] of Object.entries(query.tags ?? {})) {
      filters.push({ Key: 'tag-key', Values: [k] }, { Key: 'tag-value', Values: [v] });
    }
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.call('ListSecrets', 'ListSecrets', () =>
        this.options.sdk.send(new ListSecretsCommand({ Filters: filters.length > 0 ? filters : undefined, MaxResults: 100, NextToken: nextToken }), { abortSignal: ctx?.signal }));
      for (const s of out.SecretList ?? []) {
        if (!s.Name || s.DeletedDate) continue;
        if (query.name && !query.name.test(s.Name)) continue;
        const tags = new Map((s.Tags ?? []).map((t) => [t.Key, t.Value]));
        if (Object.entries(query.tags ?? {}).some(([k, v]) => tags.get(k) !== v)) continue;
        names.push(s.Name);
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return [...new Set(names)].sort();
  }

  /** Resolves credentials (running any STS exchange), which needs no Secrets Manager permission. */
  async validate(_ctx?: CallContext): Promise<StoreValidation> {
    await this.call('ResolveCredentials', 'credentials', () => this.options.credentials());
    return { warnings: this.options.plaintext ? ['endpoint uses plain http: traffic, including secret values, is not encrypted'] : [] };
  }

  async close(): Promise<void> {
    this.options.sdk.destroy();
  }
}
