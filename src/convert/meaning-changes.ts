// What an ESO manifest means that keyferry's schema accepts but keyferry does differently:
// versioned Secret names (consumers must change), refused template engines and intervals,
// unanchored namespace patterns, credential references keyferry resolves more strictly.
import { parseDuration } from '../api/duration.js';
import { PatternError, compileUserPattern, isAnchored } from '../controller/user-pattern.js';
import type { Severity } from './findings.js';
import type { Path } from './schema-walk.js';

export interface MeaningChange {
  severity: Severity;
  path: Path;
  message: string;
  /** About the consumers of the Secret, which matter only when the object is converted. */
  consumers?: boolean;
}

/** Checks a store config as the operator would; injected by the CLI, which may name concrete providers. */
export interface StoreChecks {
  /** The operator's own credentials the provider block would fall back to, described; undefined when it names its own. */
  ambientCredentials(provider: string, config: unknown): string | undefined;
  /** Problems the operator would refuse the provider block for (`field` from the store's root). */
  validateConfig(provider: string, config: unknown, store: { kind: 'SecretStore' | 'ClusterSecretStore'; name: string; namespace?: string }): { field: string; message: string }[];
}

export interface MeaningOptions {
  /** Set `target.versioning.alias: true`, keeping each Secret's plain name for its consumers. */
  alias: boolean;
  storeChecks?: StoreChecks;
  /** The document is a kustomize patch of an object: its consumers are the base's, reported there. */
  patch?: boolean;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const at = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o);

/** The ExternalSecret spec inside an object, and its path. */
function externalSecretSpec(kind: string, obj: Obj): { spec: Obj; path: Path } | undefined {
  const spec = kind === 'ExternalSecret' ? at(obj, 'spec') : kind === 'ClusterExternalSecret' ? at(obj, 'spec', 'externalSecretSpec') : undefined;
  if (!isObject(spec)) return undefined;
  return { spec, path: kind === 'ExternalSecret' ? ['spec'] : ['spec', 'externalSecretSpec'] };
}

function externalSecretChanges(kind: string, obj: Obj, opts: MeaningOptions): MeaningChange[] {
  const found = externalSecretSpec(kind, obj);
  if (!found) return [];
  const { spec, path } = found;
  const out: MeaningChange[] = [];
  if (at(spec, 'target', 'template', 'engineVersion') === 'v1') {
    out.push({ severity: 'refused', path: [...path, 'target', 'template', 'engineVersion'], message: 'template engine v1 is refused by keyferry (Ready=False, InvalidSpec): rewrite the templates for engine v2' });
  }
  const interval = spec.refreshInterval;
  if (typeof interval === 'string') {
    let ms: number | undefined;
    try {
      ms = parseDuration(interval);
    } catch {
      out.push({ severity: 'refused', path: [...path, 'refreshInterval'], message: 'not a Go duration keyferry accepts (such as 30s, 15m, 1h or 1h30m, or 0)' });
    }
    if (ms !== undefined && ms > 0 && ms < 1000) {
      out.push({ severity: 'refused', path: [...path, 'refreshInterval'], message: 'keyferry refreshes at most once a second: use 1s or more, or 0 to read once' });
    }
  }
  const esName = kind === 'ExternalSecret' ? at(obj, 'metadata', 'name') : at(obj, 'spec', 'externalSecretName') ?? at(obj, 'metadata', 'name');
  const target = String(at(spec, 'target', 'name') ?? esName ?? '<name>');
  const targetPath = at(spec, 'target', 'name') !== undefined ? [...path, 'target', 'name'] : ['metadata', 'name'];
  const versioning = at(spec, 'target', 'versioning');
  const chosen = isObject(versioning) && (versioning.alias === true || (versioning.rollout !== undefined && versioning.rollout !== 'None'));
  const policy = at(spec, 'target', 'creationPolicy');
  const policyPath = [...path, 'target', 'creationPolicy'];
  if (policy === 'Merge') {
    const metadata = at(spec, 'target', 'template', 'metadata');
    if (isObject(metadata) && (Object.keys(at(metadata, 'labels') ?? {}).length || Object.keys(at(metadata, 'annotations') ?? {}).length)) {
      out.push({ severity: 'refused', path: [...path, 'target', 'template', 'metadata'], message: "keyferry's creationPolicy Merge writes data keys only, never labels or annotations of a Secret it does not own (Ready=False, InvalidSpec): leave them out" });
    }
    out.push({ severity: 'warning', consumers: true, path: policyPath, message: `keyferry merges only into a Secret that opted in: annotate Secret ${target} keyferry.io/merge-from: ${String(esName)}; it never changes a key it did not write (ESO overwrites it), and needs manifests/optional/merge-mode for update on Secrets` });
  }
  if (policy === 'None') {
    out.push({ severity: 'warning', consumers: true, path: policyPath, message: 'no Secret is written, as in ESO, but Ready is False with reason CreationPolicyNone rather than True: a health check waiting for Ready=True must accept that reason' });
  }
  if (opts.patch) return out;
  // Versioned names are what Owner and Orphan targets get; Merge writes into someone else's
  // Secret and None writes none, so no consumer changes.
  if (policy !== undefined && policy !== 'Owner' && policy !== 'Orphan') return out;
  if (opts.alias) {
    out.push({ severity: 'note', consumers: true, path: targetPath, message: `Secret ${target} is kept as an alias (target.versioning.alias: true) beside the versions ${target}-<hash>: consumers keep their references; apply manifests/optional/alias-mode for the RBAC it needs; Pods restart on a change only with rollout: Patch and the keyferry.io/follow annotation` });
  } else if (!chosen) {
    out.push({ severity: 'warning', consumers: true, path: targetPath, message: `consumers must change: keyferry writes Secret ${target}-<hash>, a new name for each version, not ${target}. Set target.versioning.rollout: Patch and annotate the workloads keyferry.io/follow: ${String(esName)}, or rollout: Publish for Flux postBuild.substituteFrom, or keep the name with alias: true (--alias)` });
  }
  return out;
}

