// Runs one AWS SDK call for a store's client (Secrets Manager or Parameter Store): observes
// its outcome, maps its failure onto the contract's errors, and repeats it once with
// refreshed credentials when the service calls the temporary ones expired.
import { isAuthError, type Clock, type ProviderObserver } from '../contract/index.js';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { mapAwsError } from './errors.js';

export interface CallRunnerOptions {
  credentials: AwsCredentialIdentityProvider;
  clock: Clock;
  observer: ProviderObserver;
  /** Credentials read for this store; redacted from every error message. */
  redact: readonly string[];
}

export class AwsCallRunner {
  constructor(private readonly options: CallRunnerOptions) {}

  /**
   * Temporary credentials the service calls expired (revoked early, or clock skew) are
   * refreshed once and the call repeated; the SDK itself only refreshes ahead of the expiry
   * STS announced.
   */
  async call<T>(operation: string, subject: string, run: () => Promise<T>): Promise<T> {
    try {
      return await this.attempt(operation, subject, run);
    } catch (error) {
      if (!isAuthError(error) || !/^ExpiredToken/.test(error.code ?? '')) throw error;
      await this.attempt('RefreshCredentials', 'credentials', () => this.options.credentials({ forceRefresh: true }));
      return this.attempt(operation, subject, run);
    }
  }

  private async attempt<T>(operation: string, subject: string, run: () => Promise<T>): Promise<T> {
    const { clock, observer } = this.options;
    const started = clock.now();
    try {
      const result = await run();
      observer.observe({ operation, outcome: 'success', durationMs: clock.now() - started, status: '200' });
      return result;
    } catch (error) {
      const mapped = mapAwsError(error, { subject, nowMs: clock.now(), redact: this.options.redact });
      observer.observe({ operation, outcome: mapped.kind, durationMs: clock.now() - started, status: mapped.code });
      throw mapped;
    }
  }
}
