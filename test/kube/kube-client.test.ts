import assert from 'node:assert/strict';
import { useDevClusterClient } from './dev-cluster-client.js';
import { createRequestLimiter, LimiterOverflowError } from '../../src/kube/request-limiter.js';
import { httpStatusOf, describeKubeError } from '../../src/kube/api-error.js';

describe('KubeClient', function () {
  this.timeout(20_000);
  const dev = useDevClusterClient({ qps: 100, burst: 100 });

  it('creates a Secret once: a second create of the same name reports it exists', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: 'default' }, immutable: true, data: { k: 'dg==' } };
    const created = await dev.client.createSecret(secret);
    assert.equal(created?.metadata?.name, 's1');
    assert.equal(await dev.client.createSecret(secret), undefined);
    assert.equal(dev.cluster.stats.count('create', 'secrets'), 2);
    assert.equal((await dev.client.getSecret('default', 's1'))?.immutable, true);
    assert.equal(await dev.client.getSecret('default', 'missing'), undefined);
  });

  it('deletes a Secret, and reports false for one already gone', async () => {
    assert.equal(await dev.client.deleteSecret('default', 's1'), true);
    assert.equal(await dev.client.deleteSecret('default', 's1'), false);
  });

  it('records Events', async () => {
    await dev.client.createEvent({ involved: { kind: 'ExternalSecret', apiVersion: 'keyferry.io/v1alpha1', name: 'x', namespace: 'default' }, type: 'Normal', reason: 'Test', message: 'hello' });
    const events = dev.cluster.list('v1', 'Event', 'default');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.reason, 'Test');
  });

  it('reuses connections between requests', async () => {
    const before = dev.cluster.stats.count();
    for (let i = 0; i < 5; i++) await dev.client.getSecret('default', 'missing');
    assert.equal(dev.cluster.stats.count() - before, 5);
    // One agent for every request, and the five sequential requests left one open connection behind.
    const { agent } = await dev.client.connection.requestAuth();
    assert.equal(agent, (await dev.client.connection.requestAuth()).agent);
    assert.equal(Object.values(agent.freeSockets).flat().length, 1);
  });
});

describe('request limiter', () => {
  it('lets a burst through at once and spaces the rest by the rate', async () => {
    const limiter = createRequestLimiter({ qps: 10, burst: 2 });
    const started = Date.now();
    const times = await Promise.all(Array.from({ length: 4 }, () => limiter.schedule(async () => Date.now() - started)));
    await limiter.stop();
    assert.ok(times[1]! < 90, `burst immediate (${times[1]} ms)`);
    assert.ok(times[3]! >= 90, `beyond the burst waits for refill (${times[3]} ms)`);
  });
});

describe('api errors', () => {
  it('reads status codes and describes errors without bodies beyond the message', () => {
    const e = Object.assign(new Error('HTTP-Code: 409\nMessage: Conflict\nBody: {...}'), { code: 409, body: JSON.stringify({ message: 'secrets "x" already exists' }) });
    assert.equal(httpStatusOf(e), 409);
    assert.equal(describeKubeError(e), 'HTTP 409: secrets "x" already exists');
    assert.equal(httpStatusOf(Object.assign(new Error('Gone'), { statusCode: 410 })), 410);
    assert.equal(describeKubeError(new Error('first line\nsecond')), 'first line');
  });
});

describe('request limiter rate', () => {
  it('sustains the configured rate, not one refill per 250 ms heartbeat', async () => {
    const limiter = createRequestLimiter({ qps: 40, burst: 2 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 12 }, () => limiter.schedule(async () => undefined)));
    const took = Date.now() - started;
    await limiter.stop();
    // 10 calls beyond the burst at 40/s take ~250 ms; one refill per 250 ms heartbeat would take ~1.25 s.
    assert.ok(took >= 150 && took < 1000, `12 calls took ${took} ms`);
  });
});

describe('request limiter backlog', () => {
  it('drops calls beyond maxQueued instead of queueing without bound', async () => {
    const limiter = createRequestLimiter({ qps: 1, burst: 1 }, { maxQueued: 2 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => limiter.schedule(async () => 'ok')));
    await limiter.stop();
    const dropped = results.filter((r) => r.status === 'rejected' && r.reason instanceof LimiterOverflowError).length;
    assert.ok(dropped >= 1, `some calls dropped (${dropped})`);
    assert.equal(results[0]!.status, 'fulfilled');
  });
});
