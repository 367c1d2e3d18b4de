// fast-check arbitraries for the fuzz suite: ExternalSecret, SecretStore and
// ClusterSecretStore specs (generated, then mutated), and remote values that are binary,
// huge, deeply nested, oddly encoded or keyed like `__proto__`. Every remote value carries a
// marker (`MK` + 16 hex digits) that must never show up in status, Events, logs or metrics.
import fc from 'fast-check';

export const NAMESPACE = 'ns';
export const OTHER_NAMESPACE = 'other';

/** Remote keys the stores may hold; `missing` never exists. */
export const REMOTE_KEYS = ['db', 'json', 'b64', 'b64url', 'badb64', 'deep', 'bin', 'big', 'tls', 'proto', 'list', 'empty', 'missing'] as const;
export type RemoteKey = (typeof REMOTE_KEYS)[number];

export interface RemoteValues {
  /** The fake store's entries: remote key → value (absent keys are not in the store). */
  entries: Array<{ key: string; value: string; version?: string }>;
  /** Every marker planted in the values. */
  markers: string[];
}

const marker = fc.stringMatching(/^[0-9a-f]{16}$/).map((hex) => `MK${hex}`);

/** JSON property names from users' and remote data, the awkward ones included. */
const jsonKey = fc.oneof(
  fc.constantFrom('user', 'pw', 'password', 'username', 'tls.crt', 'tls.key', 'a', 'b', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a b', '..x', '.', '', 'ünï', 'k'.repeat(300)),
  fc.stringMatching(/^[-._a-zA-Z0-9]{1,12}$/),
);

function nested(depth: number, leaf: string): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 3 === 0 ? [v] : { [`l${i}`]: v };
  return v;
}

/** One remote value for `key`, carrying `m`. */
function valueFor(key: RemoteKey, m: string, pick: { keys: string[]; depth: number; bytes: number[]; huge: boolean; variant: number }): string | undefined {
  switch (key) {
    case 'db': return pick.variant % 5 === 0 ? `${m} ${'é'.repeat(pick.variant % 7)}` : m;
    case 'json': return JSON.stringify(Object.fromEntries(pick.keys.map((k, i) => [k, i % 4 === 3 ? { inner: m, n: i } : i % 4 === 2 ? [m, i] : `${m}${i}`])));
    case 'b64': return Buffer.from(m).toString('base64');
    case 'b64url': return Buffer.from(`${m}~~?>`).toString('base64url');
    case 'badb64': return `not base64 !! ${m}`;
    case 'deep': return JSON.stringify({ top: nested(pick.depth, m), user: m });
    case 'bin': return Buffer.concat([Buffer.from(pick.bytes), Buffer.from(m)]).toString('latin1');
    // Within what a fake store holds (1 MiB a value); two keys of it make a Secret over 1 MiB.
    case 'big': return pick.huge ? m.repeat(Math.ceil((700 * 1024) / m.length)) : m.repeat(64);
    case 'tls': return JSON.stringify({ 'tls.crt': `${m}-crt`, 'tls.key': `${m}-key` });
    case 'proto': return `{"__proto__":"${m}","user":"${m}u","constructor":"${m}c"}`;
    case 'list': return JSON.stringify([m, m]);
    case 'empty': return pick.variant % 2 === 0 ? '' : '{}';
    case 'missing': return undefined;
  }
}

