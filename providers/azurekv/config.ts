// The `azurekv` store block. Field names follow External Secrets Operator's
// `spec.provider.azurekv`; `authorityHost`, `caBundle` and `caProvider` are keyferry's
// additions for private clouds and private endpoints.
import type { CaProvider, ConfigIssue, SecretKeySelector, ServiceAccountSelector } from '../contract/index.js';

export type AzureAuthType = 'ServicePrincipal' | 'ManagedIdentity' | 'WorkloadIdentity';
export type AzureEnvironmentType = 'PublicCloud' | 'USGovernmentCloud' | 'ChinaCloud' | 'GermanCloud';

export type AzureCaProvider = CaProvider;

export interface AzureKeyVaultConfig {
  /** Defaults to ServicePrincipal, as in ESO. */
  authType?: AzureAuthType;
  vaultUrl: string;
  tenantId?: string;
  environmentType?: AzureEnvironmentType;
  /** Entra ID authority, e.g. a sovereign or private cloud's login host. Turns off instance discovery. */
  authorityHost?: string;
  authSecretRef?: {
    clientId?: SecretKeySelector;
    clientSecret?: SecretKeySelector;
    /** PEM holding the certificate and its private key. */
    clientCertificate?: SecretKeySelector;
  };
  /** WorkloadIdentity: the ServiceAccount whose token is exchanged for an Entra ID token. */
  serviceAccountRef?: ServiceAccountSelector;
  /**
   * ManagedIdentity: client id of a user-assigned identity (unset means system-assigned).
   * WorkloadIdentity: the application (client) id, unless authSecretRef.clientId gives it.
   */
  identityId?: string;
  /** Base64 PEM of the CA that signs the vault's and the authority's TLS certificates. */
  caBundle?: string;
  caProvider?: AzureCaProvider;
}

const base = 'spec.provider.azurekv';
const authTypes: readonly string[] = ['ServicePrincipal', 'ManagedIdentity', 'WorkloadIdentity'];
const environmentTypes: readonly string[] = ['PublicCloud', 'USGovernmentCloud', 'ChinaCloud', 'GermanCloud'];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkUrl(value: unknown, field: string, issues: ConfigIssue[], required: boolean): void {
  if (value === undefined) {
    if (required) issues.push({ field, message: 'is required' });
    return;
  }
  if (typeof value !== 'string' || value === '') {
    issues.push({ field, message: 'must be a non-empty URL' });
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    issues.push({ field, message: `"${value}" is not a valid URL` });
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') issues.push({ field, message: 'must be an https:// (or http://) URL' });
}

function checkSelector(value: unknown, field: string, issues: ConfigIssue[], clusterScoped: boolean): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    issues.push({ field, message: 'must be an object with name and key' });
    return;
  }
  if (typeof value.name !== 'string' || value.name === '') issues.push({ field: `${field}.name`, message: 'is required' });
  if (typeof value.key !== 'string' || value.key === '') issues.push({ field: `${field}.key`, message: 'is required' });
  if (value.namespace !== undefined && typeof value.namespace !== 'string') issues.push({ field: `${field}.namespace`, message: 'must be a string' });
  if (clusterScoped && (typeof value.namespace !== 'string' || value.namespace === '')) {
    issues.push({ field: `${field}.namespace`, message: 'is required in a ClusterSecretStore' });
  }
}

