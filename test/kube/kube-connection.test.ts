// How the operator finds and authenticates to the API server without client-node's KubeConfig:
// each kind of kubeconfig user and the in-cluster ServiceAccount, checked against local
// servers that record what arrives.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { connectionFromKubeconfig, inClusterSettings, kubeconfigPath, SettingsConnection, settingsFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp, KubeApiError, type WatchHandle } from '../../src/kube/kube-http.js';
import { selfSignedIdentity } from '../../src/metrics/tls-identity.js';

interface Recorder {
  url: string;
  port: number;
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** A self-signed certificate and key for 127.0.0.1, as PEM text. */
async function pemPair(): Promise<{ cert: string; key: string }> {
  const { cert, key } = (await selfSignedIdentity(['127.0.0.1'])).current();
  return { cert: String(cert), key: String(key) };
}

async function listen(server: Server, scheme: 'http' | 'https', seen: IncomingHttpHeaders[]): Promise<Recorder> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `${scheme}://127.0.0.1:${port}`, port, seen, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

/** Answers every request with an empty ConfigMap list, or 403 for /forbidden, and keeps the request headers. */
function handler(seen: IncomingHttpHeaders[]) {
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    seen.push(req.headers);
    if (req.url?.startsWith('/forbidden')) {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 403, reason: 'Forbidden', message: 'configmaps is forbidden: User "x" cannot list' }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: '7' }, items: [] }));
  };
}

const kubeconfig = (server: string, cluster: Record<string, unknown>, user: Record<string, unknown>) => toYaml({
  apiVersion: 'v1', kind: 'Config',
  clusters: [{ name: 'c', cluster: { server, ...cluster } }],
  users: [{ name: 'u', user }],
  contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'ctx',
});

