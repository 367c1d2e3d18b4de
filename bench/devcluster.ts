// API server benchmark: 10 000 Secrets and 10 000 ExternalSecrets created through
// @kubernetes/client-node over keep-alive connections with some concurrency, then list and
// informer sync over them.
//   --cluster dev (default): the dev cluster, run in-process and as a child process (separate
//     event loop); writes bench/results/devcluster.json.
//   --cluster real: kube-apiserver, etcd and kube-controller-manager from
//     test/support/control-plane, over HTTPS with the admin certificate, the CRDs from
//     manifests/crds (schema and CEL rules) installed as the operator's install does; the server
//     RSS is kube-apiserver's plus etcd's. Writes bench/results/devcluster-real.json.
// Both print the same rows, so the two clusters read side by side.
//
//   node --import tsx bench/devcluster.ts [--cluster dev|real] [--count 10000] [--concurrency 32] [--mode both|in-process|child]
//   BENCH_SERVER_PROF=<dir> also writes a CPU profile of the child-process dev cluster there.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as k8s from '@kubernetes/client-node';
import { startDevCluster } from '../src/devcluster/dev-cluster.js';
import { applyCrdDirectory } from '../src/cli/dev-command.js';
import { startControlPlane } from '../test/support/control-plane/control-plane.js';
import { installKeyferry } from '../test/support/control-plane/shared-control-plane.js';
import { runPool } from './support/bounded-pool.js';
import { numberArg, textArg } from './support/command-line.js';
import { controlPlanePids } from './support/control-plane-processes.js';
import { KeepAliveKubeClient } from './support/keep-alive-kube-client.js';
import { peakRss } from './support/process-figures.js';

const root = join(import.meta.dirname, '..');


const COUNT = numberArg('count', 10000);
const CONCURRENCY = numberArg('concurrency', 32);
const MODE = textArg('mode', 'both');
const CLUSTER = textArg('cluster', 'dev');
if (CLUSTER !== 'dev' && CLUSTER !== 'real') throw new Error(`--cluster ${CLUSTER}: dev or real`);

