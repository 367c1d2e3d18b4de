// Kubernetes API errors and the `Status` objects that carry them (metav1.Status).
// Messages follow k8s.io/apimachinery/pkg/api/errors word for word, because clients
// (kubectl, client-go, client-node users) match on them.
import type { FieldError } from './resource-type.js';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Identifies the resource an error is about, as Kubernetes prints it (`secrets`, `externalsecrets.keyferry.io`). */
export interface ResourceRef {
  group: string;
  plural: string;
}

export function qualifiedResource(r: ResourceRef): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** An error that the server answers with a `Status` object. Never thrown for programming errors. */
export class ApiError extends Error {
  readonly isApiError = true;
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    // A plain storage error reaches the client with no reason at all.
    if (!this.reason) delete s.reason;
    if (this.details) s.details = this.details;
    return s;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return typeof e === 'object' && e !== null && (e as { isApiError?: unknown }).isApiError === true;
}

/** A Status for a success: no code, as the API server sends it after a deletion. */
export function successStatus(details?: StatusDetails): Omit<Status, 'code'> {
  const s: Omit<Status, 'code'> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  if (details) s.details = details;
  return s;
}

export const notFound = (r: ResourceRef, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualifiedResource(r)} "${name}" not found`, detailsOf(r, name));

export const alreadyExists = (r: ResourceRef, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualifiedResource(r)} "${name}" already exists`, detailsOf(r, name));

export const conflict = (r: ResourceRef, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${why}`, detailsOf(r, name));

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const forbidden = (r: ResourceRef, name: string, why: string): ApiError =>
  new ApiError(403, 'Forbidden', `${qualifiedResource(r)} "${name}" is forbidden: ${why}`, detailsOf(r, name));

export const resourceNotFound = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

export const methodNotAllowed = (): ApiError =>
  new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

export const unsupportedMediaType = (accepted: string[]): ApiError =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);

export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const tooManyRequests = (retryAfterSeconds: number): ApiError =>
  new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });

export const internalError = (message: string): ApiError =>
  new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: 'UnexpectedServerResponse', message }] });

/** 422 Invalid: `Secret "x" is invalid: data: Forbidden: ...` (one error) or `[a: ..., b: ...]` (several). */
export function invalid(group: string, kind: string, name: string, errors: FieldError[]): ApiError {
  const texts = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${summary}`, {
    name, group: group || undefined, kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
  });
}

/** Field error helpers, with the message prefixes of k8s.io/apimachinery/pkg/util/validation/field. */
export const fieldForbidden = (field: string, detail: string): FieldError => ({ field, type: 'FieldValueForbidden', message: `Forbidden: ${detail}` });
export const fieldRequired = (field: string, detail = ''): FieldError => ({ field, type: 'FieldValueRequired', message: `Required value${detail ? `: ${detail}` : ''}` });
export const fieldInvalid = (field: string, value: unknown, detail: string): FieldError =>
  ({ field, type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}` });
export const fieldNotSupported = (field: string, value: unknown, supported: string[]): FieldError => ({
  field, type: 'FieldValueNotSupported',
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});
export const fieldTooLong = (field: string, maxBytes: number): FieldError =>
  ({ field, type: 'FieldValueTooLong', message: `Too long: may not be more than ${maxBytes} bytes` });

function detailsOf(r: ResourceRef, name: string): StatusDetails {
  const d: StatusDetails = { name, kind: r.plural };
  if (r.group) d.group = r.group;
  return d;
}

/**
 * kube-apiserver's storage refuses a create that carries a resourceVersion (a number other
 * than 0; other strings pass) with a plain error, which reaches the client as a 500 with no reason.
 */
export function resourceVersionOnCreate(): ApiError {
  return new ApiError(500, '', 'resourceVersion should not be set on objects to be created');
}
