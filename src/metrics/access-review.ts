// Who may read /metrics, decided by the API server as controller-runtime's secure metrics
// serving does: a TokenReview says whose bearer token it is, a SubjectAccessReview whether
// that user may `get` the `/metrics` non-resource URL (a ClusterRole with
// `nonResourceURLs: ["/metrics"]`). Decisions are cached by a hash of the token for a short
// while, as the API server's own delegating authenticator and authorizer do, so a scrape
// every 30 s costs two reviews a minute at most; tokens themselves are never kept.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface ReviewedUser {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The two review calls, as @kubernetes/client-node's AuthenticationV1Api and AuthorizationV1Api make them. */
export interface ReviewApis {
  createTokenReview(body: { apiVersion: string; kind: string; spec: { token: string } }): Promise<{ status?: { authenticated?: boolean; user?: ReviewedUser } }>;
  createSubjectAccessReview(body: {
    apiVersion: string; kind: string;
    spec: ReviewedUser & { user?: string; nonResourceAttributes: { path: string; verb: string } };
  }): Promise<{ status?: { allowed?: boolean } }>;
}

export type AccessDecision =
  | { outcome: 'allowed'; user: string }
  | { outcome: 'forbidden'; user: string }
  | { outcome: 'unauthenticated' };

export interface AccessReviewerOptions {
  /** The non-resource URL the SubjectAccessReview asks about. */
  path: string;
  /** The clock decisions age on (milliseconds, monotonic by default). */
  now?: () => number;
  allowTtlMs?: number;
  denyTtlMs?: number;
  unauthenticatedTtlMs?: number;
  maxEntries?: number;
  /** Runs each review call; the composition root gives it a budget of its own, apart from reconciling. */
  schedule?: <T>(call: () => Promise<T>) => Promise<T>;
}

export class MetricsAccessReviewer {
  private readonly decisions: LRUCache<string, AccessDecision>;
  private readonly inFlight = new Map<string, Promise<AccessDecision>>();
  private readonly schedule: <T>(call: () => Promise<T>) => Promise<T>;

  constructor(private readonly apis: ReviewApis, private readonly options: AccessReviewerOptions) {
    // Decisions age on a monotonic clock: with the wall clock, a step back would keep an
    // "allowed" answer for a since-revoked token for the length of the step.
    const now = options.now ?? (() => performance.now());
    this.decisions = new LRUCache({ max: options.maxEntries ?? 1024, ttlAutopurge: false, perf: { now }, ttlResolution: 0 });
    this.schedule = options.schedule ?? ((call) => call());
  }

  /** The decision for a bearer token; rejects when a review could not be made (not cached). */
  review(token: string): Promise<AccessDecision> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.decisions.get(key);
    if (cached) return Promise.resolve(cached);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.decide(token).then((decision) => {
        const ttl = decision.outcome === 'allowed' ? this.options.allowTtlMs ?? 60_000
          : decision.outcome === 'forbidden' ? this.options.denyTtlMs ?? 30_000 : this.options.unauthenticatedTtlMs ?? 10_000;
        this.decisions.set(key, decision, { ttl });
        return decision;
      }).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async decide(token: string): Promise<AccessDecision> {
    const authn = await this.schedule(() => this.apis.createTokenReview({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }));
    const user = authn.status?.user;
    if (!authn.status?.authenticated || !user?.username) return { outcome: 'unauthenticated' };
    const authz = await this.schedule(() => this.apis.createSubjectAccessReview({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: user.username, uid: user.uid, groups: user.groups, extra: user.extra,
        nonResourceAttributes: { path: this.options.path, verb: 'get' },
      },
    }));
    return { outcome: authz.status?.allowed ? 'allowed' : 'forbidden', user: user.username };
  }
}
