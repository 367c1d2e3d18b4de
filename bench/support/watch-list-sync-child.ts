// Child of bench/watch-list-sync.ts: one informer of keyferry's labelled Secrets syncs once, by
// watch-list (`on`) or the paged list (`off`); prints the sync time and the peak RSS as JSON.
import { readFileSync } from 'node:fs';
import { ResilientInformer } from '../../src/kube/informer.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';
import { KubeHttp } from '../../src/kube/kube-http.js';
import type { KubeObject, SecretObject } from '../../src/kube/kube-object.js';
import { forgetData } from '../../src/versioning/version-ownership.js';

const [kubeconfigPath, mode] = process.argv.slice(2);
const http = new KubeHttp(await connectionFromKubeconfig(readFileSync(kubeconfigPath!, 'utf8'), process.cwd()));
const path = '/api/v1/secrets';
const labelSelector = 'keyferry.io/managed=true';
const informer = new ResilientInformer<SecretObject>({
  name: 'managed-secrets', http, path, labelSelector, watchList: mode === 'on', logger: { warn: (o) => console.error(JSON.stringify(o)), debug() {} },
  list: (page) => http.list<KubeObject>(path, { ...page, labelSelector }),
  trim: forgetData,
});
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
await informer.start();
await informer.waitForSync();
const syncMs = performance.now() - started;
const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
console.log(JSON.stringify({ mode, via: informer.syncedVia, objects: informer.list().length, syncMs: Math.round(syncMs), peakRssMiB: mib(peakKiB * 1024), rssBeforeMiB: mib(rssBefore) }));
await informer.stop();
process.exit(0);
