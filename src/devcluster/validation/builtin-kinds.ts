// Validation of built-in kinds beyond metadata, in the API server's words and order: Secrets
// (data keys, 1 MiB, the keys each type requires, immutability), ConfigMaps (keys, a key in both
// data and binaryData, 1 MiB, immutability), Pods (containers), CronJob name length.
// Base64 in Secret data and ConfigMap binaryData is checked when the body is decoded: a bad value
// is a 400, not a 422.
import { badRequest, fieldForbidden, fieldInvalid, fieldRequired, fieldTooLong } from '../api-error.js';
import { deepEqual } from '../object-meta.js';
import type { FieldError, KubeObject } from '../resource-type.js';
import { isConfigMapKey } from './identifiers.js';

/** api.MaxSecretSize: the limit on a Secret's or ConfigMap's data together. */
export const MAX_SECRET_SIZE = 1024 * 1024;

const IMMUTABLE = 'field is immutable when `immutable` is set';
const REDACTED = '<secret contents redacted>';

type Data = Record<string, unknown>;
const dataOf = (v: unknown): Data => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : {});

const B64 = /[A-Za-z0-9+/]/;

/**
 * Where Go's strict base64 decoder (StdEncoding) stops on `s`, or -1 when `s` decodes. Go
 * reports the offset of the offending quantum or character; newlines are skipped as Go does.
 */
export function base64ErrorOffset(s: string): number {
  let i = 0;
  const n = s.length;
  const next = (): number => { while (i < n && (s[i] === '\n' || s[i] === '\r')) i++; return i; };
  for (;;) {
    let j = 0;
    const start = next();
    if (start >= n) return -1;
    while (j < 4) {
      const at = next();
      if (at >= n) return j === 0 ? -1 : start;
      const c = s[at];
      if (c === '=') {
        if (j < 2) return at;
        i = at + 1;
        if (j === 2) {
          const second = next();
          if (second >= n) return n;
          if (s[second] !== '=') return second - 1;
          i = second + 1;
        }
        const rest = next();
        return rest < n ? rest : -1;
      }
      if (!B64.test(c)) return at;
      i = at + 1;
      j++;
    }
  }
}

/** Bytes that a valid base64 string decodes to. */
export function decodedLength(b64: string): number {
  const clean = b64.includes('\n') || b64.includes('\r') ? b64.replace(/[\r\n]/g, '') : b64;
  let pad = 0;
  if (clean.endsWith('==')) pad = 2; else if (clean.endsWith('=')) pad = 1;
  return (clean.length / 4) * 3 - pad;
}

function checkBase64Map(kind: string, field: string, values: unknown): void {
  for (const v of Object.values(dataOf(values))) {
    if (typeof v !== 'string') {
      throw badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v} into Go struct field ${kind}.${field} of type []uint8`);
    }
    const at = base64ErrorOffset(v);
    if (at >= 0) throw badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: illegal base64 data at input byte ${at}`);
  }
}

export function checkSecretEncoding(obj: KubeObject): void {
  checkBase64Map('Secret', 'data', obj.data);
}

export function checkConfigMapEncoding(obj: KubeObject): void {
  checkBase64Map('ConfigMap', 'binaryData', obj.binaryData);
}

/** Secret type → the data keys (or annotation) it needs. */
function secretTypeErrors(obj: KubeObject): FieldError[] {
  const data = dataOf(obj.data);
  const has = (k: string) => Object.hasOwn(data, k);
  const decoded = (k: string) => Buffer.from(String(data[k] ?? ''), 'base64').toString('utf8');
  const jsonObjectError = (k: string): FieldError[] => {
    if (!has(k)) return [fieldRequired(`data[${k}]`)];
    try {
      const parsed: unknown = JSON.parse(decoded(k));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return [fieldInvalid(`data[${k}]`, REDACTED, `json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type map[string]interface {}`)];
      }
      return [];
    } catch (e) {
      return [fieldInvalid(`data[${k}]`, REDACTED, e instanceof Error ? e.message : String(e))];
    }
  };
  switch (obj.type) {
    case 'kubernetes.io/service-account-token': {
      const ann = (obj.metadata?.annotations ?? {}) as Record<string, string>;
      return ann['kubernetes.io/service-account.name'] ? [] : [fieldRequired('metadata.annotations[kubernetes.io/service-account.name]')];
    }
    case 'kubernetes.io/dockercfg': return jsonObjectError('.dockercfg');
    case 'kubernetes.io/dockerconfigjson': return jsonObjectError('.dockerconfigjson');
    case 'kubernetes.io/basic-auth':
      return has('username') || has('password') ? [] : [fieldRequired('data[username]'), fieldRequired('data[password]')];
    case 'kubernetes.io/ssh-auth':
      return decodedLength(String(data['ssh-privatekey'] ?? '')) > 0 ? [] : [fieldRequired('data[ssh-privatekey]')];
    case 'kubernetes.io/tls':
      return [...(has('tls.crt') ? [] : [fieldRequired('data[tls.crt]')]), ...(has('tls.key') ? [] : [fieldRequired('data[tls.key]')])];
    default:
      return [];
  }
}

