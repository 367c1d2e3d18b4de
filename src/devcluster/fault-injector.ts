// Fault injection for tests: added latency, 5xx errors, 429 with Retry-After, dropped watches.
// Rules are deterministic by default: `times` fails exactly the next N matching requests;
// `errorRate` below 1 draws from a seeded generator so a run repeats.
import { ApiError, tooManyRequests } from './api-error.js';
import type { RequestInfo } from './request-stats.js';

export interface FaultMatch {
  /** Kubernetes verb(s): get, list, watch, create, update, patch, delete, deletecollection. */
  verb?: string | string[];
  /** Resource plural, optionally with `/subresource` (`secrets`, `externalsecrets/status`). */
  resource?: string;
  group?: string;
  namespace?: string;
  name?: string;
  /** Substring of the request path (also matches non-resource paths such as `/openid/v1/jwks`). */
  pathIncludes?: string;
  /** true: only watch-lists (watches with `sendInitialEvents=true`); false: only other watches. */
  watchList?: boolean;
}

export interface FaultRule {
  match?: FaultMatch;
  /** Delay before the request is served. */
  latencyMs?: number;
  /** Answer with this HTTP status instead of serving (e.g. 500, 503, 429). */
  status?: number;
  /** Fraction (0..1) of matching requests that get `status`; default 1. */
  errorRate?: number;
  /** Retry-After seconds for a 429 (default 1). */
  retryAfterSeconds?: number;
  /** Apply to the next N matching requests only, then the rule expires. */
  times?: number;
  /** Close matching watches this long after they start (graceful end of the response, as a server timeout). */
  dropWatchAfterMs?: number;
  /** Status message for injected errors. */
  message?: string;
}

export interface FaultDecision {
  latencyMs: number;
  error?: ApiError;
  dropWatchAfterMs?: number;
}

interface ActiveRule extends FaultRule {
  id: string;
  remaining?: number;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  private seed: number;
  /** Counts requests that were given an injected error. */
  injected = 0;

  constructor(seed = 42) {
    this.seed = seed;
  }

  /** Starts the generator behind `errorRate` again from `seed`, so a run can be replayed. */
  reseed(seed: number): void {
    this.seed = seed;
  }

  /** Adds a rule; returns its id for `remove`. */
  add(rule: FaultRule): string {
    const id = String(this.nextId++);
    this.rules.push({ ...rule, id, remaining: rule.times });
    return id;
  }

  remove(id: string): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ id: _id, remaining, ...r }) => ({ ...r, times: remaining }));
  }

  /** What to do with one request. Rules that match all contribute latency; the first error wins. */
  decide(req: RequestInfo): FaultDecision {
    const d: FaultDecision = { latencyMs: 0 };
    if (this.rules.length === 0) return d;
    for (const rule of [...this.rules]) {
      if (!matches(rule.match, req)) continue;
      const isWatchRule = rule.dropWatchAfterMs !== undefined;
      if (isWatchRule && req.verb !== 'watch') continue;
      if (rule.status !== undefined && d.error) continue;
      if (rule.status !== undefined && rule.errorRate !== undefined && rule.errorRate < 1 && this.random() >= rule.errorRate) continue;
      if (rule.remaining !== undefined) {
        if (rule.remaining <= 0) continue;
        if (--rule.remaining <= 0) this.remove(rule.id);
      }
      d.latencyMs += rule.latencyMs ?? 0;
      if (isWatchRule) d.dropWatchAfterMs = rule.dropWatchAfterMs;
      if (rule.status !== undefined) {
        this.injected++;
        d.error = rule.status === 429
          ? tooManyRequests(rule.retryAfterSeconds ?? 1)
          : new ApiError(rule.status, reasonFor(rule.status), rule.message ?? `injected fault: ${rule.status}`, {
            causes: [{ reason: 'InjectedFault', message: 'fault injected by the dev cluster' }],
            ...(rule.retryAfterSeconds ? { retryAfterSeconds: rule.retryAfterSeconds } : {}),
          }, rule.retryAfterSeconds ? { 'Retry-After': String(rule.retryAfterSeconds) } : undefined);
      }
    }
    return d;
  }

  /** Mulberry32: small seeded generator so `errorRate` runs repeat. */
  private random(): number {
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

function matches(m: FaultMatch | undefined, req: RequestInfo): boolean {
  if (!m) return true;
  if (m.verb !== undefined && !(Array.isArray(m.verb) ? m.verb.includes(req.verb) : m.verb === req.verb)) return false;
  if (m.resource !== undefined && m.resource !== req.resource && m.resource !== req.resource.split('/')[0]) return false;
  if (m.group !== undefined && m.group !== req.group) return false;
  if (m.namespace !== undefined && m.namespace !== req.namespace) return false;
  if (m.name !== undefined && m.name !== req.name) return false;
  if (m.pathIncludes !== undefined && !req.path.includes(m.pathIncludes)) return false;
  if (m.watchList !== undefined && (req.verb !== 'watch' || (req.initialEvents === true) !== m.watchList)) return false;
  return true;
}

function reasonFor(status: number): string {
  switch (status) {
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    case 409: return 'Conflict';
    case 404: return 'NotFound';
    case 403: return 'Forbidden';
    case 401: return 'Unauthorized';
    default: return 'InternalError';
  }
}
