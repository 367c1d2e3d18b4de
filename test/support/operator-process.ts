// Runs `keyferry run` as its own process for end-to-end tests: captures its output, finds
// the metrics and health addresses it logs, reads /metrics, and stops it.
//
//   const op = await startOperatorProcess({ kubeconfigPath });
//   await op.waitForLog((l) => l.msg === 'created version');
//   await op.metricValue('externalsecret_sync_calls_total', { name: 'app' });
//   await op.stop();               // SIGTERM, resolves to the exit code
//   await op.kill();               // SIGKILL
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface OperatorProcessOptions {
  kubeconfigPath: string;
  /** Extra `keyferry run` flags, e.g. `['--concurrency', '8']`. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Node flags before the script, e.g. `['--cpu-prof']`. */
  nodeArgs?: string[];
  /** Default debug; must be info or lower, as the harness reads the startup lines. */
  logLevel?: string;
  /** How long to wait for the operator to report its caches synced (default 30 s). */
  startTimeoutMs?: number;
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface OperatorProcess {
  readonly pid: number;
  readonly metricsUrl: string;
  readonly healthUrl: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** stdout lines parsed as JSON (non-JSON lines skipped). */
  logs(): LogLine[];
  /** Resolves with the first log line (already seen or later) matching `match`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The /metrics text. */
  metrics(): Promise<string>;
  /** Sum of a metric's samples whose labels include `labels`; undefined when there is none. */
  metricValue(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  /** SIGTERM; resolves to the exit code (null when killed by a signal). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

/** Parses one Prometheus text sample line: `name{a="b"} 1`. */
function parseSample(line: string): { name: string; labels: Record<string, string>; value: number } | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
  if (!m) return undefined;
  const labels: Record<string, string> = {};
  for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
  return { name: m[1]!, labels, value: Number(m[3]) };
}

export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const s = parseSample(line);
    if (!s || s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total = (total ?? 0) + s.value;
  }
  return total;
}

export async function startOperatorProcess(options: OperatorProcessOptions): Promise<OperatorProcess> {
  const args = [
    ...(options.nodeArgs ?? []),
    join(repoRoot, 'bin', 'keyferry.js'), 'run',
    '--kubeconfig', options.kubeconfigPath,
    '--metrics-addr', '127.0.0.1:0',
    '--health-addr', '127.0.0.1:0',
    '--log-level', options.logLevel ?? 'debug',
    ...(options.args ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let pending = '';
  const parsed: LogLine[] = [];
  const watchers: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  const onLine = (text: string) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    parsed.push(line);
    for (const w of [...watchers]) {
      if (w.match(line)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) onLine(l);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (match: (l: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> => {
    const seen = parsed.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.splice(watchers.findIndex((w) => w.resolve === done), 1);
        reject(new Error(`operator log line not seen within ${timeoutMs} ms; output so far:\n${out.slice(-4000)}`));
      }, timeoutMs);
      const done = (l: LogLine) => { clearTimeout(timer); resolve(l); };
      watchers.push({ match, resolve: done });
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`operator exited (${code}) before the log line; output:\n${out.slice(-4000)}`)); });
    });
  };

  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  let metricsLine: LogLine;
  let healthLine: LogLine;
  try {
    const timeout = options.startTimeoutMs ?? 30_000;
    metricsLine = await waitForLog((l) => l.msg === 'metrics server listening', timeout);
    healthLine = await waitForLog((l) => l.msg === 'health server listening', timeout);
    await waitForLog((l) => l.msg === 'caches synced; starting workers', timeout);
  } catch (e) {
    await kill();
    throw e;
  }
  const metricsUrl = `http://${String(metricsLine.addr)}/metrics`;
  const healthUrl = `http://${String(healthLine.addr)}`;
  const metrics = async () => (await fetch(metricsUrl)).text();
  return {
    pid: child.pid!,
    metricsUrl,
    healthUrl,
    exited,
    output: () => out,
    logs: () => [...parsed],
    waitForLog,
    metrics,
    metricValue: async (name, labels) => sumMetric(await metrics(), name, labels),
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill,
  };
}
