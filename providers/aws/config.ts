// The `aws` provider's store block (`spec.provider.aws`). Field names follow External
// Secrets Operator's AWS provider; `endpoint`, `stsEndpoint` and `caBundle` are keyferry's.
import type { ConfigIssue, SecretKeySelector, ServiceAccountSelector, StoreIdentity } from '../contract/index.js';

export interface AwsStaticKeysAuth {
  accessKeyIDSecretRef: SecretKeySelector;
  secretAccessKeySecretRef: SecretKeySelector;
  sessionTokenSecretRef?: SecretKeySelector;
}

export interface AwsAuth {
  /** Static keys held in a Kubernetes Secret. */
  secretRef?: AwsStaticKeysAuth;
  /** Web identity: a minted ServiceAccount token exchanged through STS AssumeRoleWithWebIdentity. */
  jwt?: { serviceAccountRef: ServiceAccountSelector };
}

export interface AwsConfig {
  /** Which AWS service holds the secrets (default SecretsManager). */
  service?: 'SecretsManager' | 'ParameterStore';
  region: string;
  /** With `auth.jwt`, the role the web identity assumes; otherwise a role assumed with STS AssumeRole. */
  role?: string;
  /** Secrets Manager or SSM endpoint override, per `service` (VPC endpoint, FIPS host, local testing). */
  endpoint?: string;
  /** STS endpoint override, used for AssumeRole and AssumeRoleWithWebIdentity. */
  stsEndpoint?: string;
  /** Base64-encoded PEM CA bundle trusted for both endpoints. */
  caBundle?: string;
  auth?: AwsAuth;
}

const base = 'spec.provider.aws';
const roleArnPattern = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkSelector(value: unknown, at: string, store: StoreIdentity, required: boolean, issues: ConfigIssue[]): void {
  if (value === undefined) {
    if (required) issues.push({ field: at, message: 'is required' });
    return;
  }
  if (!isObject(value)) {
    issues.push({ field: at, message: 'must be an object with name and key' });
    return;
  }
  if (typeof value.name !== 'string' || value.name === '') issues.push({ field: `${at}.name`, message: 'is required' });
  if (typeof value.key !== 'string' || value.key === '') issues.push({ field: `${at}.key`, message: 'is required' });
  if (store.kind === 'ClusterSecretStore' && (typeof value.namespace !== 'string' || value.namespace === '')) {
    issues.push({ field: `${at}.namespace`, message: 'is required in a ClusterSecretStore' });
  }
}

function checkEndpoint(value: unknown, at: string, issues: ConfigIssue[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    issues.push({ field: at, message: 'must be a URL string' });
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    issues.push({ field: at, message: `"${value}" is not a valid URL` });
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') issues.push({ field: at, message: 'must be an http:// or https:// URL' });
}

/** Checks the shape of `spec.provider.aws`; returns one issue per wrong field. */
export function validateAwsConfig(config: unknown, store: StoreIdentity): ConfigIssue[] {
  if (!isObject(config)) return [{ field: base, message: 'must be an object' }];
  const issues: ConfigIssue[] = [];
  if (config.service !== undefined && config.service !== 'SecretsManager' && config.service !== 'ParameterStore') {
    issues.push({ field: `${base}.service`, message: 'must be SecretsManager or ParameterStore' });
  }
  if (typeof config.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(config.region)) {
    issues.push({ field: `${base}.region`, message: 'is required and must be an AWS region such as eu-west-1' });
  }
  if (config.role !== undefined && (typeof config.role !== 'string' || !roleArnPattern.test(config.role))) {
    issues.push({ field: `${base}.role`, message: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)' });
  }
  checkEndpoint(config.endpoint, `${base}.endpoint`, issues);
  checkEndpoint(config.stsEndpoint, `${base}.stsEndpoint`, issues);
  if (config.caBundle !== undefined) {
    const pem = typeof config.caBundle === 'string' ? Buffer.from(config.caBundle, 'base64').toString('utf8') : '';
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) issues.push({ field: `${base}.caBundle`, message: 'must be a base64-encoded PEM certificate bundle' });
  }
  const auth = config.auth;
  if (auth !== undefined) {
    if (!isObject(auth)) {
      issues.push({ field: `${base}.auth`, message: 'must be an object' });
      return issues;
    }
    if (auth.secretRef !== undefined && auth.jwt !== undefined) {
      issues.push({ field: `${base}.auth`, message: 'set either secretRef or jwt, not both' });
    }
    if (auth.secretRef !== undefined) {
      const at = `${base}.auth.secretRef`;
      if (!isObject(auth.secretRef)) {
        issues.push({ field: at, message: 'must be an object' });
      } else {
        checkSelector(auth.secretRef.accessKeyIDSecretRef, `${at}.accessKeyIDSecretRef`, store, true, issues);
        checkSelector(auth.secretRef.secretAccessKeySecretRef, `${at}.secretAccessKeySecretRef`, store, true, issues);
        checkSelector(auth.secretRef.sessionTokenSecretRef, `${at}.sessionTokenSecretRef`, store, false, issues);
      }
    }
    if (auth.jwt !== undefined) {
      const at = `${base}.auth.jwt.serviceAccountRef`;
      const sa = isObject(auth.jwt) ? auth.jwt.serviceAccountRef : undefined;
      if (!isObject(sa) || typeof sa.name !== 'string' || sa.name === '') {
        issues.push({ field: `${at}.name`, message: 'is required' });
      } else {
        if (store.kind === 'ClusterSecretStore' && (typeof sa.namespace !== 'string' || sa.namespace === '')) {
          issues.push({ field: `${at}.namespace`, message: 'is required in a ClusterSecretStore' });
        }
        if (sa.audiences !== undefined && (!Array.isArray(sa.audiences) || sa.audiences.some((a) => typeof a !== 'string' || a === ''))) {
          issues.push({ field: `${at}.audiences`, message: 'must be a list of non-empty strings' });
        }
      }
      // The ServiceAccount's role annotation is not read: the role to assume is named here.
      if (config.role === undefined) issues.push({ field: `${base}.role`, message: 'is required with auth.jwt (the role the web identity assumes)' });
    }
  }
  return issues;
}

/** The validated config, typed. */
export function toAwsConfig(config: unknown): AwsConfig {
  return config as AwsConfig;
}

/** Without `auth`, the SDK's default chain: the operator's own AWS identity. */
export function awsAmbientCredentials(config: unknown): string | undefined {
  const auth = (config as AwsConfig | undefined)?.auth;
  if (auth?.secretRef || auth?.jwt) return undefined;
  return 'the AWS SDK default chain: environment, IRSA web identity, ECS task or EC2 instance role';
}
