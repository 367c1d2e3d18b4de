// Makes a test run fail loudly if anything tries to reach an address outside 127.0.0.0/8
// (or ::1): the socket connect, TLS connect and DNS lookup entry points throw for any
// other target. SDKs that would quietly probe a metadata server or a public endpoint
// therefore fail the test instead of leaving the machine.
//
// Use it per suite:   before(() => { uninstall = installLoopbackGuard(); }); after(() => uninstall());
// or for a whole run: mocha --require test/support/loopback-guard.ts (exports `mochaHooks`).
import dns from 'node:dns';
import { isIP } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import { syncBuiltinESMExports } from 'node:module';

export class NonLoopbackConnectionError extends Error {
  override readonly name = 'NonLoopbackConnectionError';
  constructor(readonly target: string, readonly via: string) {
    super(`test tried to reach ${target} via ${via}: only 127.0.0.0/8 and ::1 may be contacted in tests`);
  }
}

/** Every blocked attempt since the guard was first installed (for an after-hook to assert on). */
export const blockedAttempts: NonLoopbackConnectionError[] = [];

/** Whether `host` is a loopback address or `localhost` (which resolves only to loopback). */
export function isLoopbackHost(host: string | undefined | null): boolean {
  if (host === undefined || host === null || host === '') return true; // Node's default host is localhost
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  const kind = isIP(bare);
  if (kind === 4) return bare.startsWith('127.');
  if (kind === 6) {
    const lower = bare.toLowerCase();
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

function block(target: string, via: string): never {
  const error = new NonLoopbackConnectionError(target, via);
  blockedAttempts.push(error);
  throw error;
}

/** Extracts the target of `socket.connect(...)` / `tls.connect(...)` arguments; undefined for a unix socket path. */
function connectTarget(args: unknown[]): { host?: string; port?: unknown } | undefined {
  let first = args[0];
  // net internals call connect with a [options, callback] array ("normalized args").
  if (Array.isArray(first)) first = first[0];
  if (first !== null && typeof first === 'object') {
    const options = first as { host?: string; port?: unknown; path?: string };
    if (options.path !== undefined && options.port === undefined) return undefined;
    return { host: options.host, port: options.port };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  }
  if (typeof first === 'string') return undefined; // a unix socket path
  return {};
}

let installCount = 0;
let restore: (() => void) | undefined;

/**
 * Installs the guard; returns a function that removes it. Nested installs are counted, so
 * suites may each install it while a root hook also does.
 */
export function installLoopbackGuard(): () => void {
  installCount += 1;
  if (installCount === 1) {
    const socketConnect = net.Socket.prototype.connect;
    const tlsConnect = tls.connect;
    const dnsLookup = dns.lookup;
    const dnsPromisesLookup = dns.promises.lookup;

    net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
      const target = connectTarget(args);
      if (target && !isLoopbackHost(target.host)) block(`${target.host}:${String(target.port)}`, 'net.Socket.connect');
      return (socketConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof socketConnect;
    tls.connect = function guardedTlsConnect(...args: unknown[]) {
      const target = connectTarget(args);
      if (target && !isLoopbackHost(target.host)) block(`${target.host}:${String(target.port)}`, 'tls.connect');
      return (tlsConnect as (...a: unknown[]) => tls.TLSSocket)(...args);
    } as typeof tlsConnect;
    dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
      if (!isLoopbackHost(hostname)) block(hostname, 'dns.lookup');
      return (dnsLookup as (...a: unknown[]) => void)(hostname, ...rest);
    } as typeof dnsLookup;
    dns.promises.lookup = function guardedPromisesLookup(hostname: string, ...rest: unknown[]) {
      if (!isLoopbackHost(hostname)) {
        try {
          block(hostname, 'dns.promises.lookup');
        } catch (error) {
          return Promise.reject(error as Error);
        }
      }
      return (dnsPromisesLookup as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest);
    } as typeof dnsPromisesLookup;
    // Record lookups (resolve*, reverse) go to the system's DNS servers themselves, so
    // they are blocked for non-loopback names too, on the module and on Resolver instances.
    const resolverTargets: Array<Record<string, unknown>> = [
      dns as unknown as Record<string, unknown>,
      dns.promises as unknown as Record<string, unknown>,
      dns.Resolver.prototype as unknown as Record<string, unknown>,
      dns.promises.Resolver.prototype as unknown as Record<string, unknown>,
    ];
    const resolverOriginals: Array<[Record<string, unknown>, string, unknown]> = [];
    for (const target of resolverTargets) {
      const promised = target === resolverTargets[1] || target === resolverTargets[3];
      for (const method of ['resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveMx', 'resolveNs', 'resolveSrv', 'resolveTxt', 'resolveSoa', 'resolveNaptr', 'resolveCaa', 'resolvePtr', 'reverse']) {
        const original = target[method];
        if (typeof original !== 'function') continue;
        resolverOriginals.push([target, method, original]);
        target[method] = function guardedResolve(this: unknown, name: string, ...rest: unknown[]) {
          if (!isLoopbackHost(name)) {
            if (!promised) block(name, `dns.${method}`);
            try {
              block(name, `dns.promises.${method}`);
            } catch (error) {
              return Promise.reject(error as Error);
            }
          }
          return (original as (...a: unknown[]) => unknown).call(this, name, ...rest);
        };
      }
    }
    // ESM named imports of builtins (`import { lookup } from 'node:dns'`) see the patch only after a sync.
    syncBuiltinESMExports();

    restore = () => {
      net.Socket.prototype.connect = socketConnect;
      tls.connect = tlsConnect;
      dns.lookup = dnsLookup;
      dns.promises.lookup = dnsPromisesLookup;
      for (const [target, method, original] of resolverOriginals) target[method] = original;
      syncBuiltinESMExports();
    };
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    installCount -= 1;
    if (installCount === 0) {
      restore?.();
      restore = undefined;
    }
  };
}

let rootUninstall: (() => void) | undefined;

/** Mocha root hooks, for `--require test/support/loopback-guard.ts`. */
export const mochaHooks = {
  beforeAll(): void {
    rootUninstall = installLoopbackGuard();
  },
  afterAll(): void {
    rootUninstall?.();
    rootUninstall = undefined;
  },
};

/** Runs `fn` with the run-wide guard (if any) lifted, for tests of the guard's own install counting. */
export function withoutRunWideGuard<T>(fn: () => T): T {
  const installed = rootUninstall !== undefined;
  if (installed) mochaHooks.afterAll();
  try {
    return fn();
  } finally {
    if (installed) mochaHooks.beforeAll();
  }
}