export const remoteValues: fc.Arbitrary<RemoteValues> = fc.record({
  markers: fc.array(marker, { minLength: REMOTE_KEYS.length, maxLength: REMOTE_KEYS.length }),
  present: fc.array(fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), { minLength: REMOTE_KEYS.length, maxLength: REMOTE_KEYS.length }),
  keys: fc.uniqueArray(jsonKey, { minLength: 1, maxLength: 6 }),
  depth: fc.integer({ min: 1, max: 400 }),
  bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 32 }),
  huge: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  variant: fc.nat(100),
  version: fc.option(fc.constantFrom('1', '2', 'v3', 'AWSCURRENT'), { nil: undefined }),
}).map(({ markers, present, keys, depth, bytes, huge, variant, version }) => {
  const entries: RemoteValues['entries'] = [];
  REMOTE_KEYS.forEach((key, i) => {
    // Most keys are present; the fixed ones that tests lean on always are.
    if (!present[i] && !['db', 'json'].includes(key)) return;
    const value = valueFor(key, markers[i]!, { keys, depth, bytes, huge, variant });
    if (value !== undefined) entries.push({ key, value, ...(version ? { version } : {}) });
  });
  return { entries, markers };
});

const remoteKey = fc.constantFrom(...REMOTE_KEYS);
const secretKey = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('pw', 'user', 'username', 'password', 'tls.crt', 'tls.key', '.dockerconfigjson', 'a') },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', '..x', '.', '-x_y.z', 'k'.repeat(253)) },
  { weight: 1, arbitrary: fc.stringMatching(/^[-._a-zA-Z0-9]{1,20}$/) },
);
const property = fc.option(fc.constantFrom('user', 'pw', 'top', 'top.l0', 'a.b', '__proto__', 'constructor', 'tls.crt', 'missing', '0'), { nil: undefined, freq: 2 });
const decodingStrategy = fc.option(fc.constantFrom('None', 'Base64', 'Base64URL', 'Auto'), { nil: undefined });
const version = fc.option(fc.constantFrom('1', '2', 'v3', 'nope'), { nil: undefined, freq: 10 });

/** References that fit the values above, so that most cases get as far as writing a Secret. */
const fitting = fc.constantFrom(
  { key: 'db' }, { key: 'db', decodingStrategy: 'Auto' }, { key: 'b64', decodingStrategy: 'Base64' }, { key: 'b64url', decodingStrategy: 'Base64URL' },
  { key: 'tls', property: 'tls.crt' }, { key: 'tls', property: 'tls.key' }, { key: 'deep', property: 'user' }, { key: 'deep', property: 'top' },
  { key: 'proto', property: 'user' }, { key: 'proto', property: 'constructor' }, { key: 'bin' }, { key: 'big' }, { key: 'big' }, { key: 'json' }, { key: 'list', property: '0' },
);
const dataEntry = fc.record({
  secretKey,
  remoteRef: fc.oneof(
    { weight: 4, arbitrary: fitting },
    { weight: 1, arbitrary: fc.record({ key: remoteKey, property, version, decodingStrategy }) },
  ),
});
const regexpRewrite = fc.record({ regexp: fc.record({ source: fc.constantFrom('^', 'u', '(a+)+$', '[', '.', '^user$', '\\.'), target: fc.constantFrom('', 'x-', '$1', '_', 'p.') }) });
const transformRewrite = fc.record({ transform: fc.record({ template: fc.constantFrom('{{ .value | upper }}', 'k-{{ .value }}', '{{ .value }}/x', '{{ .value', '{{ .other }}', '{{ .value | replace "a" }}', '{{ .value | b64enc }}') }) });
const rewrite = fc.option(fc.array(fc.oneof({ weight: 3, arbitrary: regexpRewrite }, { weight: 1, arbitrary: transformRewrite }), { maxLength: 2 }), { nil: undefined });
const conversionStrategy = fc.option(fc.constantFrom('Default', 'Unicode'), { nil: undefined });
const dataFromEntry = fc.oneof(
  { weight: 3, arbitrary: fc.record({ extract: fc.oneof(fc.constantFrom({ key: 'json' }, { key: 'tls' }, { key: 'proto' }, { key: 'deep' }, { key: 'deep', property: 'top' }), fc.record({ key: remoteKey, property, version, decodingStrategy, conversionStrategy })), rewrite }) },
  { weight: 1, arbitrary: fc.record({ find: fc.record({ name: fc.record({ regexp: fc.constantFrom('.*', '^j', '(a+)+$', '[', '^(db|json)$') }), decodingStrategy, conversionStrategy }), rewrite }) },
);

