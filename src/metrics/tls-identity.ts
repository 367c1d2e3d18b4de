// Where the metrics server's certificate comes from: a directory holding `tls.crt` and
// `tls.key` (a cert-manager Certificate or any kubernetes.io/tls Secret mounted there),
// re-read when the files change; or, without one, a self-signed certificate made at start,
// as controller-runtime's secure metrics serving does. Scrapers of a self-signed endpoint
// skip verification, so the bearer token check is what protects it.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { generate } from 'selfsigned';
import type { TlsIdentity } from './http-server.js';

type Pem = { cert: string; key: string };

export const CERT_FILE = 'tls.crt';
export const KEY_FILE = 'tls.key';

function readPair(dir: string): Pem {
  const pair = { cert: readFileSync(join(dir, CERT_FILE), 'utf8'), key: readFileSync(join(dir, KEY_FILE), 'utf8') };
  // Throws on a key that does not match its certificate, or on half-written files.
  createSecureContext(pair);
  return pair;
}

/**
 * The pair in `dir`, polled every `pollMs` (Secret volumes are swapped by symlink, which
 * stat follows). A pair that does not load keeps the previous one in service.
 */
export function certDirIdentity(dir: string, options: { pollMs?: number; onError?: (error: unknown) => void } = {}): TlsIdentity {
  let current = readPair(dir);
  return {
    current: () => current,
    watch(listener) {
      const files = [join(dir, CERT_FILE), join(dir, KEY_FILE)];
      const reload = () => {
        try {
          const next = readPair(dir);
          if (next.cert === current.cert && next.key === current.key) return;
          current = next;
          listener(current);
        } catch (error) {
          options.onError?.(error);
        }
      };
      for (const f of files) watchFile(f, { interval: options.pollMs ?? 10_000, persistent: false }, reload);
      return () => {
        for (const f of files) unwatchFile(f, reload);
      };
    },
  };
}

/** A self-signed certificate for `hosts` (DNS names or IP addresses), valid for a year. */
export async function selfSignedIdentity(hosts: string[], now = new Date()): Promise<TlsIdentity> {
  const ip = /^[\d.]+$|:/;
  const pair = await generate([{ name: 'commonName', value: 'keyferry-metrics' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 5 * 60_000),
    notAfterDate: new Date(now.getTime() + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: hosts.map((h) => (ip.test(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })) },
    ],
  });
  const identity = { cert: pair.cert, key: pair.private };
  return { current: () => identity };
}
