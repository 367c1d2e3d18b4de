// Which ServiceAccount tokens a store may have keyferry mint (workload-identity auth: Vault
// kubernetes, AWS web identity, Azure workload identity, GCP workload identity federation).
// A store names a ServiceAccount and audiences; keyferry mints the token and hands it to the
// store's endpoint, which whoever wrote the store chose. So a token is minted only when:
// - it names audiences, none of which the API server accepts (its issuer, `--api-audiences`),
//   because a token for the API server lets whoever receives it act as that ServiceAccount
//   in the cluster. An empty list would mean exactly those audiences;
// - the API server, asked with a TokenReview, does not accept the minted token either (an
//   audience it accepts that nobody listed). A token that cannot be checked is not used;
// - the ServiceAccount matches `--store-service-account-selector`, when one is set;
// and it lives at most 10 minutes (the least a TokenRequest grants). The caller records each
// mint as an Event on the store.
import { ConfigError, type MintedToken } from '../../providers/contract/index.js';
import { matchesLabelSelector } from './label-selector.js';
import type { LabelSelector } from './types.js';

/** The shortest lifetime the TokenRequest API grants, and the longest keyferry asks for. */
export const MAX_TOKEN_EXPIRATION_SECONDS = 600;

export interface TokenMintPolicyOptions {
  /** Audiences the API server accepts: its issuer(s) from discovery plus `--api-audiences`. */
  apiAudiences: readonly string[];
  /** A TokenReview without audiences: whether the API server accepts the token. Rejects when it cannot be asked. */
  review(token: string): Promise<boolean>;
  /** Only ServiceAccounts with these labels may be used (`--store-service-account-selector`). */
  serviceAccountSelector?: LabelSelector;
  /** A ServiceAccount's labels; undefined when it does not exist. Needed only with a selector. */
  serviceAccountLabels?(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export interface MintRequest {
  namespace: string;
  name: string;
  audiences?: readonly string[];
  expirationSeconds?: number;
}

export type Mint = (namespace: string, name: string, options: { audiences: string[]; expirationSeconds: number }) => Promise<MintedToken>;

export class TokenMintPolicy {
  constructor(private readonly options: TokenMintPolicyOptions) {}

  /** Mints through `mint` if the policy allows it; otherwise throws a ConfigError saying why. */
  async mint(request: MintRequest, mint: Mint): Promise<MintedToken & { audiences: string[]; expirationSeconds: number }> {
    const who = `ServiceAccount "${request.namespace}/${request.name}"`;
    const audiences = [...(request.audiences ?? [])];
    if (audiences.length === 0) {
      throw new ConfigError(`a token for ${who} needs an audience: without one it would be a token for the Kubernetes API server`, { reason: 'TokenAudienceRequired' });
    }
    const apiAudience = audiences.find((a) => this.options.apiAudiences.includes(a));
    if (apiAudience !== undefined) {
      throw new ConfigError(`audience "${apiAudience}" is one the Kubernetes API server accepts; keyferry does not mint such tokens for a store`, { reason: 'TokenAudienceRefused' });
    }
    const selector = this.options.serviceAccountSelector;
    if (selector) {
      const labels = await this.options.serviceAccountLabels?.(request.namespace, request.name);
      if (!labels || !matchesLabelSelector(selector, labels)) {
        throw new ConfigError(`${who} may not be used by stores: the operator allows only ServiceAccounts labelled ${describeSelector(selector)}`, { reason: 'ServiceAccountNotAllowed' });
      }
    }
    const expirationSeconds = Math.min(request.expirationSeconds ?? MAX_TOKEN_EXPIRATION_SECONDS, MAX_TOKEN_EXPIRATION_SECONDS);
    const minted = await mint(request.namespace, request.name, { audiences, expirationSeconds });
    let accepted: boolean;
    try {
      accepted = await this.options.review(minted.token);
    } catch (error) {
      throw new ConfigError(`could not check with a TokenReview that the API server refuses a token for audiences ${JSON.stringify(audiences)}, so it is not used: ${error instanceof Error ? error.message : String(error)}`, {
        reason: 'TokenReviewFailed',
        redact: [minted.token],
      });
    }
    if (accepted) {
      throw new ConfigError(`the Kubernetes API server accepts a token for audiences ${JSON.stringify(audiences)}; keyferry does not use such tokens for a store`, { reason: 'TokenAudienceRefused' });
    }
    return { ...minted, audiences, expirationSeconds };
  }
}

function describeSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(',');
}
