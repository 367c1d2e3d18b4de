// The processes of one real control plane (test/support/control-plane), found in /proc by
// binary name and an argument naming the control plane's folder, for their CPU and memory.
import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { cpuSeconds, peakRss } from './process-figures.js';

export type ControlPlaneComponent = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

export async function controlPlanePids(dir: string): Promise<Partial<Record<ControlPlaneComponent, number>>> {
  const out: Partial<Record<ControlPlaneComponent, number>> = {};
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
    } catch {
      continue;
    }
    const name = basename(argv[0] ?? '');
    if ((name === 'etcd' || name === 'kube-apiserver' || name === 'kube-controller-manager') && argv.some((a) => a.includes(dir))) out[name] = Number(entry);
  }
  return out;
}

/** CPU seconds and peak RSS (MiB) of each component, 0 where /proc cannot say. */
export async function controlPlaneFigures(dir: string): Promise<Record<string, { cpuSeconds: number; peakRssMiB: number }>> {
  const out: Record<string, { cpuSeconds: number; peakRssMiB: number }> = {};
  for (const [name, pid] of Object.entries(await controlPlanePids(dir))) {
    out[name] = { cpuSeconds: (await cpuSeconds(pid)) ?? 0, peakRssMiB: Math.round(((await peakRss(pid)) ?? 0) / 1048576) };
  }
  return out;
}
