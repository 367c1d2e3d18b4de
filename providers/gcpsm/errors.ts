// Maps what the Secret Manager client rejects with onto the contract's typed errors:
// gRPC status codes (NOT_FOUND → NotFound, RESOURCE_EXHAUSTED → Throttled,
// PERMISSION_DENIED/UNAUTHENTICATED → Auth, UNAVAILABLE/DEADLINE_EXCEEDED/INTERNAL/
// CANCELLED → Unavailable, INVALID_ARGUMENT → Config, FAILED_PRECONDITION → NotFound with
// the version state as reason), and failures of the credential exchange.
import {
  AuthError,
  ConfigError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  isProviderError,
  type ProviderError,
} from '../contract/index.js';

// google.rpc.Code values (grpc status codes).
const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const codeNames: Record<number, string> = Object.fromEntries(Object.entries(Code).map(([name, value]) => [value, name]));

interface GrpcLikeError {
  code?: unknown;
  details?: unknown;
  message?: unknown;
  metadata?: { get?(key: string): unknown[] };
}

/**
 * The delay of a google.rpc.RetryInfo detail (decoded by the SDK into `statusDetails`), or
 * of a `retry-after` trailer a proxy may add.
 */
function retryAfterMs(error: GrpcLikeError & { statusDetails?: unknown }): number | undefined {
  if (Array.isArray(error.statusDetails)) {
    for (const detail of error.statusDetails) {
      const delay = (detail as { retryDelay?: { seconds?: unknown; nanos?: unknown } } | null)?.retryDelay;
      if (delay) return Number(String(delay.seconds ?? 0)) * 1000 + Math.round(Number(delay.nanos ?? 0) / 1e6);
    }
  }
  const values = error.metadata?.get?.('retry-after');
  const first = Array.isArray(values) ? values[0] : undefined;
  if (typeof first === 'string' && /^\d+(\.\d+)?$/.test(first)) return Math.round(Number(first) * 1000);
  return undefined;
}

export function toProviderError(error: unknown, context: { action: string; redact: readonly string[] }): ProviderError {
  if (isProviderError(error)) return error;
  const e = (error ?? {}) as GrpcLikeError;
  const detail = typeof e.details === 'string' && e.details !== '' ? e.details : typeof e.message === 'string' ? e.message : String(error);
  // Google OAuth access tokens (ya29.…) are not in the contract's generic patterns.
  const message = `${context.action}: ${detail.replace(/\bya29\.[A-Za-z0-9._-]+/g, '[redacted-token]')}`;
  const code = typeof e.code === 'number' ? e.code : undefined;
  const options = { code: code === undefined ? undefined : (codeNames[code] ?? String(code)), cause: error, redact: context.redact };
  // A failing credential exchange inside the channel surfaces as a plugin metadata error.
  if (/Getting metadata from plugin failed/i.test(detail)) return new AuthError(message, { ...options, reason: 'CredentialsFailed' });
  switch (code) {
    case Code.NOT_FOUND:
      return new NotFoundError(message, { ...options, reason: 'NotFound' });
    case Code.RESOURCE_EXHAUSTED:
      return new ThrottledError(message, { ...options, reason: 'ResourceExhausted', retryAfterMs: retryAfterMs(e) });
    case Code.PERMISSION_DENIED:
      return new AuthError(message, { ...options, reason: 'PermissionDenied' });
    case Code.UNAUTHENTICATED:
      return new AuthError(message, { ...options, reason: 'Unauthenticated' });
    case Code.INVALID_ARGUMENT:
      return new ConfigError(message, { ...options, reason: 'InvalidArgument' });
    case Code.FAILED_PRECONDITION:
      return new NotFoundError(message, { ...options, reason: 'FailedPrecondition' });
    case Code.UNAVAILABLE:
    case Code.DEADLINE_EXCEEDED:
    case Code.INTERNAL:
    case Code.CANCELLED:
    case Code.UNKNOWN:
      return new UnavailableError(message, { ...options, reason: code === Code.DEADLINE_EXCEEDED ? 'DeadlineExceeded' : 'Unavailable' });
    default:
      return new UnavailableError(message, { ...options, reason: 'Unavailable' });
  }
}
