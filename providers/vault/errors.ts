// Maps node-vault failures onto the contract's typed errors. node-vault rejects with an
// ApiResponseError (`response.statusCode`, `response.body.errors`) for HTTP errors, with the
// HTTP library's error (a `code` such as ECONNREFUSED) when no response came, and with a
// schema validation error when arguments are wrong.
import {
  AuthError,
  ConfigError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  isProviderError,
  parseRetryAfter,
  type ProviderError,
} from '../contract/index.js';
import { retryAfterHeader } from './transport.js';

interface VaultErrorShape {
  message?: string;
  code?: string;
  response?: { statusCode?: number; body?: { errors?: unknown[]; data?: { metadata?: { deletion_time?: string; destroyed?: boolean } } } };
}

const tlsCodes = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']);

export function vaultStatus(error: unknown): number | undefined {
  return (error as VaultErrorShape | undefined)?.response?.statusCode;
}

/** Vault's own error strings, joined (they never carry the token that was sent). */
export function vaultErrorText(error: unknown): string {
  const e = error as VaultErrorShape | undefined;
  const errors = e?.response?.body?.errors;
  if (Array.isArray(errors) && errors.length > 0) return errors.map(String).join('; ').replace(/\s+/g, ' ').trim();
  return e?.message ?? String(error);
}

/** Whether a 403 says the token itself is bad (expired, revoked), so a new login can help. */
export function isBadTokenError(error: unknown): boolean {
  return vaultStatus(error) === 403 && /permission denied|invalid token|token expired|bad token/i.test(vaultErrorText(error));
}

export interface MapOptions {
  subject: string;
  redact: readonly string[];
  /** Logins answer 400 for bad credentials; elsewhere 400 is a malformed request. */
  login?: boolean;
  /** For turning an HTTP-date Retry-After into a delay. */
  nowMs?: number;
}

export function mapVaultError(error: unknown, options: MapOptions): ProviderError {
  if (isProviderError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as VaultErrorShape;
  const status = e.response?.statusCode;
  const text = vaultErrorText(error);
  const base = { cause: error, redact: options.redact, code: status !== undefined ? String(status) : (e.code ?? 'Unknown') };
  const detail = `${options.subject}: ${text}`;
  if (status !== undefined) {
    if (status === 404) {
      const meta = e.response?.body?.data?.metadata;
      const reason = meta?.destroyed ? 'VersionDestroyed' : meta?.deletion_time ? 'VersionDeleted' : 'SecretNotFound';
      const what = reason === 'SecretNotFound' ? 'not found' : reason === 'VersionDestroyed' ? 'version destroyed' : 'version deleted';
      return new NotFoundError(`Vault ${options.subject}: ${what}`, { ...base, reason });
    }
    if (status === 403 || status === 401) return new AuthError(`Vault refused ${detail}`, { ...base, reason: 'PermissionDenied' });
    if (status === 400 && options.login) return new AuthError(`Vault login refused for ${detail}`, { ...base, reason: 'LoginFailed' });
    if (status === 429) {
      const header = (e.response?.body as Record<symbol, string> | undefined)?.[retryAfterHeader];
      return new ThrottledError(`Vault rate limit for ${detail}`, { ...base, reason: 'RateLimited', retryAfterMs: parseRetryAfter(header, options.nowMs ?? 0) });
    }
    if (status === 503 && /sealed/i.test(text)) return new UnavailableError(`Vault is sealed (${options.subject})`, { ...base, reason: 'Sealed' });
    if (status >= 500 || status === 412) return new UnavailableError(`Vault unavailable for ${detail}`, { ...base, reason: 'Unavailable' });
    if (status === 400 || status === 405) return new ConfigError(`Vault refused the request for ${detail}`, { ...base, reason: 'BadRequest' });
    return new UnavailableError(`Vault answered ${status} for ${detail}`, { ...base, reason: 'Unexpected' });
  }
  if (e.code && tlsCodes.has(e.code)) {
    return new ConfigError(`TLS verification of the Vault server failed for ${options.subject} (check caBundle/caProvider): ${e.code}`, { ...base, reason: 'TLSVerificationFailed' });
  }
  if (e.code === 'ABORT_ERR') return new UnavailableError(`Vault request for ${options.subject} was aborted`, { ...base, reason: 'Aborted' });
  if (e.code) return new UnavailableError(`Vault unreachable for ${options.subject}: ${e.code}`, { ...base, reason: 'Unreachable' });
  // Argument schema validation inside node-vault: a request keyferry built wrongly from the config.
  return new ConfigError(`Vault request for ${options.subject} is invalid: ${e.message ?? 'unknown error'}`, { ...base, reason: 'InvalidRequest' });
}
