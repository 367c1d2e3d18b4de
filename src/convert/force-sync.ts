// ESO re-reads an ExternalSecret when its force-sync annotation changes (`force-sync` in ESO's
// docs for an ExternalSecret, `external-secrets.io/force-sync` for a ClusterExternalSecret);
// keyferry reads `keyferry.io/force-sync`. Renaming the key, value kept, keeps the trigger.
import { isMap, isScalar, type Document } from 'yaml';
import { ANNOTATION_FORCE_SYNC } from '../api/constants.js';
import type { Severity } from './findings.js';
import type { Path } from './schema-walk.js';

const ESO_KEYS = ['external-secrets.io/force-sync', 'force-sync'];

export interface ForceSyncFinding {
  severity: Severity;
  /** The annotation's path (its key, for the line). */
  path: Path;
  message: string;
  /** Rename the annotation at `path` to keyferry's key. */
  rename: boolean;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function inAnnotations(annotations: unknown, at: Path, renamed: string): ForceSyncFinding[] {
  if (!isObject(annotations)) return [];
  const out: ForceSyncFinding[] = [];
  // Two ESO keys, or one beside keyferry's, would become one key twice: the first free one is renamed.
  let taken = ANNOTATION_FORCE_SYNC in annotations;
  for (const key of ESO_KEYS.filter((k) => k in annotations)) {
    out.push(taken
      ? { severity: 'warning', path: [...at, key], rename: false, message: `kept as it is: ${ANNOTATION_FORCE_SYNC} is already set, and keyferry reads only that one` }
      : { severity: 'note', path: [...at, key], rename: true, message: renamed });
    taken = true;
  }
  return out;
}

/** What becomes of ESO's force-sync annotations on an object of kind `kind`. */
export function forceSyncAnnotations(kind: string, obj: Obj): ForceSyncFinding[] {
  const renamed = `renamed to ${ANNOTATION_FORCE_SYNC}, value kept: keyferry reads the store again when its value changes`;
  const meta = obj.metadata;
  if (kind === 'ExternalSecret') return inAnnotations(isObject(meta) ? meta.annotations : undefined, ['metadata', 'annotations'], renamed);
  if (kind !== 'ClusterExternalSecret') return [];
  const spec = isObject(obj.spec) ? obj.spec : {};
  const esMeta = isObject(spec.externalSecretMetadata) ? spec.externalSecretMetadata : {};
  const own = isObject(meta) && isObject(meta.annotations) ? meta.annotations : {};
  return [
    // keyferry's ClusterExternalSecret passes on only externalSecretMetadata, so a key on the object itself triggers nothing.
    ...ESO_KEYS.filter((k) => k in own).map((k): ForceSyncFinding => ({
      severity: 'warning', path: ['metadata', 'annotations', k], rename: false,
      message: `keyferry's ClusterExternalSecret does not act on this annotation: to make its ExternalSecrets read again, change ${ANNOTATION_FORCE_SYNC} under spec.externalSecretMetadata.annotations`,
    })),
    ...inAnnotations(esMeta.annotations, ['spec', 'externalSecretMetadata', 'annotations'], renamed),
  ];
}

/** Renames the annotation key at `path` in the YAML document, in place (order and comments kept). */
export function renameAnnotation(doc: Document, path: Path): void {
  const map = doc.getIn(path.slice(0, -1), true);
  if (!isMap(map)) return;
  const key = path[path.length - 1];
  const pair = map.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
  if (pair && isScalar(pair.key)) pair.key.value = ANNOTATION_FORCE_SYNC;
}