/** Checks the shape of `spec.provider.azurekv`; one issue per wrong field. */
export function validateAzureKeyVaultConfig(config: unknown, clusterScoped: boolean): ConfigIssue[] {
  if (!isObject(config)) return [{ field: base, message: 'must be an object' }];
  const issues: ConfigIssue[] = [];
  checkUrl(config.vaultUrl, `${base}.vaultUrl`, issues, true);
  checkUrl(config.authorityHost, `${base}.authorityHost`, issues, false);
  if (typeof config.authorityHost === 'string' && config.authorityHost.startsWith('http:')) {
    issues.push({ field: `${base}.authorityHost`, message: 'must be https:// (Entra ID tokens are never sent in plaintext)' });
  }
  const authType = config.authType ?? 'ServicePrincipal';
  if (typeof authType !== 'string' || !authTypes.includes(authType)) {
    issues.push({ field: `${base}.authType`, message: `must be one of ${authTypes.join(', ')}` });
  }
  if (config.environmentType !== undefined && (typeof config.environmentType !== 'string' || !environmentTypes.includes(config.environmentType))) {
    issues.push({ field: `${base}.environmentType`, message: `must be one of ${environmentTypes.join(', ')}` });
  }
  if (config.tenantId !== undefined && (typeof config.tenantId !== 'string' || !/^[A-Za-z0-9.-]+$/.test(config.tenantId))) {
    issues.push({ field: `${base}.tenantId`, message: 'must be a tenant id or domain' });
  }
  const auth = config.authSecretRef;
  if (auth !== undefined && !isObject(auth)) issues.push({ field: `${base}.authSecretRef`, message: 'must be an object' });
  const authRef = isObject(auth) ? auth : {};
  for (const key of ['clientId', 'clientSecret', 'clientCertificate']) {
    checkSelector(authRef[key], `${base}.authSecretRef.${key}`, issues, clusterScoped);
  }
  if (authType === 'ServicePrincipal') {
    if (typeof config.tenantId !== 'string') issues.push({ field: `${base}.tenantId`, message: 'is required for ServicePrincipal' });
    if (authRef.clientId === undefined) issues.push({ field: `${base}.authSecretRef.clientId`, message: 'is required for ServicePrincipal' });
    const hasSecret = authRef.clientSecret !== undefined;
    const hasCert = authRef.clientCertificate !== undefined;
    if (hasSecret === hasCert) {
      issues.push({ field: `${base}.authSecretRef`, message: 'ServicePrincipal needs exactly one of clientSecret or clientCertificate' });
    }
  }
  if (authType === 'WorkloadIdentity') {
    if (typeof config.tenantId !== 'string') issues.push({ field: `${base}.tenantId`, message: 'is required for WorkloadIdentity' });
    if (!isObject(config.serviceAccountRef) || typeof config.serviceAccountRef.name !== 'string' || config.serviceAccountRef.name === '') {
      issues.push({ field: `${base}.serviceAccountRef.name`, message: 'is required for WorkloadIdentity' });
    } else if (clusterScoped && typeof config.serviceAccountRef.namespace !== 'string') {
      issues.push({ field: `${base}.serviceAccountRef.namespace`, message: 'is required in a ClusterSecretStore' });
    }
    // The client id usually sits in the ServiceAccount's azure.workload.identity/client-id
    // annotation; keyferry takes it from identityId or authSecretRef.clientId instead.
    if (authRef.clientId === undefined && (typeof config.identityId !== 'string' || config.identityId === '')) {
      issues.push({ field: `${base}.identityId`, message: 'is required for WorkloadIdentity (the application client id), unless authSecretRef.clientId is set' });
    }
  }
  if (config.identityId !== undefined && typeof config.identityId !== 'string') {
    issues.push({ field: `${base}.identityId`, message: 'must be a string' });
  }
  if (config.caBundle !== undefined) {
    const pem = typeof config.caBundle === 'string' ? Buffer.from(config.caBundle, 'base64').toString('utf8') : '';
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) issues.push({ field: `${base}.caBundle`, message: 'must be a base64-encoded PEM certificate bundle' });
  }
  if (config.caProvider !== undefined) {
    const ca = config.caProvider;
    if (!isObject(ca) || (ca.type !== 'Secret' && ca.type !== 'ConfigMap')) {
      issues.push({ field: `${base}.caProvider.type`, message: 'must be Secret or ConfigMap' });
    } else {
      checkSelector(ca, `${base}.caProvider`, issues, clusterScoped);
    }
  }
  return issues;
}

const authorityHosts: Record<AzureEnvironmentType, string> = {
  PublicCloud: 'https://login.microsoftonline.com',
  USGovernmentCloud: 'https://login.microsoftonline.us',
  ChinaCloud: 'https://login.chinacloudapi.cn',
  GermanCloud: 'https://login.microsoftonline.de',
};

/** Key Vault DNS suffixes of the national clouds, and the token audience each expects. */
const vaultResources: Array<[suffix: string, resource: string]> = [
  ['.vault.azure.net', 'https://vault.azure.net'],
  ['.vault.usgovcloudapi.net', 'https://vault.usgovcloudapi.net'],
  ['.vault.azure.cn', 'https://vault.azure.cn'],
  ['.vault.microsoftazure.de', 'https://vault.microsoftazure.de'],
];

const environmentResources: Record<AzureEnvironmentType, string> = {
  PublicCloud: 'https://vault.azure.net',
  USGovernmentCloud: 'https://vault.usgovcloudapi.net',
  ChinaCloud: 'https://vault.azure.cn',
  GermanCloud: 'https://vault.microsoftazure.de',
};

export function authorityHostFor(config: AzureKeyVaultConfig): { host: string; custom: boolean } {
  if (config.authorityHost) return { host: config.authorityHost.replace(/\/+$/, ''), custom: true };
  return { host: authorityHosts[config.environmentType ?? 'PublicCloud'], custom: false };
}

/** Whether the vault sits under a public Key Vault DNS suffix (so the challenge's resource can be checked). */
export function isPublicVaultHost(vaultUrl: string): boolean {
  const host = new URL(vaultUrl).hostname.toLowerCase();
  return vaultResources.some(([suffix]) => host.endsWith(suffix));
}

/** The token audience for the vault: from its DNS suffix, else from the environment. */
export function vaultResourceFor(config: AzureKeyVaultConfig): string {
  const host = new URL(config.vaultUrl).hostname.toLowerCase();
  const match = vaultResources.find(([suffix]) => host.endsWith(suffix));
  return match ? match[1] : environmentResources[config.environmentType ?? 'PublicCloud'];
}

/** `authType: ManagedIdentity` is the node's (or the operator Pod's) own Azure identity. */
export function azureAmbientCredentials(config: unknown): string | undefined {
  if ((config as AzureKeyVaultConfig | undefined)?.authType !== 'ManagedIdentity') return undefined;
  return 'the Azure managed identity of the node the operator runs on (IMDS)';
}
