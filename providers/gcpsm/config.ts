// The `gcpsm` store block and its checks.
import type { ConfigIssue, SecretKeySelector, ServiceAccountSelector } from '../contract/index.js';

export interface GcpCaProvider {
  type: 'Secret' | 'ConfigMap';
  name: string;
  key: string;
  namespace?: string;
}

export interface GcpSecretManagerConfig {
  /** Project id or number; defaults to the `project_id` of a service-account key. */
  projectID?: string;
  /** Location of regional secrets (e.g. europe-west1); empty for global secrets. */
  location?: string;
  /** `host:port` or URL; `http://` means an insecure channel. */
  endpoint?: string;
  caBundle?: string;
  caProvider?: GcpCaProvider;
  auth?: {
    secretRef?: { secretAccessKeySecretRef: SecretKeySelector };
    workloadIdentityFederation?: {
      audience?: string;
      serviceAccountRef: ServiceAccountSelector;
      credConfig?: SecretKeySelector;
    };
  };
}

const base = 'spec.provider.gcpsm';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkSelector(value: unknown, field: string, cluster: boolean, issues: ConfigIssue[]): void {
  if (!isObject(value) || typeof value.name !== 'string' || value.name === '' || typeof value.key !== 'string' || value.key === '') {
    issues.push({ field, message: 'needs name and key' });
    return;
  }
  if (cluster && typeof value.namespace !== 'string') issues.push({ field: `${field}.namespace`, message: 'is required in a ClusterSecretStore' });
}

export function validateGcpConfig(config: unknown, cluster: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isObject(config)) return [{ field: base, message: 'must be an object' }];
  for (const key of ['projectID', 'location', 'endpoint', 'caBundle'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'string') issues.push({ field: `${base}.${key}`, message: 'must be a string' });
  }
  if (typeof config.location === 'string' && config.location !== '' && !/^[a-z][a-z0-9-]*[a-z0-9]$/.test(config.location)) {
    issues.push({ field: `${base}.location`, message: 'must be a location name such as europe-west1' });
  }
  if (typeof config.endpoint === 'string' && config.endpoint !== '') {
    try {
      parseEndpoint(config.endpoint);
    } catch (error) {
      issues.push({ field: `${base}.endpoint`, message: (error as Error).message });
    }
  }
  if (config.caProvider !== undefined) checkSelector(config.caProvider, `${base}.caProvider`, cluster, issues);
  const auth = config.auth;
  if (auth !== undefined) {
    if (!isObject(auth)) {
      issues.push({ field: `${base}.auth`, message: 'must be an object' });
    } else {
      if (auth.secretRef !== undefined && auth.workloadIdentityFederation !== undefined) {
        issues.push({ field: `${base}.auth`, message: 'set either secretRef or workloadIdentityFederation, not both' });
      }
      if (auth.secretRef !== undefined) {
        checkSelector(isObject(auth.secretRef) ? auth.secretRef.secretAccessKeySecretRef : undefined, `${base}.auth.secretRef.secretAccessKeySecretRef`, cluster, issues);
      }
      const wif = auth.workloadIdentityFederation;
      if (wif !== undefined) {
        const field = `${base}.auth.workloadIdentityFederation`;
        if (!isObject(wif) || !isObject(wif.serviceAccountRef) || typeof wif.serviceAccountRef.name !== 'string') {
          issues.push({ field: `${field}.serviceAccountRef`, message: 'needs a name' });
        } else {
          if (wif.audience === undefined && wif.credConfig === undefined) issues.push({ field: `${field}.audience`, message: 'is required unless credConfig is set' });
          if (wif.credConfig !== undefined) checkSelector(wif.credConfig, `${field}.credConfig`, cluster, issues);
        }
      }
    }
  }
  return issues;
}

export interface GcpEndpoint {
  host: string;
  port: number;
  insecure: boolean;
}

/** `host:port`, `host`, `https://host[:port]` or `http://host[:port]`. */
export function parseEndpoint(endpoint: string): GcpEndpoint {
  const withScheme = /^[a-z]+:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`"${endpoint}" is not host:port or a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`scheme ${url.protocol} is not http or https`);
  if (url.pathname !== '/' && url.pathname !== '') throw new Error('must not have a path');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443, insecure: url.protocol === 'http:' };
}

/** The public endpoint: global, or the regional `secretmanager.<location>.rep.<universe>`. */
export function defaultEndpoint(location: string | undefined, universeDomain: string): GcpEndpoint {
  const host = location ? `secretmanager.${location}.rep.${universeDomain}` : `secretmanager.${universeDomain}`;
  return { host, port: 443, insecure: false };
}

/** Without `auth`, application default credentials: the operator's own Google identity. */
export function gcpAmbientCredentials(config: unknown): string | undefined {
  const auth = (config as { auth?: { secretRef?: unknown; workloadIdentityFederation?: unknown } } | undefined)?.auth;
  if (auth?.secretRef || auth?.workloadIdentityFederation) return undefined;
  return 'Google application default credentials: GOOGLE_APPLICATION_CREDENTIALS or the GKE metadata server';
}
