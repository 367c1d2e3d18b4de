// Starts a real Kubernetes control plane on 127.0.0.1 for tests and benchmarks: etcd,
// kube-apiserver (TLS with a generated CA, RBAC, a ServiceAccount issuer so TokenRequest and
// TokenReview work, an admin client certificate) and kube-controller-manager (deployment,
// replicaset, statefulset, garbage collector, namespace, serviceaccount and token controllers,
// among its defaults). Binaries come from scripts/build-controlplane.sh (built once per
// machine, cached). Everything stops on stop(), on process exit and on SIGINT/SIGTERM;
// processes left by a run that was killed outright are reaped by the next start.
//
//   const cp = await startControlPlane();
//   cp.kubeconfigPath;   // admin (system:masters)
//   await cp.stop();
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { createControlPlanePki } from './pki.js';
import { startIssuerDiscovery, type IssuerDiscovery } from './issuer-discovery.js';
import { TestKubeClient } from '../test-kube-client.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DIR_PREFIX = 'keyferry-controlplane-';

export interface ControlPlane {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** Admin kubeconfig (client certificate in system:masters), credentials embedded. */
  readonly kubeconfigPath: string;
  readonly kubeconfigYaml: string;
  readonly caCertPem: string;
  readonly issuer: { issuer: string; discoveryUrl: string; jwksUri: string };
  /** Admin REST client. */
  readonly client: TestKubeClient;
  /**
   * The API server's audit log (JSON lines, Metadata level: who, verb, resource, response code;
   * never a request or response body) for the users in ControlPlaneOptions.auditUsers.
   */
  readonly auditLogPath: string;
  /** Folder with the key material and each component's log. */
  readonly dir: string;
  readonly kubernetesVersion: string;
  /** Stops kube-apiserver (SIGTERM) and starts it again with the same flags; resolves once it is ready. */
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Folder with kube-apiserver, kube-controller-manager and etcd; default: built or found by scripts/build-controlplane.sh. */
  binDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** How long to wait for the API server and controllers (default 120 s). */
  startTimeoutMs?: number;
  /** Users whose requests the audit log records (default: keyferry's ServiceAccount). */
  auditUsers?: string[];
}

