// The limiter-stall attack as a benchmark: 100 ordinary ExternalSecrets in 10 namespaces, once
// alone and once next to an attacker's namespace whose SecretStore allows one provider call
// per 1 000 s (the least the CRD admits) with 6 ExternalSecrets on it, created first. Each run
// starts a dev cluster (in this process) and `keyferry run` (its own process, 4 workers) with
// everything applied, and measures the time from the operator's caches synced until all 100
// ordinary ExternalSecrets are Ready. Runs alternate, `--runs` of each; the figure is the ratio
// of the medians, measured in this one run (target: at most 1.5).
//
//   node --import tsx bench/tenant-stall.ts [--runs 3] [--normal 100]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevCluster } from '../src/devcluster/dev-cluster.js';
import { applyCrdDirectory } from '../src/cli/dev-command.js';
import { startOperatorProcess } from '../test/support/operator-process.js';
import { numberArg } from './support/command-line.js';
import { printMarkdownTable } from './support/markdown-table.js';

const root = join(import.meta.dirname, '..');
const API = 'keyferry.io/v1alpha1';
const RUNS = numberArg('runs', 3);
const NORMAL = numberArg('normal', 100);
const NAMESPACES = 10;

interface Run {
  scenario: 'alone' | 'with attacker';
  seconds: number;
  attackerWaiting: number;
}

async function once(withAttacker: boolean): Promise<Run> {
  const cluster = await startDevCluster({ port: 0 });
  const dir = await mkdtemp(join(tmpdir(), 'keyferry-bench-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  let op: Awaited<ReturnType<typeof startOperatorProcess>> | undefined;
  try {
    await applyCrdDirectory(cluster, join(root, 'manifests', 'crds'));
    await cluster.writeKubeconfig(kubeconfigPath);
    if (withAttacker) {
      await cluster.apply([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'attacker' } },
        {
          apiVersion: API, kind: 'SecretStore', metadata: { name: 'glacial', namespace: 'attacker' },
          spec: { provider: { fake: { data: Array.from({ length: 6 }, (_, i) => ({ key: `s${i}`, value: `v${i}` })) } }, rateLimit: { requestsPerSecond: 0.001, burst: 1, maxConcurrent: 1 } },
        },
        ...Array.from({ length: 6 }, (_, i) => ({
          apiVersion: API, kind: 'ExternalSecret', metadata: { name: `slow-${i}`, namespace: 'attacker' },
          spec: { secretStoreRef: { name: 'glacial' }, refreshInterval: '1h', data: [{ secretKey: 'v', remoteRef: { key: `s${i}` } }] },
        })),
      ]);
    }
    for (let n = 0; n < NAMESPACES; n++) {
      const ns = `tenant-${n}`;
      const per = NORMAL / NAMESPACES;
      await cluster.apply([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        { apiVersion: API, kind: 'SecretStore', metadata: { name: 'store', namespace: ns }, spec: { provider: { fake: { data: Array.from({ length: per }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) } } } },
        ...Array.from({ length: per }, (_, i) => ({
          apiVersion: API, kind: 'ExternalSecret', metadata: { name: `es-${i}`, namespace: ns },
          spec: { secretStoreRef: { name: 'store' }, refreshInterval: '1h', data: [{ secretKey: 'v', remoteRef: { key: `k${i}` } }] },
        })),
      ]);
    }
    op = await startOperatorProcess({ kubeconfigPath, logLevel: 'info', args: ['--concurrency', '4'] });
    const started = Date.now();
    const readyCount = async (ns?: string) => (await cluster.list(API, 'ExternalSecret', ns)).filter((o) => !String(o.metadata?.namespace).startsWith('attacker') && (o.status as { conditions?: Array<{ status: string }> } | undefined)?.conditions?.[0]?.status === 'True').length;
    const deadline = started + 120_000;
    while ((await readyCount()) < NORMAL) {
      if (Date.now() > deadline) throw new Error(`only ${await readyCount()} of ${NORMAL} ordinary ExternalSecrets Ready after 120 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (Date.now() - started) / 1000;
    const attackerWaiting = withAttacker
      ? (await cluster.list(API, 'ExternalSecret', 'attacker')).filter((o) => /rate limit/.test(JSON.stringify(o.status ?? {}))).length
      : 0;
    return { scenario: withAttacker ? 'with attacker' : 'alone', seconds, attackerWaiting };
  } finally {
    await op?.kill();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const load = loadavg()[0];
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await once(false));
    runs.push(await once(true));
  }
  const alone = median(runs.filter((r) => r.scenario === 'alone').map((r) => r.seconds));
  const attacked = median(runs.filter((r) => r.scenario === 'with attacker').map((r) => r.seconds));
  printMarkdownTable(['scenario', 'runs (s)', 'median s', 'attacker ExternalSecrets told to wait'], [
    ['100 ordinary ExternalSecrets alone', runs.filter((r) => r.scenario === 'alone').map((r) => r.seconds.toFixed(2)).join(', '), alone.toFixed(2), '–'],
    ['the same next to 6 on a store of 0.001 calls/s', runs.filter((r) => r.scenario === 'with attacker').map((r) => r.seconds.toFixed(2)).join(', '), attacked.toFixed(2), runs.filter((r) => r.scenario === 'with attacker').map((r) => r.attackerWaiting).join(', ')],
  ]);
  const ratio = attacked / alone;
  console.log(`\nratio with attacker / alone: ${ratio.toFixed(2)} (target ≤ 1.5); load at start ${load.toFixed(2)}`);
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  await writeFile(join(import.meta.dirname, 'results', 'tenant-stall.json'), JSON.stringify({ node: process.version, loadAtStart: load, runs, medianAlone: alone, medianWithAttacker: attacked, ratio }, null, 2));
  if (ratio > 1.5) process.exitCode = 1;
}

await main();
