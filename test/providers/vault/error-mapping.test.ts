// How node-vault failures become the contract's typed errors, including the shapes the
// wire tests reach only indirectly.
import assert from 'node:assert/strict';
import { isBadTokenError, mapVaultError } from '../../../providers/vault/errors.js';
import { retryAfterHeader } from '../../../providers/vault/transport.js';
import type { ProviderError } from '../../../providers/contract/index.js';

const options = { subject: 'secret "db"', redact: ['hvs.PlantedTokenValue0123456789'], nowMs: 0 };
const apiError = (statusCode: number, body: unknown) => Object.assign(new Error('vault'), { response: { statusCode, body } });
const kindOf = (e: ProviderError) => `${e.kind}/${e.reason}`;

describe('vault error mapping', () => {
  it('maps HTTP statuses with Vault error bodies', () => {
    assert.equal(kindOf(mapVaultError(apiError(404, { errors: [] }), options)), 'NotFound/SecretNotFound');
    assert.equal(kindOf(mapVaultError(apiError(404, { data: { data: null, metadata: { deletion_time: '2026-01-01T00:00:00Z', destroyed: false } } }), options)), 'NotFound/VersionDeleted');
    assert.equal(kindOf(mapVaultError(apiError(404, { data: { data: null, metadata: { deletion_time: '', destroyed: true } } }), options)), 'NotFound/VersionDestroyed');
    assert.equal(kindOf(mapVaultError(apiError(403, { errors: ['1 error occurred:\n\t* permission denied\n\n'] }), options)), 'Auth/PermissionDenied');
    assert.equal(kindOf(mapVaultError(apiError(400, { errors: ['invalid role or secret ID'] }), { ...options, login: true })), 'Auth/LoginFailed');
    assert.equal(kindOf(mapVaultError(apiError(400, { errors: ['bad input'] }), options)), 'Config/BadRequest');
    assert.equal(kindOf(mapVaultError(apiError(503, { errors: ['Vault is sealed'] }), options)), 'Unavailable/Sealed');
    assert.equal(kindOf(mapVaultError(apiError(502, { errors: ['bad gateway'] }), options)), 'Unavailable/Unavailable');
  });

  it('reads Retry-After that the transport left on a 429 body', () => {
    const body = { errors: ['request path "secret/data/db": rate limit quota exceeded'] };
    Object.defineProperty(body, retryAfterHeader, { value: '2', enumerable: false });
    const e = mapVaultError(apiError(429, body), options) as ProviderError & { retryAfterMs?: number };
    assert.equal(kindOf(e), 'Throttled/RateLimited');
    assert.equal(e.retryAfterMs, 2000);
  });

  it('tells a bad token from other 403s and statuses', () => {
    assert.ok(isBadTokenError(apiError(403, { errors: ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'] })));
    assert.ok(!isBadTokenError(apiError(404, { errors: [] })));
    assert.ok(!isBadTokenError(new Error('network')));
  });

  it('maps transport, TLS and argument errors, and redacts credentials', () => {
    assert.equal(kindOf(mapVaultError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), options)), 'Unavailable/Unreachable');
    assert.equal(kindOf(mapVaultError(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }), options)), 'Unavailable/Aborted');
    assert.equal(kindOf(mapVaultError(Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), options)), 'Config/TLSVerificationFailed');
    assert.equal(kindOf(mapVaultError(new Error('Missing required property: role'), options)), 'Config/InvalidRequest');
    const leaky = mapVaultError(apiError(403, { errors: ['token hvs.PlantedTokenValue0123456789 denied'] }), options);
    assert.ok(!leaky.message.includes('PlantedTokenValue'), leaky.message);
  });
});
