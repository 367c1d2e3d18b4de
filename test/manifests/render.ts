// Renders what users install: the kustomize base and its optional parts with the pinned
// kubectl, and the Helm chart with the pinned helm (both from .tools, `make tools`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const kubectl = join(repoRoot, '.tools', 'kubectl', 'kubectl');
export const helm = join(repoRoot, '.tools', 'helm', 'helm');
export const chartDir = join(repoRoot, 'charts', 'keyferry');

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

const run = promisify(execFile);

export function parseObjects(yamlText: string): Obj[] {
  return parseAllDocuments(yamlText).map((d) => d.toJS() as Obj).filter((o) => o && typeof o === 'object' && o.kind);
}

/** `kubectl kustomize dir` (relative to the repository). */
export async function kustomize(dir: string): Promise<Obj[]> {
  assert.ok(existsSync(kubectl), 'the pinned kubectl is missing: run `make tools`');
  const { stdout } = await run(kubectl, ['kustomize', dir], { cwd: repoRoot, timeout: 60_000, maxBuffer: 32 << 20 });
  return parseObjects(stdout);
}

/** Runs helm with `values` in a file; resolves to stdout, or rejects with helm's error text. */
export async function runHelm(args: string[], values: Record<string, unknown> = {}): Promise<string> {
  assert.ok(existsSync(helm), 'the pinned helm is missing: run `make tools`');
  const dir = await mkdtemp(join(tmpdir(), 'keyferry-helm-'));
  try {
    const file = join(dir, 'values.json');
    await writeFile(file, JSON.stringify(values));
    // HOME and the Helm folders point at the temporary folder: no user configuration leaks in.
    const env = { ...process.env, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir };
    const { stdout } = await run(helm, [...args, '--values', file], { cwd: repoRoot, timeout: 60_000, maxBuffer: 32 << 20, env });
    return stdout;
  } catch (e) {
    const failure = e as { stderr?: string; stdout?: string; message: string };
    // helm notes each linked file it follows on stderr; the error is what is left.
    const stderr = (failure.stderr ?? '').split('\n').filter((l) => !l.includes('found symbolic link in path')).join('\n');
    throw new Error(`helm ${args[0]}: ${stderr || failure.stdout || failure.message}`, { cause: e });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const RELEASE = { name: 'keyferry', namespace: 'keyferry-system' };

/** `helm template` of the chart with its CRDs, as release keyferry in keyferry-system. */
export async function helmTemplate(values: Record<string, unknown> = {}, release = RELEASE): Promise<Obj[]> {
  return parseObjects(await runHelm(['template', release.name, chartDir, '--namespace', release.namespace, '--include-crds'], values));
}

export async function helmLint(values: Record<string, unknown> = {}): Promise<string> {
  return runHelm(['lint', chartDir, '--strict', '--namespace', RELEASE.namespace], values);
}

/** Every setting the chart has a switch for, one value set each (the first is the defaults). */
export const TOGGLES: Record<string, Record<string, unknown>> = {
  defaults: {},
  image: { image: { repository: 'registry.example.com/platform/keyferry', tag: '0.2.0', pullPolicy: 'Always' }, imagePullSecrets: [{ name: 'registry' }] },
  replicas: { replicas: 3 },
  'leader election off': { leaderElection: { enabled: false } },
  sharding: { sharding: { enabled: true, shards: 3 } },
  resources: { resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } } },
  'operator flags': {
    operator: {
      concurrency: 16, clientQps: 200, clientBurst: 400, providerQps: 50, providerMaxConcurrent: 64,
      fetchMode: 'direct', redisUrl: 'redis://redis.keyferry-system.svc:6380/0', logLevel: 'debug', extraArgs: ['--log-level=warn'],
    },
  },
  'ServiceMonitor and PrometheusRule': { metrics: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } }, prometheusRule: { enabled: true } } },
  'plain metrics': { metrics: { secure: false, port: 8080, serviceMonitor: { enabled: true } } },
  'metrics certificate': { metrics: { certSecret: 'keyferry-metrics-tls', readerServiceAccount: { name: 'prometheus', namespace: 'monitoring' } } },
  'alias mode': { aliasMode: { enabled: true } },
  'merge mode': { mergeMode: { enabled: true } },
  'namespace-scoped': { namespaceScoped: { enabled: true, namespace: 'team-a' } },
  'no dashboard, no NetworkPolicy': { grafanaDashboard: { enabled: false }, networkPolicy: { enabled: false } },
};

/** `kind/namespace/name`, for finding and comparing objects. */
export const objectKey = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function find(objects: Obj[], kind: string, name?: string): Obj {
  const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  assert.ok(o, `${kind}${name ? `/${name}` : ''} is rendered (have: ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')})`);
  return o;
}

export const MI = 1024 * 1024;

/** Bytes of a Kubernetes quantity (Ki, Mi, Gi, K, M, G or plain). */
export function bytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!m) throw new Error(`not a Kubernetes quantity: ${quantity}`);
  const unit = { Ki: 1024, Mi: MI, Gi: 1024 * MI, K: 1e3, M: 1e6, G: 1e9 }[m[2] as 'Mi'] ?? 1;
  return Number(m[1]) * unit;
}
