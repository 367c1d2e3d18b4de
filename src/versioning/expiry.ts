// A remote expiry the provider reports (status.expiresAt) becomes two conditions beside Ready:
// `ExpiringSoon` from EXPIRING_SOON_MS before it, and `Expired` once it has passed. Pure: the
// reconciler asks again at the next transition (nextExpiryTransition).
import type { Condition } from '../api/index.js';

/** How long before the remote expiry `ExpiringSoon` turns True (the PrometheusRule warns at the same time). */
export const EXPIRING_SOON_MS = 7 * 24 * 60 * 60 * 1000;

export const EXPIRY_CONDITION_TYPES = ['Expired', 'ExpiringSoon'] as const;

function condition(type: string, status: boolean, reason: string, message: string, previous: Condition | undefined, now: number, observedGeneration: number | undefined): Condition {
  const s = status ? 'True' : 'False';
  const same = previous && previous.status === s && previous.reason === reason;
  return {
    type, status: s, reason, message,
    lastTransitionTime: same && previous.lastTransitionTime ? previous.lastTransitionTime : new Date(now).toISOString(),
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
  };
}

/** `Expired` and `ExpiringSoon` for a remote expiry, or none when the store reports no expiry. */
export function expiryConditions(expiresAt: string | undefined, now: number, previous: readonly Condition[] | undefined, observedGeneration?: number): Condition[] {
  const at = expiresAt === undefined ? Number.NaN : Date.parse(expiresAt);
  if (Number.isNaN(at)) return [];
  const find = (type: string) => previous?.find((c) => c.type === type);
  const expired = now >= at;
  const soon = !expired && now >= at - EXPIRING_SOON_MS;
  return [
    condition('Expired', expired, expired ? 'RemoteExpired' : 'NotExpired',
      expired ? `the remote value expired at ${expiresAt}; rotate it in the store` : `the remote value expires at ${expiresAt}`, find('Expired'), now, observedGeneration),
    condition('ExpiringSoon', soon, soon ? 'RemoteExpiresSoon' : expired ? 'RemoteExpired' : 'NotExpiringSoon',
      soon ? `the remote value expires at ${expiresAt}, within ${EXPIRING_SOON_MS / 86_400_000} days; rotate it in the store` : expired ? `the remote value expired at ${expiresAt}` : `the remote value expires at ${expiresAt}`,
      find('ExpiringSoon'), now, observedGeneration),
  ];
}

/** The next instant after `now` at which the expiry conditions change, if any. */
export function nextExpiryTransition(expiresAt: string | undefined, now: number): number | undefined {
  const at = expiresAt === undefined ? Number.NaN : Date.parse(expiresAt);
  if (Number.isNaN(at)) return undefined;
  return [at - EXPIRING_SOON_MS, at].find((t) => t > now);
}

/** Replaces the expiry conditions in a condition list, keeping the others (Ready first) in place. */
export function withExpiryConditions(conditions: readonly Condition[], expiresAt: string | undefined, now: number, observedGeneration?: number): Condition[] {
  const others = conditions.filter((c) => !(EXPIRY_CONDITION_TYPES as readonly string[]).includes(c.type));
  return [...others, ...expiryConditions(expiresAt, now, conditions, observedGeneration)];
}
