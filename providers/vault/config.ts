// The `vault` provider's store block (`spec.provider.vault`). Field names follow External
// Secrets Operator's Vault provider.
import type { CaProvider, ConfigIssue, SecretKeySelector, ServiceAccountSelector, StoreIdentity } from '../contract/index.js';

export interface VaultAppRoleAuth {
  /** Mount path of the AppRole auth method (default `approle`). */
  path?: string;
  roleId?: string;
  /** The role id held in a Secret instead of inline. */
  roleRef?: SecretKeySelector;
  secretRef: SecretKeySelector;
}

export interface VaultKubernetesAuth {
  /** Mount path of the kubernetes auth method (default `kubernetes`). */
  mountPath?: string;
  role: string;
  /** Mint a token for this ServiceAccount with the TokenRequest API. */
  serviceAccountRef?: ServiceAccountSelector;
  /** Or read a JWT from a Secret. */
  secretRef?: SecretKeySelector;
}

export interface VaultAuth {
  tokenSecretRef?: SecretKeySelector;
  appRole?: VaultAppRoleAuth;
  kubernetes?: VaultKubernetesAuth;
}

export type VaultCaProvider = CaProvider;

export interface VaultConfig {
  server: string;
  /** Mount path of the KV engine. Empty or unset: each key starts with its mount (`secret/app/db`). */
  path?: string;
  version?: 'v1' | 'v2';
  /** Vault Enterprise namespace, sent as `X-Vault-Namespace`. */
  namespace?: string;
  /** Base64-encoded PEM CA bundle for the server's certificate. */
  caBundle?: string;
  caProvider?: VaultCaProvider;
  auth: VaultAuth;
}

const base = 'spec.provider.vault';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function checkSelector(value: unknown, at: string, store: StoreIdentity, issues: ConfigIssue[]): void {
  if (!isObject(value)) {
    issues.push({ field: at, message: 'must be an object with name and key' });
    return;
  }
  if (!nonEmpty(value.name)) issues.push({ field: `${at}.name`, message: 'is required' });
  if (!nonEmpty(value.key)) issues.push({ field: `${at}.key`, message: 'is required' });
  if (store.kind === 'ClusterSecretStore' && !nonEmpty(value.namespace)) issues.push({ field: `${at}.namespace`, message: 'is required in a ClusterSecretStore' });
}

/** Checks the shape of `spec.provider.vault`; returns one issue per wrong field. */
export function validateVaultConfig(config: unknown, store: StoreIdentity): ConfigIssue[] {
  if (!isObject(config)) return [{ field: base, message: 'must be an object' }];
  const issues: ConfigIssue[] = [];
  if (!nonEmpty(config.server)) {
    issues.push({ field: `${base}.server`, message: 'is required' });
  } else {
    try {
      const url = new URL(config.server);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') issues.push({ field: `${base}.server`, message: 'must be an http:// or https:// URL' });
    } catch {
      issues.push({ field: `${base}.server`, message: `"${config.server}" is not a valid URL` });
    }
  }
  if (config.path !== undefined && (typeof config.path !== 'string' || /^\/|\/$/.test(config.path))) {
    issues.push({ field: `${base}.path`, message: 'must be a mount path without leading or trailing slash' });
  }
  if (config.version !== undefined && config.version !== 'v1' && config.version !== 'v2') issues.push({ field: `${base}.version`, message: 'must be v1 or v2' });
  if (config.namespace !== undefined && !nonEmpty(config.namespace)) issues.push({ field: `${base}.namespace`, message: 'must be a non-empty string' });
  if (config.caBundle !== undefined) {
    const pem = typeof config.caBundle === 'string' ? Buffer.from(config.caBundle, 'base64').toString('utf8') : '';
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) issues.push({ field: `${base}.caBundle`, message: 'must be a base64-encoded PEM certificate bundle' });
  }
  if (config.caProvider !== undefined) {
    const cp = config.caProvider;
    if (!isObject(cp) || (cp.type !== 'Secret' && cp.type !== 'ConfigMap')) issues.push({ field: `${base}.caProvider.type`, message: 'must be Secret or ConfigMap' });
    if (isObject(cp)) checkSelector(cp, `${base}.caProvider`, store, issues);
  }
  const auth = config.auth;
  if (!isObject(auth)) {
    issues.push({ field: `${base}.auth`, message: 'is required: set one of tokenSecretRef, appRole, kubernetes' });
    return issues;
  }
  const modes = ['tokenSecretRef', 'appRole', 'kubernetes'].filter((m) => auth[m] !== undefined);
  if (modes.length !== 1) issues.push({ field: `${base}.auth`, message: 'set exactly one of tokenSecretRef, appRole, kubernetes' });
  if (auth.tokenSecretRef !== undefined) checkSelector(auth.tokenSecretRef, `${base}.auth.tokenSecretRef`, store, issues);
  if (auth.appRole !== undefined) {
    const at = `${base}.auth.appRole`;
    const ar = auth.appRole;
    if (!isObject(ar)) {
      issues.push({ field: at, message: 'must be an object' });
    } else {
      if (ar.path !== undefined && !nonEmpty(ar.path)) issues.push({ field: `${at}.path`, message: 'must be a non-empty mount path' });
      if (ar.roleId === undefined && ar.roleRef === undefined) issues.push({ field: `${at}.roleId`, message: 'set roleId or roleRef' });
      if (ar.roleId !== undefined && !nonEmpty(ar.roleId)) issues.push({ field: `${at}.roleId`, message: 'must be a non-empty string' });
      if (ar.roleRef !== undefined) checkSelector(ar.roleRef, `${at}.roleRef`, store, issues);
      checkSelector(ar.secretRef, `${at}.secretRef`, store, issues);
    }
  }
  if (auth.kubernetes !== undefined) {
    const at = `${base}.auth.kubernetes`;
    const k = auth.kubernetes;
    if (!isObject(k)) {
      issues.push({ field: at, message: 'must be an object' });
    } else {
      if (k.mountPath !== undefined && !nonEmpty(k.mountPath)) issues.push({ field: `${at}.mountPath`, message: 'must be a non-empty mount path' });
      if (!nonEmpty(k.role)) issues.push({ field: `${at}.role`, message: 'is required' });
      if (k.serviceAccountRef === undefined && k.secretRef === undefined) issues.push({ field: at, message: 'set serviceAccountRef or secretRef' });
      if (k.serviceAccountRef !== undefined) {
        const sa = k.serviceAccountRef;
        if (!isObject(sa) || !nonEmpty(sa.name)) issues.push({ field: `${at}.serviceAccountRef.name`, message: 'is required' });
        else if (store.kind === 'ClusterSecretStore' && !nonEmpty(sa.namespace)) issues.push({ field: `${at}.serviceAccountRef.namespace`, message: 'is required in a ClusterSecretStore' });
      }
      if (k.secretRef !== undefined) checkSelector(k.secretRef, `${at}.secretRef`, store, issues);
    }
  }
  return issues;
}

/** The validated config with defaults applied. */
export function toVaultConfig(config: unknown): Required<Pick<VaultConfig, 'version'>> & VaultConfig {
  const c = config as VaultConfig;
  return { ...c, server: c.server.replace(/\/+$/, ''), path: c.path || undefined, version: c.version ?? 'v2' };
}
