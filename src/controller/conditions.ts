// Ready conditions and their reasons (DESIGN §1), set so that lastTransitionTime only moves
// when status or reason does. The reasons are the API's closed lists (src/api/constants.ts),
// which a test holds to what the CRDs document.
import { EXTERNAL_SECRET_REASONS, STORE_REASONS } from '../api/constants.js';
import type { Condition } from './types.js';

export const Reasons = { ...EXTERNAL_SECRET_REASONS, ...STORE_REASONS } as const;

export function readyCondition(status: boolean, reason: string, message: string, previous: Condition | undefined, now: Date, observedGeneration?: number): Condition {
  const s = status ? 'True' : 'False';
  const same = previous && previous.status === s && previous.reason === reason;
  const condition: Condition = { type: 'Ready', status: s, reason, message, lastTransitionTime: same && previous.lastTransitionTime ? previous.lastTransitionTime : now.toISOString() };
  if (observedGeneration !== undefined) condition.observedGeneration = observedGeneration;
  return condition;
}

export function findCondition(conditions: Condition[] | undefined, type = 'Ready'): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
