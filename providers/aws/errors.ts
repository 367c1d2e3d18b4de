// Maps AWS SDK failures (Secrets Manager, SSM Parameter Store and STS service exceptions,
// credential provider errors, network errors) onto the contract's typed errors. Branches on the error's
// name/code, never on message text, except where AWS gives no distinct code.
import {
  AuthError,
  ConfigError,
  InvalidDataError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  isProviderError,
  parseRetryAfter,
  type ProviderError,
} from '../contract/index.js';

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  $retryable?: { throttling?: boolean };
}

const throttlingCodes = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException', 'SlowDown']);
const authCodes = new Set([
  'AccessDeniedException', 'AccessDenied', 'UnrecognizedClientException', 'InvalidSignatureException', 'SignatureDoesNotMatch',
  'IncompleteSignature', 'InvalidClientTokenId', 'ExpiredTokenException', 'ExpiredToken', 'MissingAuthenticationToken',
  'InvalidIdentityTokenException', 'InvalidIdentityToken', 'IDPRejectedClaimException', 'IDPRejectedClaim',
  'IDPCommunicationErrorException', 'CredentialsProviderError', 'NotAuthorized',
]);
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'TimeoutError', 'RequestTimeout']);
const tlsCodes = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']);

export interface MapOptions {
  /** What was being read, for the message (a secret name, never a value). */
  subject: string;
  nowMs: number;
  redact: readonly string[];
}

// SSM's own codes: a missing parameter or version/label (InvalidResourceId: ListTagsForResource's
// answer for a parameter that does not exist), and a filter or token it refuses.
const ssmNotFoundCodes = new Set(['ParameterNotFound', 'ParameterVersionNotFound', 'InvalidResourceId']);
const ssmRequestCodes = new Set(['InvalidFilterKey', 'InvalidFilterOption', 'InvalidFilterValue', 'InvalidNextToken']);

/** Turns anything an SDK call rejected with into a ProviderError. */
export function mapAwsError(error: unknown, options: MapOptions): ProviderError {
  if (isProviderError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as SdkErrorShape;
  const code = e.name && e.name !== 'Error' ? e.name : (e.code ?? 'Unknown');
  const status = e.$metadata?.httpStatusCode;
  // The AWS error code is what the metric `status` label carries: bounded and meaningful.
  const base = { code, cause: error, redact: options.redact };
  const detail = `${options.subject}: ${code}: ${e.message ?? ''}`.trim();

  if (code === 'ResourceNotFoundException') {
    return new NotFoundError(`AWS Secrets Manager secret ${detail}`, { ...base, reason: 'SecretNotFound' });
  }
  if (ssmNotFoundCodes.has(code)) {
    return new NotFoundError(`AWS SSM parameter ${detail}`, { ...base, reason: code });
  }
  if (throttlingCodes.has(code) || status === 429 || e.$retryable?.throttling) {
    const header = e.$response?.headers?.['retry-after'] ?? e.$response?.headers?.['Retry-After'];
    return new ThrottledError(`AWS throttled the request for ${detail}`, { ...base, reason: 'Throttled', retryAfterMs: parseRetryAfter(header, options.nowMs) });
  }
  if (authCodes.has(code)) {
    return new AuthError(`AWS refused the credentials for ${detail}`, { ...base, reason: code.replace(/Exception$/, '') });
  }
  if (code === 'DecryptionFailure') {
    // KMS could not decrypt the secret with the key it names: almost always a missing kms:Decrypt grant.
    return new AuthError(`AWS could not decrypt ${detail} (check kms:Decrypt on the secret's KMS key)`, { ...base, reason: 'DecryptionFailure' });
  }
  if (code === 'InvalidRequestException') {
    // Secrets Manager uses InvalidRequest for a secret scheduled for deletion; nothing else distinguishes it.
    if (/deletion|deleted/i.test(e.message ?? '')) {
      return new NotFoundError(`AWS Secrets Manager secret ${detail}`, { ...base, reason: 'SecretMarkedForDeletion' });
    }
    return new ConfigError(`AWS refused the request for ${detail}`, { ...base, reason: 'InvalidRequest' });
  }
  if (code === 'InvalidKeyId') {
    // A SecureString whose KMS key is disabled, deleted or not usable by this principal.
    return new AuthError(`AWS could not decrypt ${detail} (check kms:Decrypt on the parameter's KMS key)`, { ...base, reason: 'DecryptionFailure' });
  }
  if (ssmRequestCodes.has(code)) {
    return new ConfigError(`AWS refused the request for ${detail}`, { ...base, reason: 'InvalidRequest' });
  }
  if (code === 'InvalidParameterException' || code === 'ValidationException') {
    return new ConfigError(`AWS refused a parameter for ${detail}`, { ...base, reason: 'InvalidParameter' });
  }
  if (tlsCodes.has(code)) {
    return new ConfigError(`TLS verification of the AWS endpoint failed for ${detail} (check caBundle)`, { ...base, reason: 'TLSVerificationFailed' });
  }
  if (code === 'AbortError') {
    return new UnavailableError(`request for ${detail} was aborted`, { ...base, reason: 'Aborted' });
  }
  if (networkCodes.has(code) || e.$fault === 'server' || (status !== undefined && status >= 500)) {
    return new UnavailableError(`AWS endpoint unavailable for ${detail}`, { ...base, reason: 'Unavailable' });
  }
  if (status === 403 || status === 401) {
    return new AuthError(`AWS refused the credentials for ${detail}`, { ...base, reason: 'AccessDenied' });
  }
  if (code === 'SyntaxError' || code === 'DeserializationError') {
    return new InvalidDataError(`AWS returned an unreadable response for ${detail}`, { ...base, reason: 'BadResponse' });
  }
  return new UnavailableError(`AWS call failed for ${detail}`, { ...base, reason: 'Unknown' });
}

/** Maps one entry of BatchGetSecretValue's `Errors` list. */
export function mapBatchEntryError(entry: { SecretId?: string; ErrorCode?: string; Message?: string }, options: MapOptions): ProviderError {
  return mapAwsError({ name: entry.ErrorCode ?? 'Unknown', message: entry.Message }, { ...options, subject: entry.SecretId ?? options.subject });
}
