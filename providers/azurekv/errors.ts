// Maps what the Azure SDKs throw (RestError from the vault pipeline; AuthenticationError,
// AuthenticationRequiredError and CredentialUnavailableError from @azure/identity; plain network
// errors) onto the contract's typed errors. Recognised by shape and name, not `instanceof`,
// so two copies of a package in the tree cannot defeat it.
import {
  AuthError,
  ConfigError,
  NotFoundError,
  ProviderError,
  ThrottledError,
  UnavailableError,
  isProviderError,
  parseRetryAfter,
} from '../contract/index.js';
import { serviceAccountTokenFailure } from './credential.js';

interface RestErrorShape {
  name: string;
  message: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
  details?: unknown;
}

interface KeyVaultErrorBody {
  error?: { code?: string; message?: string; innererror?: { code?: string }; innerError?: { code?: string } };
}

function keyVaultError(details: unknown): { code?: string; message?: string; inner?: string } {
  const body = (details ?? {}) as KeyVaultErrorBody;
  const e = body.error ?? {};
  return { code: e.code, message: e.message, inner: (e.innererror ?? e.innerError)?.code };
}

function isNetworkError(error: Error & { code?: string }): boolean {
  return error.code === 'REQUEST_SEND_ERROR'
    || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH'].includes(error.code ?? '')
    || /ECONNREFUSED|ECONNRESET|socket hang up|ETIMEDOUT/.test(error.message);
}

function isTlsError(error: Error & { code?: string }): boolean {
  return /certificate|self[- ]signed|UNABLE_TO_VERIFY|CERT_/i.test(`${error.code ?? ''} ${error.message}`);
}

export interface MapContext {
  /** What was being done, e.g. `reading secret "db"`. */
  action: string;
  /** Credentials read for this store; never rendered. */
  redact: readonly string[];
  nowMs: number;
}

