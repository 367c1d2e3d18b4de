// The `onepassword` store block, as External Secrets Operator names it: a Connect server,
// the Connect token's Secret, and vaults by name with a search priority (lower first).
// `caBundle`/`caProvider` are keyferry's additions for a Connect server behind a private CA.
import type { CaProvider, ConfigIssue, SecretKeySelector } from '../contract/index.js';

export type OnePasswordCaProvider = CaProvider;

export interface OnePasswordConfig {
  connectHost: string;
  /** Vault name (or id) → priority; vaults are searched from the lowest number up. */
  vaults: Record<string, number>;
  auth: { secretRef: { connectTokenSecretRef: SecretKeySelector } };
  caBundle?: string;
  caProvider?: OnePasswordCaProvider;
}

const base = 'spec.provider.onepassword';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkSelector(value: unknown, field: string, issues: ConfigIssue[], clusterScoped: boolean): void {
  if (!isObject(value)) {
    issues.push({ field, message: 'is required: an object with name and key' });
    return;
  }
  if (typeof value.name !== 'string' || value.name === '') issues.push({ field: `${field}.name`, message: 'is required' });
  if (typeof value.key !== 'string' || value.key === '') issues.push({ field: `${field}.key`, message: 'is required' });
  if (clusterScoped && (typeof value.namespace !== 'string' || value.namespace === '')) {
    issues.push({ field: `${field}.namespace`, message: 'is required in a ClusterSecretStore' });
  }
}

/** Checks the shape of `spec.provider.onepassword`; one issue per wrong field. */
export function validateOnePasswordConfig(config: unknown, clusterScoped: boolean): ConfigIssue[] {
  if (!isObject(config)) return [{ field: base, message: 'must be an object' }];
  const issues: ConfigIssue[] = [];
  if (typeof config.connectHost !== 'string' || config.connectHost === '') {
    issues.push({ field: `${base}.connectHost`, message: 'is required' });
  } else {
    try {
      const url = new URL(config.connectHost);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') issues.push({ field: `${base}.connectHost`, message: 'must be an http:// or https:// URL' });
    } catch {
      issues.push({ field: `${base}.connectHost`, message: `"${config.connectHost}" is not a valid URL` });
    }
  }
  if (!isObject(config.vaults) || Object.keys(config.vaults).length === 0) {
    issues.push({ field: `${base}.vaults`, message: 'is required: a map of vault name to search priority' });
  } else {
    for (const [name, priority] of Object.entries(config.vaults)) {
      if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0) {
        issues.push({ field: `${base}.vaults.${name}`, message: 'must be a non-negative integer priority' });
      }
    }
  }
  const auth = isObject(config.auth) && isObject(config.auth.secretRef) ? config.auth.secretRef.connectTokenSecretRef : undefined;
  checkSelector(auth, `${base}.auth.secretRef.connectTokenSecretRef`, issues, clusterScoped);
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

/** Vault names in search order (priority, then name, so equal priorities are stable). */
export function vaultSearchOrder(vaults: Record<string, number>): string[] {
  return Object.entries(vaults).sort(([a, pa], [b, pb]) => pa - pb || a.localeCompare(b)).map(([name]) => name);
}
