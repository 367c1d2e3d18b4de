// A store's spec.refreshInterval, as ESO defines it: a Ready store is validated again on that
// interval (the operator's default of 5 minutes when empty or 0), with the same client, so its
// ExternalSecrets see no change of store while it stays valid.
import assert from 'node:assert/strict';
import { RetryLater } from '../../src/controller/external-secret-reconciler.js';
import { DEFAULT_STORE_REFRESH_INTERVAL_MS } from '../../src/controller/store-reconciler.js';
import { createHarness } from './harness.js';

describe('SecretStore spec.refreshInterval', () => {
  it('re-validates a Ready store on its interval with the same client, and reconnects when that fails', async () => {
    const h = createHarness();
    h.store('s', 'ns', [{ key: 'k', value: 'v' }], { refreshInterval: '1m' });
    assert.deepEqual(await h.reconcileStore('SecretStore/ns/s'), { requeueAfter: 60_000 });
    const state = h.controller.stores.get('SecretStore/ns/s')!;
    let validations = 0;
    let failing = false;
    state.handle!.client.validate = async () => {
      validations++;
      if (failing) throw new Error('store rejected the credentials');
      return { warnings: [] };
    };
    h.timers.advance(30_000);
    assert.deepEqual(await h.reconcileStore('SecretStore/ns/s'), { requeueAfter: 30_000 }, 'not due yet');
    assert.equal(validations, 0);
    h.timers.advance(30_000);
    assert.deepEqual(await h.reconcileStore('SecretStore/ns/s'), { requeueAfter: 60_000 });
    assert.equal(validations, 1);
    assert.equal(h.controller.stores.get('SecretStore/ns/s')!.handle, state.handle, 'the same client: dependents fetch nothing again');

    failing = true;
    h.timers.advance(60_000);
    // A failed re-validation is a fresh evaluation: the fake provider connects anew and validates.
    const result = await h.reconcileStore('SecretStore/ns/s');
    assert.equal(validations, 2);
    assert.deepEqual(result, { requeueAfter: 60_000 });
    assert.notEqual(h.controller.stores.get('SecretStore/ns/s')!.handle, state.handle, 'reconnected');
  });

  it('uses the operator default when empty or 0', async () => {
    const h = createHarness();
    h.store('a', 'ns', [{ key: 'k', value: 'v' }]);
    h.store('b', 'ns', [{ key: 'k', value: 'v' }], { refreshInterval: '0' });
    assert.deepEqual(await h.reconcileStore('SecretStore/ns/a'), { requeueAfter: DEFAULT_STORE_REFRESH_INTERVAL_MS });
    assert.deepEqual(await h.reconcileStore('SecretStore/ns/b'), { requeueAfter: DEFAULT_STORE_REFRESH_INTERVAL_MS });
  });

  it('leaves a store that fails validation to the backoff, not to its interval', async () => {
    const h = createHarness();
    h.store('s', 'ns', [{ key: 'k', value: 'v' }], { refreshInterval: '1m' });
    await h.reconcileStore('SecretStore/ns/s');
    const state = h.controller.stores.get('SecretStore/ns/s')!;
    state.handle!.client.validate = async () => { throw new Error('down'); };
    // Reconnecting gives a fresh client whose validation fails too.
    const connect = h.controller.storeReconciler as unknown as { evaluate: (...a: unknown[]) => Promise<unknown> };
    const original = connect.evaluate.bind(connect);
    connect.evaluate = async (...a: unknown[]) => ({ ...(await original(...a)) as object, ready: false, reason: 'ValidationFailed', message: 'down', handle: undefined });
    h.timers.advance(60_000);
    await assert.rejects(h.reconcileStore('SecretStore/ns/s'), RetryLater);
  });
});
