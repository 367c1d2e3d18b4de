// Child process: records every module resolved while the AWS provider is imported and created;
// prints the URLs as JSON on stdout.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const loaded = new Set<string>();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url: string) => loaded.add(url));
port1.unref();
register('../../../kube/support/module-graph-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });

const { createAwsProvider } = await import('../../../../providers/aws/index.js');
createAwsProvider();
// Messages on one port arrive in order: once this last resolution is reported, all are.
const sentinel = 'data:text/javascript,export default 1';
const reported = new Promise<void>((resolve) => port1.on('message', (url: string) => { if (url === sentinel) resolve(); }));
await import(sentinel);
await reported;
process.stdout.write(JSON.stringify([...loaded].filter((u) => u !== sentinel)));
