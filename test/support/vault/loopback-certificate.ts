// A throwaway TLS identity for servers on 127.0.0.1: one self-signed certificate that is its
// own trust anchor, so a client given it as its CA bundle verifies the server, and a client
// without it refuses the connection.
import { generate } from 'selfsigned';

export interface LoopbackCertificate {
  /** PEM certificate: serve it, and trust it as the CA. */
  cert: string;
  key: string;
  /** The certificate base64-encoded, as a store's `caBundle` takes it. */
  caBundle: string;
}

export async function createLoopbackCertificate(): Promise<LoopbackCertificate> {
  const issued = Date.now();
  const pair = await generate([{ name: 'commonName', value: 'keyferry loopback' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(issued - 5 * 60_000),
    notAfterDate: new Date(issued + 12 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { cert: pair.cert, key: pair.private, caBundle: Buffer.from(pair.cert).toString('base64') };
}
