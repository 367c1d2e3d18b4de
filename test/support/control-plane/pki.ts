// Key material for a test control plane, made with the openssl command line (Node's crypto
// cannot issue X.509 certificates): a CA, the API server's serving certificate for 127.0.0.1,
// an admin client certificate in system:masters, and the RSA key that signs ServiceAccount
// tokens (RS256, what the wire servers' token verifiers accept).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ControlPlanePki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 30_000 });
}

async function issue(dir: string, name: string, subject: string, extensions: string, ca: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  // A serial of its own: certificates issued at once would race on a shared -CAcreateserial file
  // (one openssl reads ca.srl while the other writes it: "Unable to load number").
  const serial = `0x${randomBytes(8).toString('hex')}`;
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial, '-days', '7', '-out', cert, '-extfile', ext]);
  return { cert, key };
}

export async function createControlPlanePki(dir: string): Promise<ControlPlanePki> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '7', '-subj', '/CN=keyferry-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const ca = { cert: caCert, key: caKey };
  const [serving, admin] = await Promise.all([
    issue(dir, 'apiserver', '/CN=kube-apiserver', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n', ca),
    issue(dir, 'admin', '/O=system:masters/CN=keyferry-test-admin', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n', ca),
  ]);
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', serviceAccountKey]);
  await openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub]);
  return { caCert, caKey, servingCert: serving.cert, servingKey: serving.key, adminCert: admin.cert, adminKey: admin.key, serviceAccountKey, serviceAccountPub };
}
