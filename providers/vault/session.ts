// Holds a store's Vault token: logs in (token from a Secret, AppRole, kubernetes), renews
// the token before it expires, and logs in again when renewal is refused or a call says the
// token is bad. node-vault's own renewal timer is not used: it runs on wall-clock timers
// outside the injected clock and cannot re-login; renewing on demand before a call can.
import type NodeVault from 'node-vault';
import { AuthError, type Clock, type ProviderDeps, type ProviderObserver } from '../contract/index.js';
import type { VaultConfig } from './config.js';
import { mapVaultError } from './errors.js';

interface LoginResult {
  token: string;
  /** Seconds; 0 means the token does not expire (root or periodic without TTL). */
  ttlSeconds: number;
  renewable: boolean;
}

/** Audience of minted kubernetes-auth tokens when the store names none (set it as the Vault role's `audience`). */
export const defaultKubernetesAuthAudience = 'vault';

/** Renew once less than this share of a token's lifetime is left. */
const renewAtRemainingShare = 1 / 3;
const minRemainingMs = 5_000;

export class VaultSession {
  private current?: { token: string; obtainedMs: number; expiresMs?: number; ttlMs: number; renewable: boolean };
  private pending?: Promise<void>;
  /** Credentials read or minted for this store; redacted from error messages. */
  readonly secrets: string[] = [];

  constructor(
    private readonly vault: NodeVault.client,
    private readonly config: VaultConfig,
    private readonly deps: Pick<ProviderDeps, 'readSecret' | 'mintServiceAccountToken' | 'logger'>,
    private readonly clock: Clock,
    private readonly observer: ProviderObserver,
  ) {}

  private remember(secret: string): void {
    if (!secret) return;
    this.secrets.push(secret);
    if (this.secrets.length > 8) this.secrets.shift();
  }

  /** Makes sure a usable token is set on the client: logs in or renews as needed. */
  async ensure(): Promise<void> {
    if (this.pending) return this.pending;
    const c = this.current;
    const now = this.clock.now();
    if (c && (c.expiresMs === undefined || c.expiresMs - now > Math.max(minRemainingMs, c.ttlMs * renewAtRemainingShare))) return;
    this.pending = (async () => {
      try {
        if (c && c.renewable && (c.expiresMs ?? 0) > now && (await this.tryRenew())) return;
        await this.login();
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  /** Forgets the token so the next `ensure` logs in again (after a 403 that says it is bad). */
  invalidate(): void {
    this.current = undefined;
  }

  private set(result: LoginResult, how: 'login' | 'renewal'): void {
    const now = this.clock.now();
    // Lifetimes only: never the token.
    this.deps.logger.debug({ ttlSeconds: result.ttlSeconds, renewable: result.renewable }, how === 'login' ? 'vault login' : 'vault token renewed');
    this.remember(result.token);
    this.vault.token = result.token;
    this.current = {
      token: result.token,
      obtainedMs: now,
      ttlMs: result.ttlSeconds * 1000,
      expiresMs: result.ttlSeconds > 0 ? now + result.ttlSeconds * 1000 : undefined,
      renewable: result.renewable,
    };
  }

  private async observed<T>(operation: string, subject: string, run: () => Promise<T>, login: boolean): Promise<T> {
    const started = this.clock.now();
    try {
      const out = await run();
      this.observer.observe({ operation, outcome: 'success', durationMs: this.clock.now() - started, status: '200' });
      return out;
    } catch (error) {
      const mapped = mapVaultError(error, { subject, redact: this.secrets, login, nowMs: this.clock.now() });
      this.observer.observe({ operation, outcome: mapped.kind, durationMs: this.clock.now() - started, status: mapped.code });
      throw mapped;
    }
  }

  private async tryRenew(): Promise<boolean> {
    try {
      const out = await this.observed('RenewSelf', 'token renewal', () => this.vault.tokenRenewSelf(), true);
      const auth = (out as { auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } }).auth;
      // A renewal capped by the token's max TTL returns less than asked; log in before it runs out.
      if (!auth?.client_token || !auth.lease_duration) return false;
      this.set({ token: auth.client_token, ttlSeconds: auth.lease_duration, renewable: auth.renewable !== false }, 'renewal');
      return true;
    } catch {
      return false;
    }
  }

  private async readUtf8(ref: Parameters<ProviderDeps['readSecret']>[0]): Promise<string> {
    const value = (await this.deps.readSecret(ref)).toString('utf8').trim();
    this.remember(value);
    return value;
  }

  private async login(): Promise<void> {
    const auth = this.config.auth;
    if (auth.tokenSecretRef) {
      const token = await this.readUtf8(auth.tokenSecretRef);
      this.vault.token = token;
      const out = await this.observed('LookupSelf', 'token lookup', () => this.vault.tokenLookupSelf(), true);
      const data = (out as { data?: { ttl?: number; renewable?: boolean } }).data ?? {};
      this.set({ token, ttlSeconds: data.ttl ?? 0, renewable: data.renewable === true }, 'login');
      return;
    }
    if (auth.appRole) {
      const ar = auth.appRole;
      const roleId = ar.roleId ?? (await this.readUtf8(ar.roleRef!));
      const secretId = await this.readUtf8(ar.secretRef);
      const mount = ar.path ?? 'approle';
      const out = await this.observed('Login', `AppRole login at auth/${mount}`, () => this.vault.approleLogin({ mount_point: mount, role_id: roleId, secret_id: secretId }), true);
      this.setFromAuth(out);
      return;
    }
    if (auth.kubernetes) {
      const k = auth.kubernetes;
      let jwt: string;
      if (k.serviceAccountRef) {
        // Never without an audience: that would be a token for the Kubernetes API server itself,
        // sent to whatever server the store names. The role's `audience` must match.
        const audiences = k.serviceAccountRef.audiences?.length ? k.serviceAccountRef.audiences : [defaultKubernetesAuthAudience];
        const minted = await this.deps.mintServiceAccountToken(k.serviceAccountRef, { audiences, expirationSeconds: 600 });
        jwt = minted.token;
        this.remember(jwt);
      } else {
        jwt = await this.readUtf8(k.secretRef!);
      }
      const mount = k.mountPath ?? 'kubernetes';
      // node-vault's kubernetesLogin falls back to its own default path unless mount_point is given.
      const out = await this.observed('Login', `kubernetes login at auth/${mount} as role "${k.role}"`, () => this.vault.kubernetesLogin({ mount_point: mount, role: k.role, jwt }), true);
      this.setFromAuth(out);
      return;
    }
    throw new AuthError('no Vault auth method configured', { reason: 'NoAuth' });
  }

  private setFromAuth(out: unknown): void {
    const auth = (out as { auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } }).auth;
    if (!auth?.client_token) throw new AuthError('Vault login returned no client token', { reason: 'LoginFailed' });
    this.set({ token: auth.client_token, ttlSeconds: auth.lease_duration ?? 0, renewable: auth.renewable === true }, 'login');
  }
}
