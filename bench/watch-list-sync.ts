// One informer's initial sync on the real control plane, by watch-list and by the paged list:
// 10 000 Secrets of 1 KB labelled as keyferry's versions, synced by a fresh process each time
// (on, off, off, on, on, off), with the values dropped as the managed-Secret cache drops them.
// Reports each sync's time and the process's peak RSS, and the means of each mode.
//
//   node --import tsx bench/watch-list-sync.ts [--objects 10000]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane } from '../test/support/control-plane/control-plane.js';
import { numberArg } from './support/command-line.js';
import { printMarkdownTable } from './support/markdown-table.js';

const N = numberArg('objects', 10_000);
const ORDER = ['on', 'off', 'off', 'on', 'on', 'off'] as const;

interface Sync { mode: string; via: string; objects: number; syncMs: number; peakRssMiB: number; rssBeforeMiB: number }

const cp = await startControlPlane();
try {
  const data = { value: Buffer.alloc(700, 'x').toString('base64') };
  let next = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < N) {
      const i = next++;
      const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name: `v-${i}`, labels: { 'keyferry.io/managed': 'true' } }, data };
      const [status] = await cp.client.raw('POST', '/api/v1/namespaces/default/secrets', body);
      if (status !== 201) throw new Error(`creating Secret v-${i}: HTTP ${status}`);
    }
  }));
  console.error(`created ${N} Secrets in ${Date.now() - started} ms`);
  const runs: Sync[] = [];
  for (const mode of ORDER) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'support', 'watch-list-sync-child.ts'), cp.kubeconfigPath, mode], { encoding: 'utf8' });
    const run = JSON.parse(out.trim()) as Sync;
    if (run.objects !== N) throw new Error(`${mode}: synced ${run.objects} of ${N}`);
    runs.push(run);
  }
  const mean = (mode: string, f: (s: Sync) => number) => runs.filter((r) => r.mode === mode).reduce((n, r) => n + f(r), 0) / ORDER.filter((m) => m === mode).length;
  const ratio = (f: (s: Sync) => number) => (mean('on', f) / mean('off', f)).toFixed(2);
  printMarkdownTable(['watch-list', 'synced via', 'sync ms', 'peak RSS MiB', 'RSS before MiB'], runs.map((r) => [r.mode, r.via, r.syncMs, r.peakRssMiB, r.rssBeforeMiB]));
  console.log(`on ÷ off (means): sync time ${ratio((r) => r.syncMs)}, peak RSS ${ratio((r) => r.peakRssMiB)}, RSS growth during the sync ${ratio((r) => r.peakRssMiB - r.rssBeforeMiB)}`);
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', 'watch-list-sync.json'), JSON.stringify({ objects: N, runs, node: process.version }, null, 2));
} finally {
  await cp.stop();
}
