// Where the API server is and how to authenticate to it, read from a kubeconfig or from the
// Pod's ServiceAccount, in client-go's order: `--kubeconfig`, else $KUBECONFIG, else
// ~/.kube/config, else in-cluster.
//
// Read here rather than by @kubernetes/client-node's KubeConfig because loading that class
// loads the whole generated client (every API group and model: ~26 MiB of heap and ~65 MiB of
// RSS, measured), while the operator makes a few dozen kinds of calls. Kubeconfigs this file
// cannot serve itself (exec plugins, auth providers, proxies) are handed to client-node's
// KubeConfig, loaded only then (client-node-connection.ts).
import { existsSync, readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { parse as parseYaml } from 'yaml';

/** What one request needs: the connection pool and the headers that authenticate it. */
export interface RequestAuth {
  agent: HttpAgent;
  headers: Record<string, string>;
}

export interface KubeConnection {
  /** The API server's base URL, without a trailing slash. */
  readonly server: string;
  /**
   * Agent and auth headers for the next request (a token read from a file may have been
   * rotated). Watches get an agent of their own: each holds its connection for minutes.
   */
  requestAuth(use?: 'request' | 'watch'): Promise<RequestAuth>;
  /** The bearer token requests carry, when the connection uses one it can show (not an exec plugin's). */
  bearerToken(): string | undefined;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Idle connections kept open between requests. */
const MAX_FREE_SOCKETS = 64;
/**
 * Requests in flight at once, beyond which they wait for a connection. Each TLS connection
 * costs ~100 KiB outside the JS heap; 32 carry the default client budget (a request takes a
 * few ms) and the workers' reads and writes without opening one per worker.
 */
const MAX_REQUEST_SOCKETS = 32;
/** client-go re-reads a token file once a minute; so does this (bound ServiceAccount tokens rotate). */
const TOKEN_FILE_REREAD_MS = 60_000;

interface KubeconfigCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  as?: string;
  'as-groups'?: string[];
  exec?: unknown;
  'auth-provider'?: unknown;
}

interface KubeconfigDocument {
  clusters?: Array<{ name: string; cluster?: KubeconfigCluster }>;
  users?: Array<{ name: string; user?: KubeconfigUser }>;
  contexts?: Array<{ name: string; context?: { cluster?: string; user?: string } }>;
  'current-context'?: string;
}

/** A kubeconfig file this loader does not serve itself; `loadKubeConnection` hands it to client-node. */
export class NeedsFullClientError extends Error {
  constructor(readonly reason: string) {
    super(`kubeconfig needs ${reason}`);
  }
}

export interface ConnectionSettings {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  token?: string;
  tokenFile?: string;
  basic?: { username: string; password: string };
  impersonate?: { user: string; groups: string[] };
}

const fileOrData = (baseDir: string, file: string | undefined, data: string | undefined): Buffer | undefined => {
  if (file) return readFileSync(isAbsolute(file) ? file : join(baseDir, file));
  if (data) return Buffer.from(data, 'base64');
  return undefined;
};

/**
 * The settings of a kubeconfig's current context. Relative file names are read from `baseDir`
 * (the kubeconfig's own directory, as kubectl does). Throws NeedsFullClientError for exec
 * plugins, auth providers and proxies.
 */
export function settingsFromKubeconfig(yamlText: string, baseDir: string): ConnectionSettings {
  const doc = (parseYaml(yamlText) ?? {}) as KubeconfigDocument;
  const contextName = doc['current-context'];
  const context = (doc.contexts ?? []).find((c) => c.name === contextName)?.context ?? (contextName ? undefined : doc.contexts?.[0]?.context);
  if (!context) throw new Error(contextName ? `kubeconfig: current-context "${contextName}" is not among its contexts` : 'kubeconfig: no context');
  const cluster = (doc.clusters ?? []).find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig: cluster "${context.cluster ?? ''}" of the current context has no server`);
  const user = (doc.users ?? []).find((u) => u.name === context.user)?.user ?? {};
  if (user.exec) throw new NeedsFullClientError('an exec credential plugin');
  if (user['auth-provider']) throw new NeedsFullClientError('an auth provider');
  if (cluster['proxy-url']) throw new NeedsFullClientError('a proxy');
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: fileOrData(baseDir, cluster['certificate-authority'], cluster['certificate-authority-data']),
    cert: fileOrData(baseDir, user['client-certificate'], user['client-certificate-data']),
    key: fileOrData(baseDir, user['client-key'], user['client-key-data']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: cluster['tls-server-name'],
    token: user.token,
    tokenFile: user.tokenFile ? (isAbsolute(user.tokenFile) ? user.tokenFile : join(baseDir, user.tokenFile)) : undefined,
    basic: user.username !== undefined ? { username: user.username, password: user.password ?? '' } : undefined,
    impersonate: user.as ? { user: user.as, groups: user['as-groups'] ?? [] } : undefined,
  };
}

/** The Pod's own ServiceAccount: the API server from the environment, the token and CA from the mounted files. */
export function inClusterSettings(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): ConnectionSettings {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(dir, 'ca.crt')),
    tokenFile: join(dir, 'token'),
  };
}

/** A connection over one keep-alive agent; a token file is re-read once a minute. */
export class SettingsConnection implements KubeConnection {
  readonly server: string;
  private readonly agent: HttpAgent;
  private readonly watchAgent: HttpAgent;
  private readonly staticHeaders: Record<string, string> = { Accept: 'application/json' };
  private fileToken?: { value: string; readAtMs: number };

  constructor(private readonly settings: ConnectionSettings, private readonly monotonicNow: () => number = () => performance.now()) {
    this.server = settings.server;
    const url = new URL(settings.server);
    if (url.protocol === 'http:') {
      // Plain HTTP carries credentials only where TLS checks were waived on purpose (client-node refused plain HTTP without that altogether).
      if (!settings.insecureSkipTlsVerify && (settings.token || settings.tokenFile || settings.basic)) {
        throw new Error(`refusing to send credentials to ${url.origin} over plain HTTP (set insecure-skip-tls-verify for a local test server)`);
      }
      this.agent = new HttpAgent({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS, maxSockets: MAX_REQUEST_SOCKETS });
      this.watchAgent = new HttpAgent({ keepAlive: true });
    } else {
      const tls = {
        ca: settings.ca,
        cert: settings.cert,
        key: settings.key,
        rejectUnauthorized: !settings.insecureSkipTlsVerify,
        servername: settings.tlsServerName,
      };
      this.agent = new HttpsAgent({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS, maxSockets: MAX_REQUEST_SOCKETS, ...tls });
      this.watchAgent = new HttpsAgent({ keepAlive: true, ...tls });
    }
    if (settings.basic) this.staticHeaders.Authorization = `Basic ${Buffer.from(`${settings.basic.username}:${settings.basic.password}`).toString('base64')}`;
    if (settings.impersonate) {
      this.staticHeaders['Impersonate-User'] = settings.impersonate.user;
      // One header per group is what the API server expects; Node joins repeated values with ", ", which it does not split.
      if (settings.impersonate.groups.length > 1) throw new NeedsFullClientError('impersonation of several groups');
      if (settings.impersonate.groups[0]) this.staticHeaders['Impersonate-Group'] = settings.impersonate.groups[0];
    }
  }

  bearerToken(): string | undefined {
    if (this.settings.token) return this.settings.token;
    if (!this.settings.tokenFile) return undefined;
    const now = this.monotonicNow();
    if (!this.fileToken || now - this.fileToken.readAtMs >= TOKEN_FILE_REREAD_MS) {
      this.fileToken = { value: readFileSync(this.settings.tokenFile, 'utf8').trim(), readAtMs: now };
    }
    return this.fileToken.value;
  }

  requestAuth(use: 'request' | 'watch' = 'request'): Promise<RequestAuth> {
    const token = this.bearerToken();
    const headers = token ? { ...this.staticHeaders, Authorization: `Bearer ${token}` } : this.staticHeaders;
    return Promise.resolve({ agent: use === 'watch' ? this.watchAgent : this.agent, headers });
  }
}

/**
 * Which kubeconfig file to read, in client-go's order: the one given, else $KUBECONFIG, else
 * ~/.kube/config if it exists. Of a $KUBECONFIG list the first file that exists is read;
 * client-go would merge them all.
 */
export function kubeconfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit) return explicit;
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  for (const p of fromEnv) if (existsSync(p)) return p;
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? home : undefined;
}

/** A connection from kubeconfig text: served here, or by client-node when the text needs it. */
export async function connectionFromKubeconfig(yamlText: string, baseDir: string): Promise<KubeConnection> {
  try {
    return new SettingsConnection(settingsFromKubeconfig(yamlText, baseDir));
  } catch (error) {
    if (!(error instanceof NeedsFullClientError)) throw error;
    const { clientNodeConnection } = await import('./client-node-connection.js');
    return clientNodeConnection(yamlText, baseDir);
  }
}

/** The operator's connection: `--kubeconfig`, $KUBECONFIG, ~/.kube/config, or the Pod's ServiceAccount. */
export async function loadKubeConnection(explicitPath?: string, env: NodeJS.ProcessEnv = process.env): Promise<KubeConnection> {
  const path = kubeconfigPath(explicitPath, env);
  if (path) return connectionFromKubeconfig(readFileSync(path, 'utf8'), dirname(path));
  return new SettingsConnection(inClusterSettings(env));
}
