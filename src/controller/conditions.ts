// Ready conditions and their reasons (DESIGN §1), set so that lastTransitionTime only moves
// when status or reason does.
import type { Condition } from './types.js';

export const Reasons = {
  SecretSynced: 'SecretSynced',
  SecretSyncedError: 'SecretSyncedError',
  StoreNotReady: 'StoreNotReady',
  Stale: 'Stale',
  /** The ExternalSecret names a SecretStore outside its own namespace. */
  StoreNotAllowed: 'StoreNotAllowed',
  /** A ClusterSecretStore's `conditions` exclude the ExternalSecret's namespace. */
  NamespaceNotAllowed: 'NamespaceNotAllowed',
  /** The ExternalSecret's own spec is wrong; retried only when it changes. */
  InvalidSpec: 'InvalidSpec',
  Valid: 'Valid',
  InvalidProviderConfig: 'InvalidProviderConfig',
  ValidationFailed: 'ValidationFailed',
} as const;

export function readyCondition(status: boolean, reason: string, message: string, previous: Condition | undefined, now: Date): Condition {
  const s = status ? 'True' : 'False';
  const same = previous && previous.status === s && previous.reason === reason;
  return { type: 'Ready', status: s, reason, message, lastTransitionTime: same && previous.lastTransitionTime ? previous.lastTransitionTime : now.toISOString() };
}

export function findCondition(conditions: Condition[] | undefined, type = 'Ready'): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
