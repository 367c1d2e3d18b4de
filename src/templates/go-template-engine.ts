// Runs templates with Go's text/template and the function set of External Secrets
// Operator's v2 engine, compiled to WebAssembly (tools/template-engine, built by
// scripts/build-template-engine.sh into dist/template-engine.wasm). The module runs in a
// worker thread under WASI with no preopened directories, no environment and no arguments, so
// a template reaches nothing but the data it is given; a render that runs past its time limit
// has its worker terminated, and the output of one render is bounded in size.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../package-root.js';
import { TemplateRenderError } from './template-render-error.js';

export interface RenderRequest {
  /** Template text by output key. */
  templates: Record<string, string>;
  /** The values templates read, as `.key`; strings to the template, as in ESO's v2 engine. */
  data: Record<string, Buffer>;
}

export interface TemplateEngine {
  /** Rendered bytes by output key; throws a TemplateRenderError. */
  render(request: RenderRequest): Promise<Record<string, Buffer>>;
  close(): Promise<void>;
}

export interface GoTemplateEngineOptions {
  /** The compiled module's bytes; by default dist/template-engine.wasm of this package. */
  loadWasm?: () => Uint8Array;
  /** Wall-clock limit of one render, startup excluded (default 5 s: generous, since a busy machine slows every render). */
  timeLimitMs?: number;
  /** Limit on the bytes one render writes over all its keys (default 1 MiB, a Secret's limit). */
  maxOutputBytes?: number;
}

// Node's global WebAssembly, which the ES2023 library types do not declare.
const wasm = (globalThis as unknown as { WebAssembly: { compile: (bytes: Uint8Array) => Promise<object> } }).WebAssembly;

export const DEFAULT_TIME_LIMIT_MS = 5000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/** The package's dist/template-engine.wasm, found from this file in src/ or in dist/src/. */
export function defaultWasmPath(): string {
  return join(packageRoot(import.meta.url), 'dist', 'template-engine.wasm');
}

function loadDefaultWasm(): Uint8Array {
  const path = defaultWasmPath();
  if (!existsSync(path)) throw new TemplateRenderError('Engine', undefined, 'the template engine is not built (make template-engine builds dist/template-engine.wasm)');
  return readFileSync(path);
}