describe('KubeConnection', function () {
  this.timeout(20_000);
  let dir: string;
  let watchHandle: WatchHandle | undefined;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'keyferry-conn-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('sends a kubeconfig token as a bearer token, and reports API errors with their status and no body beyond the message', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = await listen(createHttpServer(handler(seen)), 'http', seen);
    try {
      const http = new KubeHttp(await connectionFromKubeconfig(kubeconfig(server.url, { 'insecure-skip-tls-verify': true }, { token: 'tok-1' }), dir));
      const list = await http.list('/api/v1/configmaps', { limit: 5 });
      assert.equal(list.metadata?.resourceVersion, '7');
      assert.equal(seen[0]!.authorization, 'Bearer tok-1');
      const error = await http.get('/forbidden').catch((e: unknown) => e);
      assert.ok(error instanceof KubeApiError);
      assert.equal(error.code, 403);
      assert.match(error.message, /HTTP 403 configmaps is forbidden/);
    } finally {
      await server.close();
    }
  });

  it('refuses to send credentials over plain HTTP unless TLS checks were waived on purpose', async () => {
    await assert.rejects(connectionFromKubeconfig(kubeconfig('http://127.0.0.1:1', {}, { token: 't' }), dir), /plain HTTP/);
  });

  it('reads the Pod ServiceAccount: CA and token from the mounted files, the token again a minute later (it rotates)', async () => {
    const identity = await pemPair();
    const seen: IncomingHttpHeaders[] = [];
    const server = await listen(createHttpsServer({ cert: identity.cert, key: identity.key }, handler(seen)) as unknown as Server, 'https', seen);
    const sa = join(dir, 'sa');
    await mkdir(sa, { recursive: true });
    await writeFile(join(sa, 'ca.crt'), identity.cert);
    await writeFile(join(sa, 'token'), 'first\n');
    let clock = 0;
    try {
      const settings = inClusterSettings({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(server.port) }, sa);
      const http = new KubeHttp(new SettingsConnection(settings, () => clock));
      await http.get('/api/v1/configmaps');
      await writeFile(join(sa, 'token'), 'second\n');
      clock += 59_000;
      await http.get('/api/v1/configmaps');
      clock += 1_000;
      await http.get('/api/v1/configmaps');
      assert.deepEqual(seen.map((h) => h.authorization), ['Bearer first', 'Bearer first', 'Bearer second']);
    } finally {
      await server.close();
    }
  });

  it('checks the server certificate against the kubeconfig CA (a server it does not sign is refused)', async () => {
    const served = await pemPair();
    const other = await pemPair();
    const seen: IncomingHttpHeaders[] = [];
    const server = await listen(createHttpsServer({ cert: served.cert, key: served.key }, handler(seen)) as unknown as Server, 'https', seen);
    try {
      const trusting = new KubeHttp(await connectionFromKubeconfig(kubeconfig(server.url, { 'certificate-authority-data': Buffer.from(served.cert).toString('base64') }, { token: 't' }), dir));
      await trusting.get('/api/v1/configmaps');
      const wrongCa = new KubeHttp(await connectionFromKubeconfig(kubeconfig(server.url, { 'certificate-authority-data': Buffer.from(other.cert).toString('base64') }, { token: 't' }), dir));
      await assert.rejects(wrongCa.get('/api/v1/configmaps'), /self[- ]signed|unable to verify|certificate/i);
      assert.equal(seen.length, 1);
    } finally {
      await server.close();
    }
  });

  it('reads client certificate files relative to the kubeconfig, as kubectl does', async () => {
    const identity = await pemPair();
    await writeFile(join(dir, 'client.crt'), identity.cert);
    await writeFile(join(dir, 'client.key'), identity.key);
    const settings = settingsFromKubeconfig(kubeconfig('https://127.0.0.1:6443', {}, { 'client-certificate': 'client.crt', 'client-key': 'client.key' }), dir);
    assert.equal(settings.cert?.toString(), identity.cert);
    assert.equal(settings.key?.toString(), identity.key);
    assert.equal(settings.token, undefined);
  });

  it('hands a kubeconfig with an exec plugin to client-node, and its token reaches the server', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = await listen(createHttpServer(handler(seen)), 'http', seen);
    const plugin = join(dir, 'plugin.mjs');
    await writeFile(plugin, `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } }));\n`);
    try {
      const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' };
      const connection = await connectionFromKubeconfig(kubeconfig(server.url, { 'insecure-skip-tls-verify': true }, { exec }), dir);
      await new KubeHttp(connection).get('/api/v1/configmaps');
      assert.equal(seen[0]!.authorization, 'Bearer from-exec');
    } finally {
      await server.close();
    }
  });

  it('opens at most 32 connections for requests however many are in flight, and a watch still gets one of its own', async () => {
    let open = 0;
    let most = 0;
    const held: Array<() => void> = [];
    const server = createHttpServer((req, res) => {
      if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'w', resourceVersion: '1' } } })}\n`);
        return;
      }
      // Held until every request has arrived or waits for a connection.
      held.push(() => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{}'); });
    });
    server.on('connection', (socket) => {
      most = Math.max(most, ++open);
      socket.on('close', () => open--);
    });
    const recorder = await listen(server, 'http', []);
    try {
      const http = new KubeHttp(await connectionFromKubeconfig(kubeconfig(recorder.url, { 'insecure-skip-tls-verify': true }, { token: 't' }), dir));
      const requests = Array.from({ length: 64 }, () => http.get('/api/v1/configmaps'));
      while (held.length < 32) await new Promise((r) => setImmediate(r));
      // All 32 connections are busy; a watch is not queued behind them.
      const event = await new Promise<string>((resolve, reject) => {
        void http.watch('/api/v1/configmaps', {}, (e) => resolve(e.type), (e) => { if (e) reject(e as Error); }).then((w) => { watchHandle = w; });
      });
      assert.equal(event, 'ADDED');
      while (held.length > 0 || requests.length > 0) {
        for (const release of held.splice(0)) release();
        await Promise.race([Promise.all(requests).then(() => requests.splice(0)), new Promise((r) => setImmediate(r))]);
      }
      assert.equal(most, 33, 'the 32 request connections and the watch');
    } finally {
      watchHandle?.abort();
      await recorder.close();
    }
  });

  it('finds the kubeconfig in client-go\'s order: the one given, else the first of $KUBECONFIG that exists, else ~/.kube/config', async () => {
    const home = join(dir, 'home');
    await mkdir(join(home, '.kube'), { recursive: true });
    await writeFile(join(home, '.kube', 'config'), 'x');
    await writeFile(join(dir, 'b.yaml'), 'x');
    assert.equal(kubeconfigPath('/given', { HOME: home }), '/given');
    assert.equal(kubeconfigPath(undefined, { HOME: home, KUBECONFIG: `${join(dir, 'missing.yaml')}:${join(dir, 'b.yaml')}` }), join(dir, 'b.yaml'));
    assert.equal(kubeconfigPath(undefined, { HOME: home }), join(home, '.kube', 'config'));
    assert.equal(kubeconfigPath(undefined, { HOME: join(dir, 'nobody') }), undefined);
  });
});
