// The operator's memory settings, read from what users install (the kustomize base's Deployment,
// the chart's Deployment and its sharded StatefulSet): node runs with --heap-growing-percent=25,
// put where node accepts it, and the memory request and limit cover what README's sizing
// section measured (steady RSS at 10 000 ExternalSecrets, the highest cold-start peak).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytes, find, helmTemplate, kustomize, MI, repoRoot, type Obj } from './render.js';

interface Container {
  command?: string[];
  env?: Array<{ name: string; value?: string }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
type Workload = Obj & { spec: { template: { spec: { containers: Container[] } } } };


/** The image's ENTRYPOINT, from the Dockerfile's exec form. */
function entrypoint(): string[] {
  const line = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  assert.ok(line, 'the Dockerfile has an ENTRYPOINT');
  return JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
}

/** README's sizing figures: steady RSS at 10 000 ExternalSecrets and the highest cold-start peak measured. */
function readmeSizing(): { steadyAt10k: number; peak: number } {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const line = /Sizing: steady RSS ≈ (\d+(?:\.\d+)?) MiB \+ (\d+(?:\.\d+)?) MiB per 1 000 ExternalSecrets; highest cold-start peak measured with the shipped flags (\d+(?:\.\d+)?) MiB/.exec(readme);
  assert.ok(line, 'README states the sizing line');
  return { steadyAt10k: Number(line[1]) + 10 * Number(line[2]), peak: Number(line[3]) };
}

function operatorContainer(objects: Obj[], kind: 'Deployment' | 'StatefulSet'): Container {
  return (find(objects, kind) as Workload).spec.template.spec.containers[0]!;
}

/** Exit status of this node run with the container's node flags and NODE_OPTIONS (if any). */
function nodeAccepts(c: Container): { status: number | null; stderr: string } {
  const flags = (c.command ?? []).slice(1, -1);
  const nodeOptions = c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  const r = spawnSync(process.execPath, [...flags, '-e', '0'], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

function assertMemorySettings(c: Container): void {
  // node <flags> <script>: the image's ENTRYPOINT with the heap flag between node and the script.
  const [node, script] = entrypoint();
  assert.ok(c.command, 'the container sets its command');
  assert.equal(c.command[0], node);
  assert.equal(c.command.at(-1), script);
  assert.ok(c.command.slice(1, -1).includes('--heap-growing-percent=25'), `node runs with --heap-growing-percent=25: ${c.command.join(' ')}`);
  const accepted = nodeAccepts(c);
  assert.equal(accepted.status, 0, `node starts with the container's flags and NODE_OPTIONS: ${accepted.stderr}`);

  const { requests, limits } = c.resources ?? {};
  assert.ok(requests?.memory && limits?.memory && requests.cpu && limits.cpu, 'memory and cpu requests and limits are set');
  const { steadyAt10k, peak } = readmeSizing();
  assert.ok(bytes(requests.memory) >= steadyAt10k * MI, `memory request ${requests.memory} covers README's steady RSS at 10 000 ExternalSecrets (${steadyAt10k} MiB)`);
  assert.ok(bytes(limits.memory) >= 1.25 * peak * MI, `memory limit ${limits.memory} is 1.25x README's highest cold-start peak (${peak} MiB)`);
}

describe('operator memory settings', function () {
  this.timeout(60_000);

  it('the kustomize base\'s Deployment', async () => assertMemorySettings(operatorContainer(await kustomize('manifests/'), 'Deployment')));
  it('the chart\'s Deployment', async () => assertMemorySettings(operatorContainer(await helmTemplate(), 'Deployment')));
  it('the chart\'s sharded StatefulSet', async () => assertMemorySettings(operatorContainer(await helmTemplate({ sharding: { enabled: true, shards: 3 } }), 'StatefulSet')));

  it('would catch the flag missing, the flag in NODE_OPTIONS, or a limit below the peak', async () => {
    const withoutFlags = operatorContainer(await helmTemplate({ nodeFlags: [] }), 'Deployment');
    assert.throws(() => assertMemorySettings(withoutFlags), /sets its command/);
    const base = operatorContainer(await kustomize('manifests/'), 'Deployment');
    const inNodeOptions: Container = { ...base, command: [...entrypoint().slice(0, 1), '--heap-growing-percent=25', ...entrypoint().slice(1)], env: [...(base.env ?? []), { name: 'NODE_OPTIONS', value: '--heap-growing-percent=25' }] };
    assert.throws(() => assertMemorySettings(inNodeOptions), /not allowed in NODE_OPTIONS/);
    const small: Container = { ...base, resources: { ...base.resources, limits: { ...base.resources?.limits, memory: '64Mi' } } };
    assert.throws(() => assertMemorySettings(small), /memory limit 64Mi/);
  });
});
