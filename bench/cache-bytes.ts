// What each of the operator's caches holds per object: ExternalSecrets, SecretStores, managed
// Secrets (the versions keyferry wrote) and credential Secrets, each as the API server sends it
// (parsed from JSON, with managedFields and, for what users apply with kubectl, the
// last-applied-configuration annotation) and as the cache keeps it, reduced by the functions
// the informers apply. The layout is the informer's: namespace → name → object, plus the
// previous-object map ResilientInformer keeps for update handlers.
//
//   node --import tsx bench/cache-bytes.ts [--objects 10000] [--namespaces 100]
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { compactObject, forgetManagedFields } from '../src/kube/informer.js';
import { trimApiObject } from '../src/kube/informer-set.js';
import { credentialView } from '../src/kube/credential-secrets.js';
import { objectKey, type KubeObject, type SecretObject } from '../src/kube/kube-object.js';
import { forgetData } from '../src/versioning/version-ownership.js';
import { externalSecretStub } from '../src/controller/shard-view.js';
import type { ExternalSecretResource } from '../src/controller/types.js';
import { numberArg } from './support/command-line.js';
import { printMarkdownTable } from './support/markdown-table.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const count = numberArg('objects', 10_000);
const namespaces = numberArg('namespaces', 100);

const b64 = (s: string) => Buffer.from(s).toString('base64');
const hex = (i: number, n = 10) => i.toString(16).padStart(n, '0');
const meta = (i: number, extra: Record<string, unknown> = {}) => ({
  name: `app-${i}`, namespace: `ns-${i % namespaces}`, uid: `3f2a1b4c-0000-4000-8000-${String(i).padStart(12, '0')}`,
  resourceVersion: String(100_000 + i), generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', ...extra,
});
const managedField = (manager: string, operation: string, fields: unknown, subresource?: string) => ({
  manager, operation, apiVersion: 'keyferry.io/v1alpha1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: fields, ...(subresource ? { subresource } : {}),
});
/** The object as kubectl applied it, and the last-applied annotation kubectl adds. */
const applied = (obj: Record<string, unknown>) => ({ 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(obj)}\n` });

function externalSecretJson(i: number): string {
  const spec = {
    secretStoreRef: { name: 'vault', kind: 'SecretStore' }, refreshInterval: '1h',
    data: [{ secretKey: 'password', remoteRef: { key: `app/${i}/db`, property: 'password' } }, { secretKey: 'user', remoteRef: { key: `app/${i}/db`, property: 'user' } }],
    target: { name: `db-${i}`, creationPolicy: 'Owner', deletionPolicy: 'Retain', versioning: { retain: 2, minRetention: '1h' } },
  };
  const version = (n: number) => ({ name: `db-${i}-${hex(i * 10 + n)}`, hash: hex(i * 10 + n), createdAt: '2026-01-01T00:00:00Z', remoteVersions: { [`app/${i}/db`]: `v${n}` } });
  return JSON.stringify({
    apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret',
    metadata: meta(i, {
      annotations: applied({ apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: `app-${i}`, namespace: `ns-${i % namespaces}` }, spec }),
      managedFields: [
        managedField('kubectl-client-side-apply', 'Update', { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } }, 'f:spec': { '.': {}, 'f:data': {}, 'f:refreshInterval': {}, 'f:secretStoreRef': { '.': {}, 'f:kind': {}, 'f:name': {} }, 'f:target': { '.': {}, 'f:name': {}, 'f:versioning': { '.': {}, 'f:minRetention': {}, 'f:retain': {} } } } }),
        managedField('keyferry', 'Update', { 'f:status': { '.': {}, 'f:conditions': {}, 'f:currentSecretName': {}, 'f:refreshTime': {}, 'f:syncedGeneration': {}, 'f:versions': {} } }, 'status'),
      ],
    }),
    spec,
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      refreshTime: '2026-01-01T00:00:00Z', syncedGeneration: 1, currentSecretName: version(2).name, versions: [version(2), version(1)],
    },
  });
}

function secretStoreJson(i: number): string {
  const spec = { provider: { vault: { server: 'https://vault.example:8200', path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } } } }, rateLimit: { requestsPerSecond: 10, burst: 20 } };
  return JSON.stringify({
    apiVersion: 'keyferry.io/v1alpha1', kind: 'SecretStore',
    metadata: meta(i, {
      annotations: applied({ apiVersion: 'keyferry.io/v1alpha1', kind: 'SecretStore', metadata: { name: `app-${i}`, namespace: `ns-${i % namespaces}` }, spec }),
      managedFields: [
        managedField('kubectl-client-side-apply', 'Update', { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } }, 'f:spec': { '.': {}, 'f:provider': { '.': {}, 'f:vault': { '.': {}, 'f:auth': {}, 'f:path': {}, 'f:server': {}, 'f:version': {} } }, 'f:rateLimit': {} } }),
        managedField('keyferry', 'Update', { 'f:status': { '.': {}, 'f:conditions': {} } }, 'status'),
      ],
    }),
    spec,
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Valid', message: 'store validated', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  });
}

/** A version keyferry wrote: immutable, labelled, owned by its ExternalSecret, two small values. */
function managedSecretJson(i: number): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque', immutable: true,
    metadata: meta(i, {
      name: `db-${i}-${hex(i)}`,
      labels: { 'keyferry.io/managed': 'true', 'keyferry.io/external-secret': `app-${i}`, 'keyferry.io/target': `db-${i}` },
      annotations: { 'keyferry.io/content-hash': hex(i), 'keyferry.io/remote-versions': JSON.stringify({ [`app/${i}/db`]: 'v2' }) },
      ownerReferences: [{ apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', name: `app-${i}`, uid: 'u', controller: true, blockOwnerDeletion: true }],
      managedFields: [{ manager: 'keyferry', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:password': {}, 'f:user': {} }, 'f:immutable': {}, 'f:metadata': { 'f:annotations': {}, 'f:labels': {}, 'f:ownerReferences': {} }, 'f:type': {} } }],
    }),
    data: { password: b64(`pw-${hex(i, 32)}`), user: b64('app') },
  });
}

const CA = `-----BEGIN CERTIFICATE-----\n${'MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n'.repeat(20)}-----END CERTIFICATE-----\n`;

/** A store's credentials as a user applies them with kubectl: the token a store references, and a CA it does not. */
function credentialSecretJson(i: number): string {
  const data = { token: b64(`hvs.${hex(i, 90)}`), 'ca.crt': b64(CA) };
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: meta(i, {
      name: `vault-token-${i}`,
      annotations: applied({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `vault-token-${i}`, namespace: `ns-${i % namespaces}` }, data }),
      managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:ca.crt': {}, 'f:token': {} }, 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } }, 'f:type': {} } }],
    }),
    data,
  });
}

/** Heap retained by what `build` returns, after full collections. */
function retained(build: () => unknown): number {
  gc(); gc();
  const before = process.memoryUsage().heapUsed;
  const held = build();
  gc(); gc();
  const bytes = process.memoryUsage().heapUsed - before;
  if (!held) throw new Error('nothing held');
  return bytes;
}

/** The informer's layout: namespace → name → object, and ResilientInformer's key → previous object. */
function informerCache(objects: KubeObject[]) {
  const byNamespace = new Map<string, Map<string, KubeObject>>();
  const previous = new Map<string, KubeObject>();
  for (const o of objects) {
    let names = byNamespace.get(o.metadata!.namespace!);
    if (!names) byNamespace.set(o.metadata!.namespace!, (names = new Map()));
    names.set(o.metadata!.name!, o);
    previous.set(objectKey(o), o);
  }
  return { byNamespace, previous };
}

const tokenKey = new Set(['token']);
/**
 * `before`: what the operator held before ExternalSecrets and stores were trimmed and credential
 * Secrets were read by name (informers dropped managedFields only; the credential-Secret
 * informer held every Secret of the cluster that keyferry does not manage, whole).
 */
const caches: Array<{ cache: string; json: (i: number) => string; reduce: (o: KubeObject) => KubeObject; before: (o: KubeObject) => KubeObject; held: string }> = [
  { cache: 'ExternalSecret', json: externalSecretJson, reduce: (o) => { forgetManagedFields(o); trimApiObject(o); return compactObject(o); }, before: (o) => { forgetManagedFields(o); return o; }, held: 'metadata (no managedFields, no last-applied), spec, status' },
  { cache: 'ExternalSecret of another shard', json: externalSecretJson, reduce: (o) => { const stub = externalSecretStub(o as ExternalSecretResource) as KubeObject; forgetManagedFields(stub); trimApiObject(stub); return compactObject(stub); }, before: (o) => { forgetManagedFields(o); trimApiObject(o); return compactObject(o); }, held: 'a stub: identity, times, labels, target name, creation policy, rollout ("held before": the whole object, as its own shard holds it)' },
  { cache: 'SecretStore', json: secretStoreJson, reduce: (o) => { forgetManagedFields(o); trimApiObject(o); return compactObject(o); }, before: (o) => { forgetManagedFields(o); return o; }, held: 'metadata (no managedFields, no last-applied), spec, status' },
  { cache: 'managed Secret', json: managedSecretJson, reduce: (o) => { forgetManagedFields(o); forgetData(o as SecretObject); return compactObject(o); }, before: (o) => { forgetManagedFields(o); forgetData(o as SecretObject); return o; }, held: 'metadata (no managedFields) and a digest of the data, no values' },
  { cache: 'credential Secret', json: credentialSecretJson, reduce: (o) => credentialView(o, tokenKey), before: (o) => { forgetManagedFields(o); return o; }, held: 'name, namespace, resourceVersion, type and the referenced keys only' },
];

const rows: Array<Array<string | number>> = [];
const results: Record<string, { receivedBytes: number; heldBeforeBytes: number; heldBytes: number }> = {};
for (const c of caches) {
  const texts = Array.from({ length: count }, (_, i) => c.json(i));
  const whole = retained(() => informerCache(texts.map((t) => JSON.parse(t) as KubeObject)));
  const before = retained(() => informerCache(texts.map((t) => c.before(JSON.parse(t) as KubeObject))));
  const reduced = retained(() => informerCache(texts.map((t) => c.reduce(JSON.parse(t) as KubeObject))));
  const perWhole = Math.round(whole / count);
  const perBefore = Math.round(before / count);
  const perHeld = Math.round(reduced / count);
  results[c.cache] = { receivedBytes: perWhole, heldBeforeBytes: perBefore, heldBytes: perHeld };
  rows.push([c.cache, Math.round(texts.reduce((n, t) => n + t.length, 0) / count), perWhole, perBefore, perHeld, (reduced / whole).toFixed(2), c.held]);
}
printMarkdownTable(['cache', 'JSON B/object', 'heap B/object as received', 'held before', 'held now', 'now ÷ received', 'what is held'], rows);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'cache-bytes.json'), JSON.stringify({ objects: count, namespaces, perObject: results, node: process.version }, null, 2));