/** Minimal CRD used when manifests/crds has no ExternalSecret. */
const FALLBACK_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'externalsecrets.keyferry.io' },
  spec: {
    group: 'keyferry.io', scope: 'Namespaced', names: { kind: 'ExternalSecret', plural: 'externalsecrets', listKind: 'ExternalSecretList', singular: 'externalsecret' },
    versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

interface Result {
  mode: string;
  count: number;
  concurrency: number;
  secretWritesPerSec: number;
  externalSecretWritesPerSec: number;
  listSecretsMs: number;
  listExternalSecretsMs: number;
  informerSyncSecretsMs: number;
  informerSyncExternalSecretsMs: number;
  serverRssMiB: number;
  crdSource: string;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const v = await fn();
  return [v, performance.now() - start];
}

/** The dev cluster at `url` with the CRDs; resolves to where they came from. */
async function installDevCrds(url: string): Promise<string> {
  const names = await applyCrdDirectory({ url }, join(root, 'manifests', 'crds'));
  if (names.includes('externalsecrets.keyferry.io')) return 'manifests/crds';
  await fetch(`${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(FALLBACK_CRD) });
  return 'bench fallback CRD';
}

/** A kubeconfig for the dev cluster at `url` (static token, plain HTTP). */
function devKubeconfig(url: string): string {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'dev', server: url, skipTLSVerify: true }],
    users: [{ name: 'dev', token: 'dev' }],
    contexts: [{ name: 'dev', cluster: 'dev', user: 'dev' }],
    currentContext: 'dev',
  });
  return kc.exportConfig();
}

/** Drives one server (CRDs installed) and measures. `serverRss` reads the server's RSS in bytes. */
async function measure(mode: string, kubeconfigYaml: string, crdSource: string, serverRss: () => Promise<number>): Promise<Result> {
  // client-node makes a fresh (non-keep-alive) agent per request; share one keep-alive agent instead.
  const client = await KeepAliveKubeClient.fromYaml(kubeconfigYaml, CONCURRENCY);
  const kc = client.config;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: 'bench' } } });

  const secretMs = await runPool(COUNT, CONCURRENCY, (i) => core.createNamespacedSecret({
    namespace: 'bench', body: { metadata: { name: `s-${i}`, labels: { bench: 'yes' } }, type: 'Opaque', immutable: true, data: { password: Buffer.from(`value-${i}`).toString('base64') } },
  }));
  const esMs = await runPool(COUNT, CONCURRENCY, (i) => custom.createNamespacedCustomObject({
    group: 'keyferry.io', version: 'v1alpha1', plural: 'externalsecrets', namespace: 'bench',
    body: {
      apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: `es-${i}` },
      spec: { secretStoreRef: { name: 'store', kind: 'SecretStore' }, refreshInterval: '1h', target: { name: `t-${i}` }, data: [{ secretKey: 'password', remoteRef: { key: `remote/${i % 2000}` } }] },
    },
  }));

  const [secrets, listSecretsMs] = await timed(() => core.listNamespacedSecret({ namespace: 'bench' }));
  const [ess, listEsMs] = await timed(() => custom.listNamespacedCustomObject({ group: 'keyferry.io', version: 'v1alpha1', plural: 'externalsecrets', namespace: 'bench' }) as Promise<{ items: unknown[] }>);
  if (secrets.items.length !== COUNT || ess.items.length !== COUNT) throw new Error(`expected ${COUNT} of each, got ${secrets.items.length} and ${ess.items.length}`);

  const secretInformer = k8s.makeInformer(kc, '/api/v1/namespaces/bench/secrets', () => core.listNamespacedSecret({ namespace: 'bench' }));
  const [, syncSecretsMs] = await timed(() => secretInformer.start());
  const esInformer = k8s.makeInformer(kc, '/apis/keyferry.io/v1alpha1/namespaces/bench/externalsecrets',
    () => custom.listNamespacedCustomObject({ group: 'keyferry.io', version: 'v1alpha1', plural: 'externalsecrets', namespace: 'bench' }) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>);
  const [, syncEsMs] = await timed(() => esInformer.start());
  if (secretInformer.list('bench').length !== COUNT || esInformer.list('bench').length !== COUNT) throw new Error('informer did not sync every object');
  await secretInformer.stop();
  await esInformer.stop();

  const rssBytes = await serverRss();
  client.close();
  return {
    mode, count: COUNT, concurrency: CONCURRENCY,
    secretWritesPerSec: Math.round(COUNT / (secretMs / 1000)),
    externalSecretWritesPerSec: Math.round(COUNT / (esMs / 1000)),
    listSecretsMs: Math.round(listSecretsMs), listExternalSecretsMs: Math.round(listEsMs),
    informerSyncSecretsMs: Math.round(syncSecretsMs), informerSyncExternalSecretsMs: Math.round(syncEsMs),
    serverRssMiB: Math.round(rssBytes / 1024 / 1024), crdSource,
  };
}

/** The dev cluster's RSS as it reports it (in-process: the whole benchmark process). */
const devServerRss = (url: string) => async () => ((await (await fetch(`${url}/_dev/stats`)).json()) as { rssBytes: number }).rssBytes;

async function inProcess(): Promise<Result> {
  const cluster = await startDevCluster();
  try {
    return await measure('in-process', devKubeconfig(cluster.url), await installDevCrds(cluster.url), devServerRss(cluster.url));
  } finally {
    await cluster.stop();
  }
}

/** The real control plane; the server RSS is kube-apiserver's and etcd's peak. */
async function realControlPlane(): Promise<Result> {
  const cp = await startControlPlane({ log: (l) => console.error(`  ${l}`) });
  try {
    await installKeyferry(cp);
    const serverRss = async () => {
      const pids = await controlPlanePids(cp.dir);
      return ((pids['kube-apiserver'] ? await peakRss(pids['kube-apiserver']) : 0) ?? 0) + ((pids.etcd ? await peakRss(pids.etcd) : 0) ?? 0);
    };
    return await measure(`real (${cp.kubernetesVersion})`, cp.kubeconfigYaml, 'manifests/crds', serverRss);
  } finally {
    await cp.stop();
  }
}

async function childProcess(): Promise<Result> {
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROF] : []), '--import', 'tsx', join(import.meta.dirname, 'devcluster.ts'), '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const rl = createInterface(child.stdout!);
      rl.once('line', (l) => resolve(l.trim()));
      child.once('exit', (c) => reject(new Error(`server exited with ${c}`)));
    });
    return await measure('child process', devKubeconfig(url), await installDevCrds(url), devServerRss(url));
  } finally {
    child.kill('SIGTERM');
  }
}

async function serve(): Promise<void> {
  const cluster = await startDevCluster();
  process.stdout.write(`${cluster.url}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await cluster.stop();
}

function table(results: Result[]): string {
  const rows: [string, (r: Result) => string][] = [
    ['Secret writes/s', (r) => String(r.secretWritesPerSec)],
    ['ExternalSecret writes/s', (r) => String(r.externalSecretWritesPerSec)],
    [`list ${COUNT} Secrets (ms)`, (r) => String(r.listSecretsMs)],
    [`list ${COUNT} ExternalSecrets (ms)`, (r) => String(r.listExternalSecretsMs)],
    ['informer sync Secrets (ms)', (r) => String(r.informerSyncSecretsMs)],
    ['informer sync ExternalSecrets (ms)', (r) => String(r.informerSyncExternalSecretsMs)],
    ['server RSS (MiB)', (r) => String(r.serverRssMiB)],
  ];
  const w0 = Math.max(...rows.map(([n]) => n.length));
  const cols = results.map((r) => Math.max(r.mode.length, 8));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w0) : c.padStart(cols[i - 1]))).join('  ');
  return [line(['', ...results.map((r) => r.mode)]), ...rows.map(([n, f]) => line([n, ...results.map(f)]))].join('\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve')) return serve();
  // The machine may be shared: the load when the run began goes into the result.
  const load = loadavg().map((l) => Math.round(l * 100) / 100);
  const results: Result[] = [];
  if (CLUSTER === 'real') {
    results.push(await realControlPlane());
    console.log(`real control plane: ${COUNT} Secrets + ${COUNT} ExternalSecrets (${results[0]!.crdSource}), client-node over HTTPS keep-alive, concurrency ${CONCURRENCY}; load average at start ${load.join(' ')}`);
    console.log(table(results));
    console.log('(server RSS: kube-apiserver and etcd, peak)');
  } else {
    if (MODE === 'both' || MODE === 'child') results.push(await childProcess());
    if (MODE === 'both' || MODE === 'in-process') results.push(await inProcess());
    console.log(`dev cluster: ${COUNT} Secrets + ${COUNT} ExternalSecrets (${results[0]!.crdSource}), client-node over HTTP keep-alive, concurrency ${CONCURRENCY}; load average at start ${load.join(' ')}`);
    console.log(table(results));
    console.log('(server RSS in-process is the whole benchmark process: server and client together)');
  }
  const file = CLUSTER === 'real' ? 'devcluster-real.json' : 'devcluster.json';
  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  await writeFile(join(root, 'bench', 'results', file), JSON.stringify({
    date: new Date().toISOString(), node: process.version, cluster: CLUSTER, machine: { cpus: cpus().length, loadAverageAtStart: { '1m': load[0], '5m': load[1], '15m': load[2] } }, results,
  }, null, 2) + '\n');
}

await main();
