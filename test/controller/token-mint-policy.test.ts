import assert from 'node:assert/strict';
import { isConfigError } from '../../providers/contract/index.js';
import { TokenMintPolicy, type Mint } from '../../src/controller/token-mint-policy.js';
import { parseLabelSelector } from '../../src/controller/label-selector.js';

const API = 'https://kubernetes.default.svc.cluster.local';

function recorder() {
  const minted: Array<{ namespace: string; name: string; audiences: string[]; expirationSeconds: number }> = [];
  const mint: Mint = async (namespace, name, options) => {
    minted.push({ namespace, name, ...options });
    return { token: `jwt:${options.audiences.join(',')}`, expiresAt: new Date(0) };
  };
  return { minted, mint };
}

const refusal = async (p: Promise<unknown>, reason: string, message: RegExp) => {
  const error = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(isConfigError(error), String(error));
  assert.equal(error.reason, reason);
  assert.match(error.message, message);
};

describe('TokenMintPolicy', () => {
  // The API server accepts tokens for its issuer, and for one more audience nobody told us about.
  const policy = (extra: Partial<ConstructorParameters<typeof TokenMintPolicy>[0]> = {}) => new TokenMintPolicy({
    apiAudiences: [API],
    review: async (token) => token.includes(API) || token.includes('secret-api-audience'),
    ...extra,
  });

  it('refuses, before minting, an empty audience list and an audience of the API server', async () => {
    const { minted, mint } = recorder();
    await refusal(policy().mint({ namespace: 'a', name: 'sa' }, mint), 'TokenAudienceRequired', /needs an audience/);
    await refusal(policy().mint({ namespace: 'a', name: 'sa', audiences: ['vault', API] }, mint), 'TokenAudienceRefused', /audience "https:\/\/kubernetes\.default\.svc\.cluster\.local" is one the Kubernetes API server accepts/);
    assert.equal(minted.length, 0);
  });

  it('throws away a token the API server accepts though nobody listed its audience (TokenReview), and one it cannot check', async () => {
    const { mint } = recorder();
    await refusal(policy().mint({ namespace: 'a', name: 'sa', audiences: ['secret-api-audience'] }, mint), 'TokenAudienceRefused', /the Kubernetes API server accepts a token for audiences \["secret-api-audience"\]/);
    const unreviewable = policy({ review: async () => { throw new Error('tokenreviews.authentication.k8s.io is forbidden'); } });
    const error = await unreviewable.mint({ namespace: 'a', name: 'sa', audiences: ['vault'] }, mint).then(() => undefined, (e: unknown) => e as Error);
    assert.match(error!.message, /could not check with a TokenReview .* forbidden/);
    assert.doesNotMatch(error!.message, /jwt:/, 'the token is not in the message');
  });

  it('mints others for at most 600 s, and only for ServiceAccounts the selector admits', async () => {
    const { minted, mint } = recorder();
    const labels: Record<string, Record<string, string>> = { 'a/allowed': { 'keyferry.io/store-identity': 'true' }, 'a/other': {} };
    const selective = policy({ serviceAccountSelector: parseLabelSelector('keyferry.io/store-identity=true'), serviceAccountLabels: async (ns, name) => labels[`${ns}/${name}`] });
    const out = await selective.mint({ namespace: 'a', name: 'allowed', audiences: ['vault'], expirationSeconds: 3600 }, mint);
    assert.equal(out.expirationSeconds, 600);
    await refusal(selective.mint({ namespace: 'a', name: 'other', audiences: ['vault'] }, mint), 'ServiceAccountNotAllowed', /ServiceAccount "a\/other" may not be used by stores: the operator allows only ServiceAccounts labelled keyferry\.io\/store-identity=true/);
    await refusal(selective.mint({ namespace: 'a', name: 'missing', audiences: ['vault'] }, mint), 'ServiceAccountNotAllowed', /may not be used/);
    assert.deepEqual(minted, [{ namespace: 'a', name: 'allowed', audiences: ['vault'], expirationSeconds: 600 }]);
  });
});

describe('parseLabelSelector', () => {
  it('reads kubectl\'s selector syntax and refuses anything else', () => {
    assert.deepEqual(parseLabelSelector('a=1,b==2, c!=3,d,!e,f in (x, y),g notin (z)'), {
      matchLabels: { a: '1', b: '2' },
      matchExpressions: [
        { key: 'c', operator: 'NotIn', values: ['3'] },
        { key: 'd', operator: 'Exists' },
        { key: 'e', operator: 'DoesNotExist' },
        { key: 'f', operator: 'In', values: ['x', 'y'] },
        { key: 'g', operator: 'NotIn', values: ['z'] },
      ],
    });
    assert.throws(() => parseLabelSelector('a=1,=2'), /"=2" is not a label selector term/);
  });
});
