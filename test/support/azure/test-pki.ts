// A throwaway PKI for the Azure wire tests: a CA, a TLS certificate for 127.0.0.1 signed by
// it (served by the local vault and Entra ID), and RSA client certificates for service
// principal certificate auth.
import { createHash, X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

export interface ClientCertificate {
  certPem: string;
  keyPem: string;
  /** Certificate and key in one PEM, as a Kubernetes Secret would hold it. */
  combinedPem: string;
  /** SHA-1 and SHA-256 thumbprints of the DER certificate, as Entra ID registers them. */
  sha1: Buffer;
  sha256: Buffer;
}

export async function createTestPki(): Promise<TestPki> {
  const now = Date.now();
  const ca = await generate([{ name: 'commonName', value: 'keyferry test CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 24 * 3600_000),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { caCert: ca.cert, serverCert: leaf.cert, serverKey: leaf.private };
}

export async function createClientCertificate(commonName: string): Promise<ClientCertificate> {
  const now = Date.now();
  const made = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 24 * 3600_000),
  });
  const der = new X509Certificate(made.cert).raw;
  return {
    certPem: made.cert,
    keyPem: made.private,
    combinedPem: `${made.private.trim()}\n${made.cert.trim()}\n`,
    sha1: createHash('sha1').update(der).digest(),
    sha256: createHash('sha256').update(der).digest(),
  };
}