const interval = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('0', '0s', '1s', '2s', '10s', '30s', '1m', '5m', '1h', '1.5h', '720h') },
  { weight: 1, arbitrary: fc.constantFrom('1ns', '1ms', '999ms', 'soon') },
);
const labelKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('team', 'app.kubernetes.io/name', 'example.com/x', 'example.com/Note') },
  { weight: 1, arbitrary: fc.constantFrom('-bad', 'Bad_Prefix/x', 'a/b/c', 'k'.repeat(64), '__proto__') },
);
const labelValue = fc.constantFrom('a', '', 'x'.repeat(63), 'x'.repeat(64), 'bad value', '-x', 'ok.value_1');
const templateText = fc.oneof(
  fc.constantFrom('{{ .pw }}', 'user={{ .user }}', '{{ .user }}:{{ .pw }}', '{{ .missing }}', '{{ .constructor }}', '{{ .__proto__ }}', '{{ .tls.crt }}', 'plain', '{{ bad', '{{- .pw -}}'),
  fc.string({ maxLength: 24 }),
);
const templateDataKey = fc.oneof({ weight: 8, arbitrary: secretKey }, { weight: 1, arbitrary: fc.constantFrom('a b', 'ünï') });

export const targetName = fc.constantFrom('app', 'shared', 'app-long-'.padEnd(70, 'y'), 't'.repeat(242));

const target = fc.option(fc.record({
  name: fc.option(targetName, { nil: undefined }),
  creationPolicy: fc.option(fc.constantFrom('Owner', 'Orphan'), { nil: undefined }),
  template: fc.option(fc.record({
    type: fc.option(fc.constantFrom('Opaque', 'kubernetes.io/tls', 'kubernetes.io/basic-auth', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/ssh-auth', 'kubernetes.io/service-account-token', 'example.com/custom'), { nil: undefined }),
    metadata: fc.option(fc.record({
      labels: fc.option(fc.dictionary(labelKey, labelValue, { maxKeys: 2 }), { nil: undefined }),
      annotations: fc.option(fc.dictionary(labelKey, fc.string({ maxLength: 40 }), { maxKeys: 2 }), { nil: undefined }),
    }), { nil: undefined }),
    data: fc.option(fc.dictionary(templateDataKey, templateText, { minKeys: 1, maxKeys: 3 }), { nil: undefined }),
    // Literals only: the fuzz API holds no ConfigMap, so a configMap source is always missing.
    templateFrom: fc.option(fc.array(fc.oneof(
      fc.record({ literal: fc.constantFrom('k: "{{ .user }}"', 'team: x', '{{ .pw }}', '{{ bad', 'n: 1', '"a b": "{{ .missing }}"'), target: fc.option(fc.constantFrom('Data', 'Labels', 'Annotations'), { nil: undefined }) }),
      fc.record({ configMap: fc.record({ name: fc.constant('tpl'), items: fc.constant([{ key: 'k' }]) }) }),
    ), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 4 }),
  }), { nil: undefined, freq: 2 }),
  versioning: fc.option(fc.record({ retain: fc.integer({ min: 0, max: 3 }), minRetention: fc.constantFrom('0s', '1m', '1h') }), { nil: undefined }),
}), { nil: undefined });

export const externalSecretSpec = fc.record({
  secretStoreRef: fc.oneof(
    { weight: 6, arbitrary: fc.constant({ name: 'fake' }) },
    { weight: 2, arbitrary: fc.constant({ name: 'shared', kind: 'ClusterSecretStore' }) },
    { weight: 1, arbitrary: fc.constantFrom({ name: 'absent' }, { name: 'broken' }, { name: 'absent', kind: 'ClusterSecretStore' }) },
  ),
  refreshInterval: fc.option(interval, { nil: undefined }),
  refreshPolicy: fc.option(fc.constantFrom('Periodic', 'OnChange', 'CreatedOnce'), { nil: undefined, freq: 3 }),
  data: fc.option(fc.oneof(
    { weight: 6, arbitrary: fc.uniqueArray(dataEntry, { minLength: 1, maxLength: 4, selector: (d) => d.secretKey }) },
    { weight: 1, arbitrary: fc.array(dataEntry, { minLength: 2, maxLength: 3 }) },
  ), { nil: undefined, freq: 5 }),
  dataFrom: fc.option(fc.array(dataFromEntry, { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 2 }),
  target,
});

/** A change to a spec: drop a node, replace it with any JSON, or duplicate an array element. */
export interface Mutation {
  kind: 'delete' | 'set' | 'duplicate';
  at: number;
  value: unknown;
}

export const mutations: fc.Arbitrary<Mutation[]> = fc.oneof({ weight: 3, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 2, arbitrary: fc.array<Mutation>(fc.record({
  kind: fc.constantFrom('delete', 'set', 'duplicate') as fc.Arbitrary<Mutation['kind']>,
  at: fc.nat(),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), interval, secretKey, remoteKey, fc.constantFrom('', '0', 'ClusterSecretStore', '__proto__')),
}), { minLength: 1, maxLength: 3 }) });

/** Paths of every node below the root, depth first. */
function paths(node: unknown, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (Array.isArray(node)) node.forEach((v, i) => { out.push([...at, i]); paths(v, [...at, i], out); });
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) { out.push([...at, k]); paths(v, [...at, k], out); }
  return out;
}

