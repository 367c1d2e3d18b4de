// How much a field that keyferry's schema does not hold matters: which of them can be left out
// with a warning, and which change what is read or written so that the object must be refused.
// The schema decides *whether* a field carries over; this file only grades what does not.
import type { Severity } from './findings.js';
import type { SchemaGap, Path } from './schema-walk.js';

/** ESO fields keyferry lacks whose ESO default is what keyferry does anyway. */
const ESO_DEFAULTS: Record<string, unknown> = {
  conversionStrategy: 'Default',
  metadataPolicy: 'None',
};

/** Why a field keyferry lacks is missing, by field name, where a reader needs more than "no such field". */
const WHY: Record<string, string> = {
  immutable: "keyferry's Secrets are always immutable",
  retrySettings: "keyferry's fetch path retries with backoff and honours Retry-After",
  controller: 'keyferry has no controller classes',
  sourceRef: 'generators and per-entry stores are not supported',
  templateFrom: 'templates from ConfigMaps or Secrets are not supported; inline them in target.template.data',
  conversionStrategy: "keyferry reads values as they are (ESO's Default)",
  metadataPolicy: "keyferry reads a remote secret's metadata only for data[].remoteRef (metadataPolicy Fetch); dataFrom[].extract reads values (ESO's None)",
  transform: 'keyferry rewrites keys with regexp only',
};

export interface GradedGap {
  severity: Severity;
  message: string;
  /** Leave the field out of the output (only for fields that are not refused). */
  drop: boolean;
}

/** The ExternalSecret spec part of a path: `spec...` for an ExternalSecret, `spec.externalSecretSpec...` for a ClusterExternalSecret. */
function externalSecretSpecPath(kind: string, path: Path): Path | undefined {
  if (kind === 'ExternalSecret' && path[0] === 'spec') return path.slice(1);
  if (kind === 'ClusterExternalSecret' && path[0] === 'spec' && path[1] === 'externalSecretSpec') return path.slice(2);
  return undefined;
}

/** Parts of a spec that decide which remote values are read, with which credentials, and how they become the Secret. */
function shapesData(kind: string, path: Path): boolean {
  if ((kind === 'SecretStore' || kind === 'ClusterSecretStore') && path[0] === 'spec' && path[1] === 'provider') return true;
  const es = externalSecretSpecPath(kind, path);
  if (!es) return false;
  return es[0] === 'data' || es[0] === 'dataFrom' || (es[0] === 'target' && es[1] === 'template');
}

export function gradeGap(kind: string, gap: SchemaGap, providers: readonly string[]): GradedGap {
  const name = String([...gap.path].reverse().find((p) => typeof p === 'string') ?? '');
  const why = WHY[name] ? ` (${WHY[name]})` : '';
  if (gap.problem === 'enum') {
    return { severity: 'refused', drop: false, message: `value not allowed by keyferry: it allows ${gap.allowed.map(String).join(', ')}${why}` };
  }
  if (gap.problem === 'type') {
    return { severity: 'refused', drop: false, message: `keyferry expects ${gap.expected === 'integer' ? 'an' : 'a'} ${gap.expected} here` };
  }
  const isStore = kind === 'SecretStore' || kind === 'ClusterSecretStore';
  if (isStore && gap.path.length === 3 && gap.path[0] === 'spec' && gap.path[1] === 'provider') {
    return { severity: 'refused', drop: false, message: `keyferry has no ${name} provider (it has: ${providers.join(', ')})` };
  }
  if (name in ESO_DEFAULTS && ESO_DEFAULTS[name] === gap.value) {
    return { severity: 'note', drop: true, message: `left out: keyferry has no such field, and ESO's default is what keyferry does${why}` };
  }
  if (name === 'immutable') {
    return { severity: 'note', drop: true, message: `left out${why}` };
  }
  if (shapesData(kind, gap.path)) {
    return { severity: 'refused', drop: false, message: `keyferry has no such field, and leaving it out would change what is read or written${why}` };
  }
  return { severity: 'warning', drop: true, message: `left out: keyferry has no such field${why}` };
}
