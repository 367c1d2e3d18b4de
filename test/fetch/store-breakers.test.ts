// cockatiel's breaker reads Date.now and its own timers; Node's mock timers drive them.
import { strict as assert } from 'node:assert';
import { mock } from 'node:test';
import { NotFoundError, UnavailableError, isUnavailable } from '../../providers/contract/index.js';
import { StoreBreakers, type BreakerState } from '../../src/fetch/store-breakers.js';

const failing = async () => {
  throw new UnavailableError('503 Service Unavailable', { reason: 'ServiceUnavailable', code: '503' });
};
const ok = async () => 'ok';

describe('StoreBreakers', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  it('opens after consecutive outages, fails fast with CircuitOpen, half-opens and closes on a good probe', async () => {
    const changes: BreakerState[] = [];
    const breakers = new StoreBreakers({ threshold: 3, halfOpenAfterMs: 10_000 }, (_id, s) => changes.push(s));
    for (let i = 0; i < 3; i++) await assert.rejects(breakers.execute('s1', 'ns/store', failing), /503/);
    assert.equal(breakers.state('s1'), 'open');
    let called = false;
    await assert.rejects(
      breakers.execute('s1', 'ns/store', async () => {
        called = true;
      }),
      (e: unknown) => isUnavailable(e) && e.reason === 'CircuitOpen' && /last: Unavailable \(ServiceUnavailable, 503\)/.test(e.message) && e.retryAfterMs === 10_000,
    );
    assert.equal(called, false, 'an open circuit does not call the provider');
    assert.equal(breakers.state('other'), 'closed', 'breakers are per store');
    mock.timers.tick(10_000);
    assert.equal(await breakers.execute('s1', 'ns/store', ok), 'ok');
    assert.equal(breakers.state('s1'), 'closed');
    assert.deepEqual(changes, ['open', 'half-open', 'closed']);
  });

  it('an open circuit does not repeat the last outage\'s message, which names another reader\'s remote key', async () => {
    // A ClusterSecretStore serves several namespaces: namespace B's ExternalSecret hits the
    // outage on a key only B reads, then namespace A's ExternalSecret gets the fail-fast answer.
    const breakers = new StoreBreakers({ threshold: 2, halfOpenAfterMs: 10_000 });
    const bKeyFailure = async () => {
      throw new UnavailableError('AWS endpoint unavailable for "team-b/payroll-db": connect ECONNREFUSED', { reason: 'EndpointUnreachable', code: 'ECONNREFUSED' });
    };
    for (let i = 0; i < 2; i++) await assert.rejects(breakers.execute('shared', 'shared', bKeyFailure), /team-b\/payroll-db/);
    const seenByA = await breakers.execute('shared', 'shared', ok).then(() => undefined, (e: unknown) => e);
    assert.ok(isUnavailable(seenByA) && seenByA.reason === 'CircuitOpen');
    assert.doesNotMatch(seenByA.message, /payroll|team-b|ECONNREFUSED:/);
    assert.match(seenByA.message, /last: Unavailable \(EndpointUnreachable, ECONNREFUSED\)/);
  });

  it('opens again when the half-open probe fails', async () => {
    const breakers = new StoreBreakers({ threshold: 1, halfOpenAfterMs: 1_000 });
    await assert.rejects(breakers.execute('s', 's', failing));
    mock.timers.tick(1_000);
    await assert.rejects(breakers.execute('s', 's', failing), /503/);
    assert.equal(breakers.state('s'), 'open');
  });

  it('does not count answers such as NotFound as failures', async () => {
    const breakers = new StoreBreakers({ threshold: 2, halfOpenAfterMs: 1_000 });
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        breakers.execute('s', 's', async () => {
          throw new NotFoundError('missing');
        }),
      );
    }
    assert.equal(breakers.state('s'), 'closed');
  });
});
