// What the Kubernetes API server refuses in a Secret (k8s.io/apimachinery validation and
// ValidateSecret), checked before a version is written: a version the server would refuse
// must fail with a condition that names the part, not with an HTTP 422 retried forever.
// Messages carry key names, never values.

/** The API server's limit on the sum of a Secret's value sizes. */
export const MAX_SECRET_DATA_BYTES = 1024 * 1024;
/** The API server's limit on the summed length of an object's annotation keys and values. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** Longest Secret data key (IsConfigMapKey). */
export const MAX_DATA_KEY_LENGTH = 253;

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface SecretProblem {
  /** Which part of the Secret: `data`, `labels`, `annotations` or `type`. */
  part: 'data' | 'labels' | 'annotations' | 'type';
  /** The label or annotation at fault, when one is (not for the annotations' total size). */
  key?: string;
  message: string;
}

export interface SecretShape {
  type: string;
  /** Decoded values by key. */
  data: Record<string, Buffer>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A name for a message: quoted, and cut short so a hostile key cannot flood a condition. */
const show = (name: string): string => JSON.stringify(name.length > 64 ? `${name.slice(0, 61)}...` : name);

/** Why the API server would refuse a data key, or undefined. */
export function dataKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'a data key must not be empty';
  if (key.length > MAX_DATA_KEY_LENGTH) return `data key ${show(key)} is longer than ${MAX_DATA_KEY_LENGTH} characters`;
  if (!DATA_KEY.test(key)) return `data key ${show(key)} may contain only letters, digits, '-', '_' and '.'`;
  if (key === '.' || key === '..' || key.startsWith('..')) return `data key ${show(key)} must not be '.' or start with '..'`;
  // The Kubernetes client serialises maps into plain objects, where this key would vanish silently.
  if (key === '__proto__') return `data key ${show(key)} cannot be carried by the Kubernetes client`;
  return undefined;
}

/** Why the API server would refuse a label or annotation key (a qualified name), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `key ${show(key)} has a prefix that is not a DNS subdomain`;
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) return `key ${show(key)} must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (after an optional DNS prefix and '/')`;
  return undefined;
}

/** Why the API server would refuse a label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) return 'value must be at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit';
  return undefined;
}

/** Keys a Secret of a built-in type must have (ValidateSecret). */
const REQUIRED_KEYS: Record<string, { all?: string[]; oneOf?: string[]; json?: string }> = {
  'kubernetes.io/tls': { all: ['tls.crt', 'tls.key'] },
  'kubernetes.io/ssh-auth': { all: ['ssh-privatekey'] },
  'kubernetes.io/basic-auth': { oneOf: ['username', 'password'] },
  'kubernetes.io/dockerconfigjson': { all: ['.dockerconfigjson'], json: '.dockerconfigjson' },
  'kubernetes.io/dockercfg': { all: ['.dockercfg'], json: '.dockercfg' },
};

function typeProblems(type: string, data: Record<string, Buffer>, annotations: Record<string, string>): string[] {
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  if (type === 'kubernetes.io/service-account-token') {
    return annotations['kubernetes.io/service-account.name'] ? [] : ['type kubernetes.io/service-account-token needs the annotation kubernetes.io/service-account.name'];
  }
  const rule = REQUIRED_KEYS[type];
  if (!rule) return [];
  const out: string[] = [];
  for (const k of rule.all ?? []) if (!has(k)) out.push(`type ${type} needs the data key ${show(k)}`);
  if (rule.oneOf && !rule.oneOf.some(has)) out.push(`type ${type} needs one of the data keys ${rule.oneOf.map(show).join(', ')}`);
  if (rule.json && has(rule.json)) {
    try {
      JSON.parse(data[rule.json]!.toString('utf8'));
    } catch {
      out.push(`type ${type} needs ${show(rule.json)} to hold JSON`);
    }
  }
  return out;
}

/** Everything the API server would refuse in this Secret; empty when it would accept it. */
export function secretProblems(secret: SecretShape): SecretProblem[] {
  const problems: SecretProblem[] = [];
  let bytes = 0;
  for (const [key, value] of Object.entries(secret.data)) {
    const p = dataKeyProblem(key);
    if (p) problems.push({ part: 'data', message: p });
    bytes += value.length;
  }
  if (bytes > MAX_SECRET_DATA_BYTES) problems.push({ part: 'data', message: `the values add up to ${bytes} bytes, over the API server's limit of ${MAX_SECRET_DATA_BYTES} (1 MiB)` });
  for (const [key, value] of Object.entries(secret.labels)) {
    const p = qualifiedNameProblem(key) ?? labelValueProblem(value);
    if (p) problems.push({ part: 'labels', key, message: `label ${show(key)}: ${p}` });
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(secret.annotations)) {
    const p = qualifiedNameProblem(key.toLowerCase());
    if (p) problems.push({ part: 'annotations', key, message: `annotation ${show(key)}: ${p}` });
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (annotationBytes > MAX_ANNOTATIONS_BYTES) problems.push({ part: 'annotations', message: `annotations add up to ${annotationBytes} bytes, over the API server's limit of ${MAX_ANNOTATIONS_BYTES}` });
  for (const message of typeProblems(secret.type, secret.data, secret.annotations)) problems.push({ part: 'type', message });
  return problems;
}