/** Applies mutations to a copy of `spec`. */
export function mutate<T>(spec: T, changes: Mutation[]): T {
  const copy = JSON.parse(JSON.stringify(spec)) as T;
  for (const change of changes) {
    const all = paths(copy);
    if (all.length === 0) break;
    const path = all[change.at % all.length]!;
    const parent = path.slice(0, -1).reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], copy) as Record<string | number, unknown> | unknown[];
    const last = path[path.length - 1]!;
    if (change.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last as string];
    } else if (change.kind === 'duplicate' && Array.isArray(parent)) {
      parent.push(JSON.parse(JSON.stringify(parent[last as number])));
    } else {
      (parent as Record<string | number, unknown>)[last] = JSON.parse(JSON.stringify(change.value ?? null));
    }
  }
  return copy;
}

/** A ClusterSecretStore's namespace conditions, unanchored and hostile patterns included. */
export const storeConditions = fc.option(fc.array(fc.record({
  namespaces: fc.option(fc.array(fc.constantFrom(NAMESPACE, OTHER_NAMESPACE, 'x'), { maxLength: 2 }), { nil: undefined }),
  namespaceRegexes: fc.option(fc.array(fc.constantFrom('^ns$', 'ns', '(a+)+$', '[', '.*'), { maxLength: 2 }), { nil: undefined }),
  namespaceSelector: fc.option(fc.record({ matchLabels: fc.dictionary(fc.constantFrom('team', 'env'), fc.constantFrom('a', 'b'), { maxKeys: 1 }) }), { nil: undefined }),
}), { maxLength: 2 }), { nil: undefined });

export const storeExtras = fc.record({
  refreshInterval: fc.option(fc.oneof({ weight: 9, arbitrary: fc.constantFrom('0', '1m', '5m') }, { weight: 1, arbitrary: fc.constant('soon') }), { nil: undefined, freq: 3 }),
  cache: fc.option(fc.record({ latestTTL: fc.constantFrom('0s', '1s', '10s') }), { nil: undefined }),
  rateLimit: fc.option(fc.record({ requestsPerSecond: fc.constantFrom(0.5, 10, 1000), burst: fc.constantFrom(1, 10) }), { nil: undefined }),
});

/** Drops `undefined` fields, as a JSON round trip through the API server would. */
export const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
