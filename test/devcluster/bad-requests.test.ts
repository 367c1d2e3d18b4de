import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from './helpers.js';

describe('dev cluster bad requests get Status objects and the server keeps serving', () => {
  let t: TestCluster;
  before(async () => { t = await startTestCluster(); });
  after(() => t.cluster.stop());

  async function status(path: string, init: RequestInit = {}) {
    const res = await fetch(t.cluster.url + path, init);
    const body = (await res.json()) as { kind: string; status: string; code: number; reason: string; message: string };
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(body.kind, 'Status');
    assert.equal(body.status, 'Failure');
    assert.equal(body.code, res.status);
    // The server is still up after each.
    const ok = await fetch(`${t.cluster.url}/api/v1/namespaces/default/secrets`);
    assert.equal(ok.status, 200);
    return body;
  }

  const json = { 'Content-Type': 'application/json' };

  it('malformed JSON → 400 BadRequest', async () => {
    const b = await status('/api/v1/namespaces/default/secrets', { method: 'POST', headers: json, body: '{"metadata": {' });
    assert.equal(b.code, 400);
    assert.equal(b.reason, 'BadRequest');
    const p = await status('/api/v1/namespaces/default/secrets/x', { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: 'nope' });
    assert.equal(p.code, 400);
  });

  it('a body that is not an object, a wrong kind or apiVersion → 400', async () => {
    assert.equal((await status('/api/v1/namespaces/default/secrets', { method: 'POST', headers: json, body: '[1,2]' })).code, 400);
    assert.equal((await status('/api/v1/namespaces/default/secrets', { method: 'POST', headers: json, body: '{"kind":"ConfigMap","metadata":{"name":"x"}}' })).code, 400);
    assert.equal((await status('/api/v1/namespaces/default/secrets', { method: 'POST', headers: json, body: '{"apiVersion":"v2","metadata":{"name":"x"}}' })).code, 400);
    assert.equal((await status('/api/v1/namespaces/default/secrets', { method: 'POST', headers: json, body: '{"metadata":"x"}' })).code, 400);
  });

  it('unknown resource, group or version → 404 NotFound', async () => {
    for (const p of ['/api/v1/widgets', '/apis/nope.io/v1/things', '/api/v2/secrets', '/apis/apps/v1/namespaces/default/deployments/x/nope', '/api/v1/namespaces/default/secrets/a/b/c/d', '/nothing']) {
      const b = await status(p);
      assert.equal(b.code, 404, p);
      assert.equal(b.reason, 'NotFound');
    }
  });

  it('wrong content type → 415 UnsupportedMediaType', async () => {
    const b = await status('/api/v1/namespaces/default/secrets', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    assert.equal(b.code, 415);
    assert.equal(b.reason, 'UnsupportedMediaType');
    await t.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'p' } } });
    const p = await status('/api/v1/namespaces/default/secrets/p', { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(p.code, 415);
  });

  it('method not allowed → 405', async () => {
    const b = await status('/api/v1/namespaces/default/secrets', { method: 'PUT', headers: json, body: '{}' });
    assert.equal(b.code, 405);
    assert.equal(b.reason, 'MethodNotAllowed');
    assert.equal((await status('/api/v1/namespaces/default/secrets/x', { method: 'POST', headers: json, body: '{}' })).code, 405);
  });

  it('invalid names, selectors and resourceVersions → 422 / 400', async () => {
    const n = await status('/api/v1/namespaces/default/secrets', { method: 'POST', headers: json, body: '{"metadata":{"name":"Not_Valid"}}' });
    assert.equal(n.code, 422);
    assert.match(n.message, /metadata.name: Invalid value: "Not_Valid"/);
    const m = await status('/api/v1/namespaces/default/secrets', { method: 'POST', headers: json, body: '{"metadata":{}}' });
    assert.equal(m.code, 422);
    assert.equal((await status('/api/v1/namespaces/default/secrets?labelSelector=a%20in%20', {})).code, 400);
    assert.equal((await status('/api/v1/namespaces/default/secrets?watch=true&resourceVersion=abc', {})).code, 400);
    assert.equal((await status('/api/v1/namespaces/default/secrets?limit=1&continue=%%%', {})).code, 400);
  });

  it('a malformed path encoding → 400; deleting a protected namespace → 403', async () => {
    assert.equal((await status('/api/v1/namespaces/%E0%A4%A/secrets')).code, 400);
    const d = await status('/api/v1/namespaces/default', { method: 'DELETE' });
    assert.equal(d.code, 403);
    assert.equal(d.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
  });

  it('a raw protocol error does not take the server down', async () => {
    const net = await import('node:net');
    const { port } = new URL(t.cluster.url);
    await new Promise<void>((resolve) => {
      const s = net.connect(Number(port), '127.0.0.1', () => s.end('GARBAGE\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.resume();
    });
    const ok = await fetch(`${t.cluster.url}/version`);
    assert.equal(ok.status, 200);
  });
});