/** The cached binaries' folder, building them when missing. */
export async function controlPlaneBinDir(): Promise<string> {
  if (process.env.KEYFERRY_CONTROLPLANE_BIN) return process.env.KEYFERRY_CONTROLPLANE_BIN;
  const { stdout } = await promisify(execFile)('bash', [join(repoRoot, 'scripts', 'build-controlplane.sh')], { maxBuffer: 16 << 20, timeout: 60 * 60_000 });
  return stdout.trim().split('\n').pop()!;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Kills processes of earlier runs whose test process died without stopping them. */
function reapAbandoned(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    let owner: { ownerPid: number; pids: number[] };
    try {
      owner = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as typeof owner;
    } catch {
      continue;
    }
    if (isAlive(owner.ownerPid)) continue;
    for (const pid of owner.pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = failed();
    if (why) throw new Error(`${what}: ${why}`);
    try {
      if (await probe()) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  const timeout = options.startTimeoutMs ?? 120_000;
  reapAbandoned();
  const binDir = options.binDir ?? await controlPlaneBinDir();
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  const children: ChildProcess[] = [];
  const exits = new Map<string, string>();
  const recordPids = () => writeFileSync(join(dir, 'pids.json'), JSON.stringify({ ownerPid: process.pid, pids: children.map((c) => c.pid).filter(Boolean) }));
  const killAll = () => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); };
  const onSignal = (signal: NodeJS.Signals) => { killAll(); process.kill(process.pid, signal); };
  const onExit = () => killAll();
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let issuer: IssuerDiscovery | undefined;
  const launched = new Map<string, { child: ChildProcess; args: string[] }>();
  const launch = (name: string, args: string[]) => {
    const out = createWriteStream(join(dir, `${name}.log`));
    const child = spawn(join(binDir, name), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    child.once('exit', (code, signal) => exits.set(name, `exited (${signal ?? code}); log:\n${tail(join(dir, `${name}.log`))}`));
    children.push(child);
    launched.set(name, { child, args });
    recordPids();
    return child;
  };
  const stop = async () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // The controller manager first, then the API server, then etcd: no component loses its backend while running.
    for (const child of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    await issuer?.close();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    log('control plane: generating certificates');
    const pki = await createControlPlanePki(dir);
    issuer = await startIssuerDiscovery(pki.serviceAccountPub);
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const url = `https://127.0.0.1:${apiPort}`;

    log('control plane: starting etcd');
    launch('etcd', [
      '--name=keyferry-test', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=keyferry-test=http://127.0.0.1:${etcdPeer}`,
      // A throwaway test store: durability buys nothing and fsync costs every write.
      '--unsafe-no-fsync', '--log-level=warn',
    ]);

    const auditPolicy = join(dir, 'audit-policy.yaml');
    const auditLogPath = join(dir, 'audit.log');
    await writeFile(auditPolicy, toYaml({
      apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived', 'ResponseStarted'],
      rules: [{ level: 'Metadata', users: options.auditUsers ?? ['system:serviceaccount:keyferry-system:keyferry'] }, { level: 'None' }],
    }));

    log('control plane: starting kube-apiserver');
    launch('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.servingCert}`, `--tls-private-key-file=${pki.servingKey}`, `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=${issuer.issuer}`, `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`, `--api-audiences=${issuer.issuer}`,
      '--authorization-mode=RBAC', '--service-cluster-ip-range=10.96.0.0/24', '--allow-privileged=true',
      // As on hardened clusters: setting blockOwnerDeletion needs update on the owner's finalizers.
      '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
      // Nothing in the tests serves the kubernetes Service's endpoints; do not maintain them.
      '--endpoint-reconciler-type=none',
      `--cert-dir=${dir}`, '--profiling=false', '--v=1',
      `--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLogPath}`, '--audit-log-format=json',
    ]);
    const kubeconfigYaml = toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'keyferry-real', cluster: { server: url, 'certificate-authority-data': Buffer.from(await readFile(pki.caCert)).toString('base64') } }],
      users: [{ name: 'keyferry-admin', user: { 'client-certificate-data': Buffer.from(await readFile(pki.adminCert)).toString('base64'), 'client-key-data': Buffer.from(await readFile(pki.adminKey)).toString('base64') } }],
      contexts: [{ name: 'keyferry-real', context: { cluster: 'keyferry-real', user: 'keyferry-admin', namespace: 'default' } }],
      'current-context': 'keyferry-real',
      preferences: {},
    });
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml, { mode: 0o600 });
    const client = TestKubeClient.fromYaml(kubeconfigYaml);
    const failed = () => [...exits].map(([n, why]) => `${n} ${why}`).join('\n') || undefined;
    const restartApiServer = async () => {
      const { child, args } = launched.get('kube-apiserver')!;
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      exits.delete('kube-apiserver');
      children.splice(children.indexOf(child), 1);
      launch('kube-apiserver', args);
      await waitFor('kube-apiserver /readyz after a restart', timeout, async () => (await client.raw('GET', '/readyz').catch(() => [0]))[0] === 200, failed);
    };
    await waitFor('kube-apiserver /readyz', timeout, async () => (await client.raw('GET', '/readyz'))[0] === 200, failed);

    log('control plane: starting kube-controller-manager');
    launch('kube-controller-manager', [
      `--kubeconfig=${kubeconfigPath}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0',
      `--service-account-private-key-file=${pki.serviceAccountKey}`, `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=false', '--controllers=*', '--v=1',
    ]);
    // The serviceaccount controller creating `default` in `default` shows the controllers run.
    await waitFor('kube-controller-manager', timeout, async () => (await client.get('v1', 'ServiceAccount', 'default', 'default')) !== undefined, failed);
    const version = JSON.parse((await client.raw('GET', '/version'))[1]) as { gitVersion: string };
    log(`control plane: Kubernetes ${version.gitVersion} ready at ${url}`);
    return {
      url,
      kubeconfigPath,
      kubeconfigYaml,
      caCertPem: await readFile(pki.caCert, 'utf8'),
      issuer: { issuer: issuer.issuer, discoveryUrl: issuer.discoveryUrl, jwksUri: issuer.jwksUri },
      client,
      dir,
      kubernetesVersion: version.gitVersion,
      auditLogPath,
      restartApiServer,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
