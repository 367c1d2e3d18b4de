// The loopback guard trips for every way out of the machine and lets loopback through.
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { lookup as namedLookup } from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { installLoopbackGuard, isLoopbackHost, NonLoopbackConnectionError, blockedAttempts, withoutRunWideGuard } from '../../support/loopback-guard.js';

describe('loopback guard', () => {
  let uninstall: () => void;
  beforeEach(() => {
    uninstall = installLoopbackGuard();
  });
  afterEach(() => uninstall());

  it('classifies loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['169.254.169.254', '10.0.0.1', '8.8.8.8', 'metadata.google.internal', 'oauth2.googleapis.com', '::ffff:10.0.0.1', '2001:db8::1']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });

  it('throws for a TCP connect to the metadata server address', () => {
    const before = blockedAttempts.length;
    assert.throws(() => net.connect({ host: '169.254.169.254', port: 80 }), NonLoopbackConnectionError);
    assert.throws(() => new net.Socket().connect(443, '10.1.2.3'), NonLoopbackConnectionError);
    assert.equal(blockedAttempts.length, before + 2);
  });

  it('throws for an HTTP request and a TLS connect to a public host', () => {
    assert.throws(() => http.get('http://169.254.169.254/computeMetadata/v1/'), NonLoopbackConnectionError);
    assert.throws(() => tls.connect({ host: 'secretmanager.googleapis.com', port: 443 }), NonLoopbackConnectionError);
  });

  it('throws for DNS lookups of public names, through the default and named exports and promises', async () => {
    assert.throws(() => dns.lookup('oauth2.googleapis.com', () => undefined), NonLoopbackConnectionError);
    assert.throws(() => namedLookup('metadata.google.internal', () => undefined), NonLoopbackConnectionError);
    await assert.rejects(dns.promises.lookup('sts.googleapis.com'), NonLoopbackConnectionError);
  });

  it('throws for record lookups (resolve*, Resolver instances) of public names', async () => {
    assert.throws(() => dns.resolveTxt('_grpc_config.secretmanager.googleapis.com', () => undefined), NonLoopbackConnectionError);
    assert.throws(() => new dns.Resolver().resolve4('metadata.google.internal', () => undefined), NonLoopbackConnectionError);
    await assert.rejects(dns.promises.resolveSrv('_ldap._tcp.example.com'), NonLoopbackConnectionError);
    await assert.rejects(new dns.promises.Resolver().resolveTxt('_grpc_config.example.com'), NonLoopbackConnectionError);
  });

  it('lets loopback connections through', async () => {
    const server = net.createServer((socket) => socket.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        let data = '';
        socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      assert.equal(reply, 'ok');
      const address = await dns.promises.lookup('localhost');
      assert.ok(isLoopbackHost(address.address));
    } finally {
      server.close();
    }
  });

  it('restores the original functions once the last install is removed', () => {
    uninstall();
    withoutRunWideGuard(() => {
      const original = net.Socket.prototype.connect;
      const nested = [installLoopbackGuard(), installLoopbackGuard()];
      assert.notEqual(net.Socket.prototype.connect, original);
      nested[0]!();
      assert.notEqual(net.Socket.prototype.connect, original, 'still guarded while one install remains');
      nested[1]!();
      assert.equal(net.Socket.prototype.connect, original);
    });
    uninstall = installLoopbackGuard();
  });
});
