// Maps what the Connect SDK rejects with onto the contract's typed errors. The SDK rejects
// with plain `{status, message}` objects, both for server answers and for its own checks
// (no item / several items with a title); network failures arrive as Node errors.
import {
  AuthError,
  ConfigError,
  InvalidDataError,
  NotFoundError,
  ProviderError,
  ThrottledError,
  UnavailableError,
  isProviderError,
} from '../contract/index.js';

export interface ConnectErrorShape {
  status: number;
  message: string;
  retryAfterMs?: number;
}

export function isConnectError(error: unknown): error is ConnectErrorShape {
  return typeof error === 'object' && error !== null && !(error instanceof Error)
    && typeof (error as ConnectErrorShape).status === 'number' && typeof (error as ConnectErrorShape).message === 'string';
}

export function isAmbiguousTitle(error: unknown): boolean {
  return isConnectError(error) && error.status === 400 && /multiple items/i.test(error.message);
}

export interface MapContext {
  action: string;
  redact: readonly string[];
}

export function toProviderError(error: unknown, ctx: MapContext): ProviderError {
  if (isProviderError(error)) return error;
  const opts = { cause: error, redact: ctx.redact };
  if (isConnectError(error)) {
    const { status, message } = error;
    const text = `1Password Connect: ${ctx.action}: ${message}`;
    const withCode = { ...opts, code: String(status) };
    if (status === 401) return new AuthError(text, { ...withCode, reason: 'InvalidToken' });
    if (status === 403) return new AuthError(text, { ...withCode, reason: 'NotInScope' });
    if (status === 404) return new NotFoundError(text, { ...withCode, reason: 'NotFound' });
    if (status === 429) return new ThrottledError(text, { ...withCode, retryAfterMs: error.retryAfterMs });
    if (isAmbiguousTitle(error)) return new InvalidDataError(text, { ...withCode, reason: 'AmbiguousTitle' });
    if (status === 400) return new ConfigError(text, { ...withCode, reason: 'BadRequest' });
    return new UnavailableError(text, withCode);
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new UnavailableError(`1Password Connect: ${ctx.action} was aborted`, { ...opts, reason: 'Aborted' });
  }
  if (error instanceof Error) {
    const code = (error as Error & { code?: string }).code ?? '';
    const tls = /certificate|self[- ]signed|CERT_/i.test(`${code} ${error.message}`);
    return new UnavailableError(`1Password Connect: ${ctx.action}: ${tls ? 'TLS failure: ' : 'cannot reach the Connect server: '}${error.message}`, {
      ...opts,
      reason: tls ? 'TLS' : 'Unreachable',
      code: code || undefined,
    });
  }
  return new UnavailableError(`1Password Connect: ${ctx.action} failed: ${String(error)}`, opts);
}
