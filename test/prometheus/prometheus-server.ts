// A real Prometheus (Debian's package; found on PATH) for tests: scrapes one target every
// second, evaluates the given rule groups every second, and answers its HTTP API on
// 127.0.0.1. Its data lives in a temporary folder removed on close.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findOnPath } from './binaries.js';
import type { RuleGroup } from './rules.js';

export interface ScrapeTarget {
  /** `host:port` */
  address: string;
  scheme: 'http' | 'https';
  /** Sent as `Authorization: Bearer <token>`, as a ServiceMonitor's bearerTokenFile is. */
  bearerToken?: string;
}

export interface PrometheusOptions {
  target: ScrapeTarget;
  job: string;
  rules?: RuleGroup[];
}

export interface Sample { metric: Record<string, string>; values: Array<[number, string]> }
export interface ApiAnswer<T> { status: 'success' | 'error'; data: T; error?: string; errorType?: string }
export interface RuleState { name: string; type: 'alerting' | 'recording'; health: string; lastError?: string; lastEvaluation: string; query: string; state?: string; alerts?: Array<{ labels: Record<string, string>; state: string }> }

export class PrometheusServer {
  private constructor(readonly url: string, private readonly child: ChildProcess, private readonly dir: string, private readonly output: () => string) {}

  static async start(options: PrometheusOptions): Promise<PrometheusServer> {
    const binary = findOnPath('prometheus');
    const dir = await mkdtemp(join(tmpdir(), 'keyferry-prometheus-'));
    const scrape: Record<string, unknown> = {
      job_name: options.job,
      scrape_interval: '1s',
      scrape_timeout: '1s',
      scheme: options.target.scheme,
      static_configs: [{ targets: [options.target.address] }],
    };
    if (options.target.scheme === 'https') scrape.tls_config = { insecure_skip_verify: true };
    if (options.target.bearerToken) {
      await writeFile(join(dir, 'token'), options.target.bearerToken, { mode: 0o600 });
      scrape.authorization = { type: 'Bearer', credentials_file: join(dir, 'token') };
    }
    await writeFile(join(dir, 'rules.yaml'), stringify({ groups: options.rules ?? [] }));
    await writeFile(join(dir, 'prometheus.yml'), stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'rules.yaml')],
      scrape_configs: [scrape],
    }));
    // A free port, then Prometheus on it; another process may take it in between, so try again.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      let out = '';
      const child = spawn(binary, [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
      child.stderr!.setEncoding('utf8').on('data', (c: string) => { out += c; });
      const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir, () => out);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const ready = await Promise.race([server.waitReady(30_000).then(() => true), exited.then(() => false)]);
      if (ready) return server;
      if (attempt < 3 && /address already in use/.test(out)) continue;
      await rm(dir, { recursive: true, force: true });
      throw new Error(`prometheus did not start:\n${out.slice(-3000)}`);
    }
  }

  /** What Prometheus printed (warnings and errors). */
  log(): string {
    return this.output();
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = await fetch(`${this.url}/-/ready`).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`prometheus not ready:\n${this.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async api<T>(path: string, params: Record<string, string | number> = {}): Promise<ApiAnswer<T>> {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
    const res = await fetch(`${this.url}/api/v1/${path}?${query}`);
    return (await res.json()) as ApiAnswer<T>;
  }

  /** An instant query; rejects on a query error. */
  async query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const answer = await this.api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>('query', { query: expr });
    if (answer.status !== 'success') throw new Error(`${expr}: ${answer.error}`);
    return answer.data.result;
  }

  queryRange(expr: string, startSeconds: number, endSeconds: number, stepSeconds = 1): Promise<ApiAnswer<{ resultType: string; result: Sample[] }>> {
    return this.api('query_range', { query: expr, start: startSeconds, end: endSeconds, step: stepSeconds });
  }

  /** Metric names Prometheus holds, i.e. what it scraped (plus its own `up` and `scrape_*`). */
  async metricNames(): Promise<Set<string>> {
    return new Set((await this.api<string[]>('label/__name__/values')).data);
  }

  async alertingRules(): Promise<RuleState[]> {
    const answer = await this.api<{ groups: Array<{ rules: RuleState[] }> }>('rules', { type: 'alert' });
    return answer.data.groups.flatMap((g) => g.rules);
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