// The worker's code, as plain JavaScript so that it runs the same from sources and from dist/.
// node:wasi is loaded after its ExperimentalWarning is silenced (this worker only).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
process.removeAllListeners('warning');
process.on('warning', () => {});
const { WASI } = require('node:wasi');
const wasi = new WASI({ version: 'preview1', args: [], env: {}, preopens: {}, returnOnExit: true });
WebAssembly.instantiate(workerData.module, wasi.getImportObject()).then((instance) => {
  wasi.initialize(instance);
  const x = instance.exports;
  const render = (request) => {
    const input = Buffer.from(request, 'utf8');
    const at = x.kf_alloc(input.length);
    new Uint8Array(x.memory.buffer, at, input.length).set(input);
    const length = x.kf_render(input.length);
    const out = x.kf_output();
    return Buffer.from(x.memory.buffer, out, length).toString('utf8');
  };
  // WebAssembly functions are compiled on first call: one render through the common paths
  // (parse, execute, a pipeline, range, a missing key) before any time limit applies.
  render(JSON.stringify({ templates: { a: '{{ range $k, $v := . }}{{ $v | b64dec | upper | quote }}{{ end }}', b: '{{ .x }}' }, data: { v: 'eA==' }, maxOutput: 1024 }));
  parentPort.on('message', (request) => parentPort.postMessage(render(request)));
  parentPort.postMessage('ready');
});
`;

interface EngineAnswer {
  output?: Record<string, string | null>;
  error?: string;
  key?: string;
  missing?: string;
  parse?: boolean;
}

interface Running {
  worker: Worker;
  ready: Promise<void>;
  /** Settles the render in flight when the worker dies. */
  onExit?: (error: Error) => void;
}

export class GoTemplateEngine implements TemplateEngine {
  private compiling?: Promise<object>;
  private running?: Running;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeLimitMs: number;
  private readonly maxOutputBytes: number;
  /** Milliseconds the last worker took to start (instantiate and warm up). */
  startupMs = 0;

  constructor(private readonly options: GoTemplateEngineOptions = {}) {
    this.timeLimitMs = options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  }

  /** How many renders have been asked for: a caller waiting for quiet sees whether more came while it waited. */
  rendersAsked = 0;

  /** Renders one request at a time, in the order asked. */
  render(request: RenderRequest): Promise<Record<string, Buffer>> {
    this.rendersAsked++;
    const result = this.queue.then(() => this.renderNow(request));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every render asked so far has finished (for callers that run on a fake clock). */
  async idle(): Promise<void> {
    let tail: Promise<unknown>;
    do {
      tail = this.queue;
      await tail;
    } while (tail !== this.queue);
  }

  /** Starts the worker ahead of the first render. */
  async start(): Promise<void> {
    await this.worker(await this.compile()).ready;
  }

  /** Compiles the module once, off the event loop (V8 compiles WebAssembly on its own threads). */
  private compile(): Promise<object> {
    this.compiling ??= (async () => wasm.compile((this.options.loadWasm ?? loadDefaultWasm)()))();
    // A module that could not be loaded may be there next time.
    this.compiling.catch(() => { this.compiling = undefined; });
    return this.compiling;
  }

  async close(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (running) await running.worker.terminate();
  }

  private worker(module: object): Running {
    if (this.running) return this.running;
    const started = performance.now();
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module }, env: {}, argv: [], stdout: true, stderr: true });
    worker.unref();
    const running: Running = {
      worker,
      ready: new Promise<void>((resolve, reject) => {
        worker.once('message', () => {
          this.startupMs = performance.now() - started;
          resolve();
        });
        worker.once('error', () => reject(new TemplateRenderError('Engine', undefined, 'the template engine failed to start')));
      }),
    };
    const died = (why: string) => {
      if (this.running === running) this.running = undefined;
      running.onExit?.(new TemplateRenderError('Engine', undefined, why));
    };
    worker.on('error', () => died('the template engine stopped (out of memory, or a fault in a function)'));
    worker.on('exit', () => died('the template engine stopped'));
    this.running = running;
    return running;
  }

  private async renderNow(request: RenderRequest): Promise<Record<string, Buffer>> {
    const running = this.worker(await this.compile());
    running.worker.ref();
    await running.ready.finally(() => running.worker.unref());
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.data)) data[k] = v.toString('base64');
    const message = JSON.stringify({ templates: request.templates, data, maxOutput: this.maxOutputBytes });
    const answer = await new Promise<EngineAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        running.onExit = undefined;
        if (this.running === running) this.running = undefined;
        void running.worker.terminate();
        reject(new TemplateRenderError('TimeLimit', undefined, `rendering took longer than ${this.timeLimitMs} ms and was stopped`));
      }, this.timeLimitMs);
      running.onExit = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      running.worker.once('message', (text: string) => {
        clearTimeout(timer);
        running.onExit = undefined;
        try {
          resolve(JSON.parse(text) as EngineAnswer);
        } catch {
          reject(new TemplateRenderError('Engine', undefined, 'the template engine gave an answer that is not JSON'));
        }
      });
      running.worker.ref();
      running.worker.postMessage(message);
    }).finally(() => running.worker.unref());
    if (answer.error !== undefined) {
      if (answer.missing !== undefined) throw new TemplateRenderError('MissingKey', answer.key, `refers to ${JSON.stringify(answer.missing)}, which is not among the fetched keys`, answer.missing);
      if (/^output is larger than/.test(answer.error)) throw new TemplateRenderError('OutputLimit', answer.key, answer.error);
      throw new TemplateRenderError(answer.parse ? 'Parse' : 'Execution', answer.key, answer.error);
    }
    const out = Object.create(null) as Record<string, Buffer>;
    // An empty output comes as null (Go's nil slice).
    for (const [k, v] of Object.entries(answer.output ?? {})) out[k] = Buffer.from(v ?? '', 'base64');
    return out;
  }
}

let shared: GoTemplateEngine | undefined;

/** One engine per process, started on first use. */
export function sharedTemplateEngine(): GoTemplateEngine {
  shared ??= new GoTemplateEngine();
  return shared;
}
