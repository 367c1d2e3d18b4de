// Leader election on a coordination.k8s.io Lease, as controller-runtime does it: the
// holder renews the Lease every few seconds; another replica takes it over once it has seen
// the Lease go unrenewed for its duration; the holder hands it back on shutdown so a successor
// does not wait. Written here because client-node has no leader election helper.
//
// "Unrenewed for its duration" is measured as client-go does, from when this replica last saw
// the Lease record change, on its own monotonic clock; never by comparing the holder's
// renewTime with this replica's wall clock, which a skewed or stepped clock would turn into a
// takeover of a live Lease (two leaders) or a Lease nobody takes.
import { microTime, type Lease, type LeaseApi, type LeaseSpec } from './lease-api.js';
import { httpStatusOf } from './api-error.js';

export interface LeaderElectionOptions {
  api: LeaseApi;
  /** Runs a call under the client budget. */
  call<T>(fn: () => Promise<T>): Promise<T>;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewEveryMs?: number;
  retryEveryMs?: number;
  /** The wall clock: what this replica writes into the Lease (acquireTime, renewTime). */
  now?: () => number;
  /**
   * A clock that never steps, for how long ago this replica last renewed and how long the
   * holder's record has gone unchanged: with the wall clock, a step forward would give the
   * Lease up on one failed renew (or take a live one), and a step back would keep leading for
   * the length of the step after the Lease was lost.
   */
  monotonicNow?: () => number;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Called once if the Lease is lost while leading; the process should stop reconciling. */
  onLost(): void;
}

export class LeaderElector {
  private leading = false;
  private holder?: string;
  private renewTimer?: ReturnType<typeof setInterval>;
  private lastRenew = 0;
  /** The holder's record as last seen, and when (monotonic) it was first seen as it is. */
  private observed?: { record: string; atMs: number };
  private stopped = false;
  private readonly durationMs: number;
  private readonly now: () => number;
  private readonly monotonicNow: () => number;

  constructor(private readonly options: LeaderElectionOptions) {
    this.durationMs = options.leaseDurationMs ?? 15_000;
    this.now = options.now ?? Date.now;
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The current holder as last seen, if any. */
  get leader(): string | undefined {
    return this.holder;
  }

  /** Resolves once this replica holds the Lease (or rejects when stopped first). */
  async acquire(): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('leader election stopped');
      if (await this.tryAcquireOrRenew()) break;
      await new Promise((r) => setTimeout(r, this.options.retryEveryMs ?? 2000).unref());
    }
    this.leading = true;
    this.lastRenew = this.monotonicNow();
    this.options.logger.info({ lease: `${this.options.namespace}/${this.options.name}`, identity: this.options.identity }, 'acquired leader lease');
    this.renewTimer = setInterval(() => void this.renew(), this.options.renewEveryMs ?? Math.max(1000, Math.floor(this.durationMs / 3)));
    this.renewTimer.unref();
  }

  private async renew(): Promise<void> {
    if (!this.leading) return;
    let ok: boolean;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch {
      ok = false;
    }
    if (ok) {
      this.lastRenew = this.monotonicNow();
      return;
    }
    // Another replica may take over once the Lease has not been renewed for its duration.
    if (this.holder !== this.options.identity || this.monotonicNow() - this.lastRenew >= this.durationMs) {
      this.leading = false;
      if (this.renewTimer) clearInterval(this.renewTimer);
      this.options.logger.warn({ lease: `${this.options.namespace}/${this.options.name}`, holder: this.holder }, 'lost leader lease');
      this.options.onLost();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, call, namespace, name, identity } = this.options;
    const now = microTime(this.now());
    let lease: Lease;
    try {
      lease = await call(() => api.read(namespace, name));
    } catch (e) {
      if (httpStatusOf(e) !== 404) throw e;
      try {
        await call(() => api.create(namespace, {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: Math.ceil(this.durationMs / 1000), acquireTime: now, renewTime: now, leaseTransitions: 0 },
        }));
        this.holder = identity;
        return true;
      } catch (err) {
        if (httpStatusOf(err) === 409) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    this.holder = spec.holderIdentity || undefined;
    if (spec.holderIdentity && spec.holderIdentity !== identity && !this.expired(spec)) return false;
    const takeover = spec.holderIdentity !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
      renewTime: now,
      ...(takeover ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      await call(() => api.replace(namespace, name, lease));
      this.holder = identity;
      return true;
    } catch (e) {
      if (httpStatusOf(e) === 409) return false;
      throw e;
    }
  }

  /**
   * Whether another holder's record has stayed the same for its lease duration since this
   * replica first saw it so (a live holder changes renewTime at every renewal).
   */
  private expired(spec: LeaseSpec): boolean {
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseDurationSeconds, spec.leaseTransitions]);
    const now = this.monotonicNow();
    if (this.observed?.record !== record) this.observed = { record, atMs: now };
    return now - this.observed.atMs >= (spec.leaseDurationSeconds ?? 0) * 1000;
  }

  /** Stops renewing and, if leading, hands the Lease back so a successor need not wait. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (!this.leading) return;
    this.leading = false;
    const { api, call, namespace, name, identity } = this.options;
    try {
      const lease = await call(() => api.read(namespace, name));
      if (lease.spec?.holderIdentity !== identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined, leaseDurationSeconds: 1 };
      await call(() => api.replace(namespace, name, lease));
      this.options.logger.info({ lease: `${namespace}/${name}` }, 'released leader lease');
    } catch (e) {
      this.options.logger.warn({ error: e instanceof Error ? e.message.split('\n')[0] : String(e) }, 'could not release leader lease');
    }
  }
}