/** Turns anything thrown by the vault client or a credential into a ProviderError. */
export function toProviderError(error: unknown, ctx: MapContext): ProviderError {
  if (isProviderError(error)) return error;
  const opts = { cause: error, redact: ctx.redact };
  if (!(error instanceof Error)) return new UnavailableError(`Azure Key Vault: ${ctx.action} failed: ${String(error)}`, opts);
  const e = error as Error & RestErrorShape & { errorResponse?: { error?: string; errorDescription?: string } };

  if (e.name === 'AbortError') return new UnavailableError(`Azure Key Vault: ${ctx.action} was aborted`, { ...opts, reason: 'Aborted' });

  if (e.name === 'CredentialUnavailableError') {
    // MSAL could not load the authority's metadata: the authority is unreachable or its TLS
    // certificate is not trusted, which is an outage or a CA problem, not a bad credential.
    if (/endpoints_resolution_error/.test(e.message)) {
      return new UnavailableError(`Azure Key Vault: ${ctx.action}: cannot reach the Entra ID authority (or its TLS certificate is not trusted)`, { ...opts, reason: 'AuthorityUnreachable' });
    }
    return new AuthError(`Azure Key Vault: ${ctx.action}: credential unavailable: ${e.message}`, { ...opts, reason: 'CredentialUnavailable' });
  }

  const mintFailure = new RegExp(`${serviceAccountTokenFailure}: ([^\\n]*)`).exec(e.message);
  if (mintFailure) {
    return new AuthError(`Azure Key Vault: ${ctx.action}: the ServiceAccount token for workload identity could not be minted: ${mintFailure[1]}`, { ...opts, reason: 'ServiceAccountTokenFailed' });
  }

  if (e.name === 'AuthenticationRequiredError') {
    // @azure/identity rewraps MSAL's server errors into this with only a message of the form
    // `<oauth error>: Error(s): <codes> - … Description: AADSTS…`, or `<code>: AADSTS…` when
    // MSAL replays a throttling answer it cached until Retry-After passes.
    const oauth = /^([a-z_]+):/.exec(e.message)?.[1];
    const aadsts = /AADSTS\d+/.exec(e.message)?.[0];
    const what = [oauth, aadsts].filter(Boolean).join(' ');
    if (oauth === 'temporarily_unavailable' || aadsts === 'AADSTS50196') {
      return new ThrottledError(`Azure Key Vault: ${ctx.action}: Entra ID throttled the token request${what ? ` (${what})` : ''}`, { ...opts, code: aadsts ?? oauth });
    }
    if (oauth === 'network_error') {
      return new UnavailableError(`Azure Key Vault: ${ctx.action}: cannot reach the Entra ID authority`, { ...opts, reason: 'AuthorityUnreachable' });
    }
    if (oauth === 'server_error' || aadsts === 'AADSTS90033' || aadsts === 'AADSTS90100') {
      return new UnavailableError(`Azure Key Vault: ${ctx.action}: Entra ID failed the token request${what ? ` (${what})` : ''}`, { ...opts, code: aadsts ?? oauth });
    }
    return new AuthError(`Azure Key Vault: ${ctx.action}: Entra ID refused the credential${what ? ` (${what})` : ''}`, {
      ...opts,
      reason: 'TokenRequestFailed',
      code: aadsts ?? oauth,
    });
  }

  if (e.name === 'AuthenticationError' || e.name === 'AggregateAuthenticationError') {
    const status = e.statusCode;
    const oauth = e.errorResponse?.error;
    // The description carries Entra's AADSTS code, which says what is wrong with the credential.
    const aadsts = /AADSTS\d+/.exec(e.errorResponse?.errorDescription ?? e.message)?.[0];
    const what = [oauth, aadsts].filter(Boolean).join(' ');
    if (status === 429) {
      return new ThrottledError(`Azure Key Vault: ${ctx.action}: Entra ID throttled the token request`, { ...opts, code: '429' });
    }
    if (status !== undefined && status >= 500) {
      return new UnavailableError(`Azure Key Vault: ${ctx.action}: Entra ID answered ${status}`, { ...opts, code: String(status) });
    }
    if (status === undefined || status === 0) {
      if (isNetworkError(e) || isTlsError(e)) {
        return new UnavailableError(`Azure Key Vault: ${ctx.action}: cannot reach Entra ID: ${e.message}`, { ...opts, reason: 'AuthorityUnreachable' });
      }
    }
    return new AuthError(`Azure Key Vault: ${ctx.action}: Entra ID refused the credential${what ? ` (${what})` : ''}`, {
      ...opts,
      reason: 'TokenRequestFailed',
      code: status === undefined ? oauth : String(status),
    });
  }

  if (e.name === 'RestError' || typeof e.statusCode === 'number') {
    const status = e.statusCode;
    const kv = keyVaultError(e.details);
    const code = kv.code ?? e.code;
    const detail = kv.message ?? e.message;
    if (status === undefined) {
      if (isTlsError(e)) return new UnavailableError(`Azure Key Vault: ${ctx.action}: TLS failure: ${e.message}`, { ...opts, reason: 'TLS' });
      return new UnavailableError(`Azure Key Vault: ${ctx.action}: cannot reach the vault: ${e.message}`, { ...opts, reason: 'Unreachable' });
    }
    const withCode = { ...opts, code: code ?? String(status) };
    if (status === 404) return new NotFoundError(`Azure Key Vault: ${ctx.action}: ${detail}`, { ...withCode, reason: code ?? 'NotFound' });
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(e.response?.headers?.get('retry-after'), ctx.nowMs);
      return new ThrottledError(`Azure Key Vault: ${ctx.action}: throttled: ${detail}`, { ...withCode, retryAfterMs });
    }
    if (status === 403 && (kv.inner === 'SecretDisabled' || /disabled secret/i.test(detail))) {
      return new NotFoundError(`Azure Key Vault: ${ctx.action}: the secret is disabled (${detail})`, { ...withCode, reason: 'SecretDisabled' });
    }
    if (status === 401 || status === 403) return new AuthError(`Azure Key Vault: ${ctx.action}: ${detail}`, { ...withCode, reason: kv.inner ?? code ?? 'Unauthorized' });
    if (status === 400) return new ConfigError(`Azure Key Vault: ${ctx.action}: ${detail}`, { ...withCode, reason: code ?? 'BadRequest' });
    return new UnavailableError(`Azure Key Vault: ${ctx.action}: the vault answered ${status}: ${detail}`, withCode);
  }

  if (isTlsError(e)) return new UnavailableError(`Azure Key Vault: ${ctx.action}: TLS failure: ${e.message}`, { ...opts, reason: 'TLS' });
  if (isNetworkError(e)) return new UnavailableError(`Azure Key Vault: ${ctx.action}: ${e.message}`, { ...opts, reason: 'Unreachable' });
  return new UnavailableError(`Azure Key Vault: ${ctx.action} failed: ${e.message}`, opts);
}