/** namespaceRegexes as the operator reads them (RE2, anchored only when written so), with the same rules. */
function clusterStoreChanges(obj: Obj): MeaningChange[] {
  const out: MeaningChange[] = [];
  const conditions = at(obj, 'spec', 'conditions');
  if (!Array.isArray(conditions)) return out;
  conditions.forEach((c, i) => {
    const regexes = at(c, 'namespaceRegexes');
    if (!Array.isArray(regexes)) return;
    regexes.forEach((re, j) => {
      if (typeof re !== 'string') return;
      const path = ['spec', 'conditions', i, 'namespaceRegexes', j];
      try {
        compileUserPattern(re);
      } catch (e) {
        if (e instanceof PatternError) out.push({ severity: 'warning', path, message: 'RE2 does not accept this pattern, so it admits no namespace' });
        return;
      }
      if (!isAnchored(re)) {
        out.push({ severity: 'warning', path, message: `unanchored pattern: it matches anywhere in a namespace's name, as in ESO (so it admits more namespaces than it seems to); anchor it as ^...$` });
      }
    });
  });
  return out;
}

/** References under the provider block that name a namespace: a SecretStore resolves them only in its own. */
function foreignReferences(value: unknown, own: string | undefined, path: Path, out: MeaningChange[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => foreignReferences(v, own, [...path, i], out));
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.name === 'string' && typeof value.namespace === 'string' && value.namespace !== own) {
    out.push(own === undefined
      ? { severity: 'warning', path: [...path, 'namespace'], message: "a SecretStore resolves references only in its own namespace, and this store's namespace is not in the manifest: make sure they agree" }
      : { severity: 'refused', path: [...path, 'namespace'], message: `a SecretStore resolves references only in its own namespace (${own}); keyferry refuses one to another namespace (use a ClusterSecretStore)` });
  }
  for (const [k, v] of Object.entries(value)) foreignReferences(v, own, [...path, k], out);
}

function storeChanges(kind: 'SecretStore' | 'ClusterSecretStore', obj: Obj, opts: MeaningOptions, refused: boolean): MeaningChange[] {
  const out: MeaningChange[] = kind === 'ClusterSecretStore' ? clusterStoreChanges(obj) : [];
  const provider = at(obj, 'spec', 'provider');
  if (!isObject(provider)) return out;
  const namespace = at(obj, 'metadata', 'namespace');
  if (kind === 'SecretStore') foreignReferences(provider, typeof namespace === 'string' ? namespace : undefined, ['spec', 'provider'], out);
  const checks = opts.storeChecks;
  if (!checks) return out;
  for (const [name, config] of Object.entries(provider)) {
    if (kind === 'SecretStore') {
      const ambient = checks.ambientCredentials(name, config);
      if (ambient) out.push({ severity: 'warning', path: ['spec', 'provider', name], message: `names no credentials, so it would use the operator's own (${ambient}): keyferry refuses that in a SecretStore unless the operator runs with --allow-ambient-credentials-in-secretstores` });
    }
    // A provider block already refused for its fields would only be refused again, less clearly.
    if (refused) continue;
    const store = { kind, name: String(at(obj, 'metadata', 'name') ?? ''), ...(typeof namespace === 'string' ? { namespace } : {}) };
    for (const issue of checks.validateConfig(name, config, store)) {
      out.push({ severity: 'refused', path: pathOfField(issue.field), message: `keyferry would refuse this store: ${issue.message}` });
    }
  }
  return out;
}

/** `spec.provider.aws.auth[0].x` → ['spec', 'provider', 'aws', 'auth', 0, 'x']. */
export function pathOfField(field: string): Path {
  const out: Path = [];
  for (const part of field.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** Meaning changes of one object, after the fields keyferry lacks were left out; `refused` when a field already refused it. */
export function meaningChanges(kind: string, obj: Obj, opts: MeaningOptions, refused = false): MeaningChange[] {
  if (kind === 'SecretStore' || kind === 'ClusterSecretStore') return storeChanges(kind, obj, opts, refused);
  return externalSecretChanges(kind, obj, opts);
}
