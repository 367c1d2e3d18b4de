// How AWS SDK failures become the contract's typed errors, for the cases the wire tests
// cannot provoke (credential chain failures, unreadable responses, transport errors).
import assert from 'node:assert/strict';
import { mapAwsError, mapBatchEntryError } from '../../../providers/aws/errors.js';
import { NotFoundError, type ProviderError } from '../../../providers/contract/index.js';

const options = { subject: '"db"', nowMs: 1_000_000, redact: ['SECRETKEYVALUE0123'] };
const sdkError = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${name} happened`), { name, ...extra });
const kindOf = (e: ProviderError) => `${e.kind}/${e.reason}`;

describe('aws error mapping', () => {
  it('maps service error codes by name', () => {
    assert.equal(kindOf(mapAwsError(sdkError('ResourceNotFoundException'), options)), 'NotFound/SecretNotFound');
    assert.equal(kindOf(mapAwsError(sdkError('InvalidRequestException', { message: 'marked for deletion' }), options)), 'NotFound/SecretMarkedForDeletion');
    assert.equal(kindOf(mapAwsError(sdkError('InvalidRequestException', { message: 'secret is not in a valid state' }), options)), 'Config/InvalidRequest');
    assert.equal(kindOf(mapAwsError(sdkError('InvalidParameterException'), options)), 'Config/InvalidParameter');
    assert.equal(kindOf(mapAwsError(sdkError('DecryptionFailure'), options)), 'Auth/DecryptionFailure');
    assert.equal(kindOf(mapAwsError(sdkError('ExpiredTokenException'), options)), 'Auth/ExpiredToken');
    assert.equal(kindOf(mapAwsError(sdkError('CredentialsProviderError'), options)), 'Auth/CredentialsProviderError');
    assert.equal(kindOf(mapAwsError(sdkError('InternalServiceError', { $fault: 'server', $metadata: { httpStatusCode: 500 } }), options)), 'Unavailable/Unavailable');
  });

  it('maps SSM Parameter Store codes: missing parameter or version, KMS key, refused filters and tokens', () => {
    assert.equal(kindOf(mapAwsError(sdkError('ParameterNotFound'), options)), 'NotFound/ParameterNotFound');
    assert.equal(kindOf(mapAwsError(sdkError('ParameterVersionNotFound'), options)), 'NotFound/ParameterVersionNotFound');
    assert.match(mapAwsError(sdkError('ParameterNotFound'), options).message, /^AWS SSM parameter "db"/);
    assert.equal(kindOf(mapAwsError(sdkError('InvalidKeyId'), options)), 'Auth/DecryptionFailure');
    for (const code of ['InvalidFilterKey', 'InvalidFilterOption', 'InvalidFilterValue', 'InvalidNextToken']) {
      assert.equal(kindOf(mapAwsError(sdkError(code), options)), 'Config/InvalidRequest', code);
    }
    assert.equal(kindOf(mapAwsError(sdkError('InternalServerError', { $fault: 'server', $metadata: { httpStatusCode: 500 } }), options)), 'Unavailable/Unavailable');
  });

  it('maps throttling by code, by 429 and by the SDK\'s throttling flag, with Retry-After', () => {
    const by429 = mapAwsError(sdkError('SomethingNew', { $metadata: { httpStatusCode: 429 }, $response: { headers: { 'retry-after': '3' } } }), options);
    assert.equal(by429.kind, 'Throttled');
    assert.equal((by429 as ProviderError & { retryAfterMs?: number }).retryAfterMs, 3000);
    assert.equal(mapAwsError(sdkError('ThrottlingException'), options).kind, 'Throttled');
    assert.equal(mapAwsError(sdkError('Odd', { $retryable: { throttling: true } }), options).kind, 'Throttled');
  });

  it('maps transport and TLS failures, and unreadable responses', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    assert.equal(kindOf(mapAwsError(refused, options)), 'Unavailable/Unavailable');
    assert.equal(mapAwsError(refused, options).code, 'ECONNREFUSED');
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    assert.equal(kindOf(mapAwsError(tls, options)), 'Config/TLSVerificationFailed');
    assert.equal(kindOf(mapAwsError(sdkError('AbortError'), options)), 'Unavailable/Aborted');
    assert.equal(kindOf(mapAwsError(sdkError('SyntaxError'), options)), 'InvalidData/BadResponse');
    assert.equal(mapAwsError('a string', options).kind, 'Unavailable');
  });

  it('keeps errors that are already typed, maps batch entries, and redacts credentials from messages', () => {
    const typed = new NotFoundError('x');
    assert.equal(mapAwsError(typed, options), typed);
    assert.equal(kindOf(mapBatchEntryError({ SecretId: 'a', ErrorCode: 'AccessDeniedException', Message: 'no' }, options)), 'Auth/AccessDenied');
    const leaky = mapAwsError(sdkError('AccessDeniedException', { message: 'key SECRETKEYVALUE0123 and AKIAABCDEFGHIJKLMNOP refused' }), options);
    assert.ok(!leaky.message.includes('SECRETKEYVALUE0123') && !leaky.message.includes('AKIAABCDEFGHIJKLMNOP'), leaky.message);
  });
});
