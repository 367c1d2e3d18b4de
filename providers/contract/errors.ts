// Typed, marked provider errors. The fetch path, controller and metrics branch on `kind`,
// never on message text. Messages are scrubbed at construction, so whatever a provider
// passes in (an SDK message, a response body) cannot carry a token or a value onward.
import { scrubErrorText } from './scrub.js';

export type ProviderErrorKind = 'NotFound' | 'Throttled' | 'Auth' | 'Config' | 'Unavailable' | 'InvalidData';

// A registry-wide symbol, so a copy of this module loaded twice still recognises its errors.
const marker = Symbol.for('keyferry.providerError');

export interface ProviderErrorOptions {
  /** Short machine reason, e.g. `SecretDisabled`, `DecryptionFailure`, `VersionDestroyed`. */
  reason?: string;
  /** The provider's own error code or HTTP status, for the metric `status` label. */
  code?: string;
  /** The original error; kept for debugging, never rendered into messages. */
  cause?: unknown;
  /** Extra strings (e.g. credentials just read) that must not appear in the message. */
  redact?: readonly string[];
}

export abstract class ProviderError extends Error {
  abstract readonly kind: ProviderErrorKind;
  readonly reason: string;
  readonly code?: string;
  readonly [marker] = true;

  constructor(message: string, options: ProviderErrorOptions = {}) {
    super(scrubErrorText(message, options.redact), options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options.reason ?? this.constructor.name.replace(/Error$/, '');
    this.code = options.code;
  }

  /** Whether retrying the same call later can succeed. */
  get retryable(): boolean {
    return this.kind === 'Throttled' || this.kind === 'Unavailable';
  }
}

export class NotFoundError extends ProviderError {
  readonly kind = 'NotFound' as const;
  override readonly name = 'NotFoundError';
}

export class ThrottledError extends ProviderError {
  readonly kind = 'Throttled' as const;
  override readonly name = 'ThrottledError';
  /** How long the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(message: string, options: ProviderErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

export class AuthError extends ProviderError {
  readonly kind = 'Auth' as const;
  override readonly name = 'AuthError';
}

/** The store's configuration is wrong; retrying without a spec change will not help. */
export class ConfigError extends ProviderError {
  readonly kind = 'Config' as const;
  override readonly name = 'ConfigError';
}

export class UnavailableError extends ProviderError {
  readonly kind = 'Unavailable' as const;
  override readonly name = 'UnavailableError';
  /** When asking again makes sense (a 503's Retry-After, or when an open circuit will let a probe through). */
  readonly retryAfterMs?: number;

  constructor(message: string, options: ProviderErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The remote value exists but cannot be used: corrupted payload, missing property, not JSON. */
export class InvalidDataError extends ProviderError {
  readonly kind = 'InvalidData' as const;
  override readonly name = 'InvalidDataError';
}

export function isProviderError(error: unknown): error is ProviderError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
}

export const isNotFound = (e: unknown): e is NotFoundError => isProviderError(e) && e.kind === 'NotFound';
export const isThrottled = (e: unknown): e is ThrottledError => isProviderError(e) && e.kind === 'Throttled';
export const isAuthError = (e: unknown): e is AuthError => isProviderError(e) && e.kind === 'Auth';
export const isConfigError = (e: unknown): e is ConfigError => isProviderError(e) && e.kind === 'Config';
export const isUnavailable = (e: unknown): e is UnavailableError => isProviderError(e) && e.kind === 'Unavailable';
export const isInvalidData = (e: unknown): e is InvalidDataError => isProviderError(e) && e.kind === 'InvalidData';

/** Parses an HTTP `Retry-After` (seconds or HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