/** ValidateSecret (create), or ValidateSecretUpdate: immutability first, then the new object in full. */
export function validateSecret(obj: KubeObject, old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[] {
  const errors: FieldError[] = [];
  if (old) {
    if (obj.type !== old.type) errors.push(fieldInvalid('type', obj.type, 'field is immutable'));
    if (old.immutable === true) {
      if (obj.immutable !== true) errors.push(fieldForbidden('immutable', IMMUTABLE));
      if (!deepEqual(obj.data ?? {}, old.data ?? {})) errors.push(fieldForbidden('data', IMMUTABLE));
    }
  }
  errors.push(...metaErrors);
  let size = 0;
  for (const [k, v] of Object.entries(dataOf(obj.data))) {
    for (const msg of isConfigMapKey(k)) errors.push(fieldInvalid(`data[${k}]`, k, msg));
    size += decodedLength(String(v));
  }
  if (size > MAX_SECRET_SIZE) errors.push(fieldTooLong('data', MAX_SECRET_SIZE));
  errors.push(...secretTypeErrors(obj));
  return errors;
}

/** ValidateConfigMap, or ValidateConfigMapUpdate: immutability first. The size error names the whole object (`[]`). */
export function validateConfigMap(obj: KubeObject, old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[] {
  const errors: FieldError[] = [];
  if (old?.immutable === true) {
    if (obj.immutable !== true) errors.push(fieldForbidden('immutable', IMMUTABLE));
    if (!deepEqual(obj.data ?? {}, old.data ?? {})) errors.push(fieldForbidden('data', IMMUTABLE));
    if (!deepEqual(obj.binaryData ?? {}, old.binaryData ?? {})) errors.push(fieldForbidden('binaryData', IMMUTABLE));
  }
  errors.push(...metaErrors);
  const data = dataOf(obj.data);
  const binary = dataOf(obj.binaryData);
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const msg of isConfigMapKey(k)) errors.push(fieldInvalid(`data[${k}]`, k, msg));
    if (Object.hasOwn(binary, k)) errors.push(fieldInvalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(String(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    // A key in both maps is reported once, on the data side, as the API server does.
    for (const msg of isConfigMapKey(k)) errors.push(fieldInvalid(`binaryData[${k}]`, k, msg));
    size += decodedLength(String(v));
  }
  if (size > MAX_SECRET_SIZE) errors.push(fieldTooLong('[]', MAX_SECRET_SIZE));
  return errors;
}

export function validatePod(obj: KubeObject, _old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[] {
  const spec = dataOf(obj.spec);
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  return containers.length === 0 ? [...metaErrors, fieldRequired('spec.containers')] : metaErrors;
}

/** A CronJob's Jobs are named `<cronjob>-<11 characters>`, which must stay a 63-character label. */
export function validateCronJob(obj: KubeObject, _old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[] {
  const name = String(obj.metadata?.name ?? '');
  return name.length > 52 ? [...metaErrors, fieldInvalid('metadata.name', name, 'must be no more than 52 characters')] : metaErrors;
}

/** A Service needs ports (ExternalName excepted), each in range and, when several, named. */
export function validateService(obj: KubeObject, _old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[] {
  const errors = [...metaErrors];
  const spec = dataOf(obj.spec);
  const ports = Array.isArray(spec.ports) ? (spec.ports as Data[]) : [];
  if (spec.type !== 'ExternalName' && ports.length === 0 && spec.clusterIP !== 'None') errors.push(fieldRequired('spec.ports'));
  ports.forEach((p, i) => {
    if (ports.length > 1 && !p.name) errors.push(fieldRequired(`spec.ports[${i}].name`));
    const port = p.port;
    if (typeof port !== 'number' || port < 1 || port > 65535) errors.push(fieldInvalid(`spec.ports[${i}].port`, port ?? 0, 'must be between 1 and 65535, inclusive'));
  });
  return errors;
}
