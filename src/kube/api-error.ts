// Reads the HTTP status out of whatever @kubernetes/client-node threw (ApiException has
// `code`; the watch helper sets `statusCode`).
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

export const isNotFoundStatus = (e: unknown): boolean => httpStatusOf(e) === 404;
export const isConflictStatus = (e: unknown): boolean => httpStatusOf(e) === 409;

/** A short description of a Kubernetes API failure that carries no request or response body. */
export function describeKubeError(error: unknown): string {
  const status = httpStatusOf(error);
  const body = (error as { body?: unknown })?.body;
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message;
    } catch {
      message = undefined;
    }
  } else if (body && typeof body === 'object') {
    message = (body as { message?: string }).message;
  }
  const text = message ?? (error instanceof Error ? error.message.split('\n')[0] : String(error));
  return status === undefined ? text : `HTTP ${status}: ${text}`.slice(0, 300);
}
