// Decodes the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`) of the few
// built-in kinds kubectl's typed commands send that way: `kubectl create secret|configmap|
// namespace|serviceaccount|token`. Responses are always JSON (kubectl accepts both).
// Hand-written: the wire format needed is tiny (varints, length-delimited fields, maps) and a
// protobuf library would still need the Kubernetes schemas, which no npm package ships.
import { unsupportedMediaType, badRequest } from './api-error.js';
import type { KubeObject } from './resource-type.js';

type FieldKind = 'string' | 'bytes' | 'int' | 'bool' | 'time' | { msg: Schema } | { map: 'string' | 'bytes' };
interface Field { name: string; kind: FieldKind; repeated?: boolean }
type Schema = Record<number, Field>;

const TIME: Schema = { 1: { name: 'seconds', kind: 'int' } };
const OWNER_REF: Schema = {
  1: { name: 'kind', kind: 'string' }, 3: { name: 'name', kind: 'string' }, 4: { name: 'uid', kind: 'string' },
  5: { name: 'apiVersion', kind: 'string' }, 6: { name: 'controller', kind: 'bool' }, 7: { name: 'blockOwnerDeletion', kind: 'bool' },
};
const OBJECT_META: Schema = {
  1: { name: 'name', kind: 'string' }, 2: { name: 'generateName', kind: 'string' }, 3: { name: 'namespace', kind: 'string' },
  5: { name: 'uid', kind: 'string' }, 6: { name: 'resourceVersion', kind: 'string' }, 7: { name: 'generation', kind: 'int' },
  8: { name: 'creationTimestamp', kind: 'time' }, 11: { name: 'labels', kind: { map: 'string' } },
  12: { name: 'annotations', kind: { map: 'string' } }, 13: { name: 'ownerReferences', kind: { msg: OWNER_REF }, repeated: true },
  14: { name: 'finalizers', kind: 'string', repeated: true },
};
const OBJECT_REF: Schema = { 1: { name: 'kind', kind: 'string' }, 2: { name: 'namespace', kind: 'string' }, 3: { name: 'name', kind: 'string' }, 4: { name: 'uid', kind: 'string' }, 5: { name: 'apiVersion', kind: 'string' } };
const LOCAL_REF: Schema = { 1: { name: 'name', kind: 'string' } };
const meta = { name: 'metadata', kind: { msg: OBJECT_META } } as const;

const SCHEMAS: Record<string, Schema> = {
  'v1/Secret': { 1: meta, 2: { name: 'data', kind: { map: 'bytes' } }, 3: { name: 'type', kind: 'string' }, 4: { name: 'stringData', kind: { map: 'string' } }, 5: { name: 'immutable', kind: 'bool' } },
  'v1/ConfigMap': { 1: meta, 2: { name: 'data', kind: { map: 'string' } }, 3: { name: 'binaryData', kind: { map: 'bytes' } }, 4: { name: 'immutable', kind: 'bool' } },
  'v1/Namespace': { 1: meta, 2: { name: 'spec', kind: { msg: { 1: { name: 'finalizers', kind: 'string', repeated: true } } } } },
  'v1/ServiceAccount': { 1: meta, 2: { name: 'secrets', kind: { msg: OBJECT_REF }, repeated: true }, 3: { name: 'imagePullSecrets', kind: { msg: LOCAL_REF }, repeated: true }, 4: { name: 'automountServiceAccountToken', kind: 'bool' } },
  'authentication.k8s.io/v1/TokenRequest': {
    1: meta,
    2: { name: 'spec', kind: { msg: {
      1: { name: 'audiences', kind: 'string', repeated: true }, 4: { name: 'expirationSeconds', kind: 'int' },
      3: { name: 'boundObjectRef', kind: { msg: { 1: { name: 'kind', kind: 'string' }, 2: { name: 'apiVersion', kind: 'string' }, 3: { name: 'name', kind: 'string' }, 4: { name: 'uid', kind: 'string' } } } },
    } } },
  },
};
const UNKNOWN: Schema = { 1: { name: 'typeMeta', kind: { msg: { 1: { name: 'apiVersion', kind: 'string' }, 2: { name: 'kind', kind: 'string' } } } }, 2: { name: 'raw', kind: 'bytes' } };

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

export function decodeProtobufObject(buf: Buffer): KubeObject {
  if (buf.length < 4 || buf.readUInt32BE(0) !== 0x6b387300) throw badRequest('provided protobuf is not a Kubernetes object (missing magic number)');
  const env = decode(buf.subarray(4), UNKNOWN) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Buffer };
  const apiVersion = env.typeMeta?.apiVersion ?? '';
  const kind = env.typeMeta?.kind ?? '';
  const schema = SCHEMAS[`${apiVersion}/${kind}`];
  if (!schema || !env.raw) throw unsupportedMediaType(['application/json', 'application/yaml', PROTOBUF]);
  const obj = decode(env.raw, schema) as KubeObject;
  return { apiVersion, kind, ...obj };
}

function decode(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw badRequest('truncated protobuf');
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    let raw: Buffer | undefined;
    let num: bigint | undefined;
    if (wire === 0) num = varint();
    else if (wire === 2) { const len = Number(varint()); raw = buf.subarray(pos, pos + len); pos += len; }
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw badRequest(`unsupported protobuf wire type ${wire}`);
    const f = schema[no];
    if (!f) continue;
    let value: unknown;
    const k = f.kind;
    if (k === 'string') value = raw?.toString('utf8') ?? '';
    else if (k === 'bytes') value = raw ?? Buffer.alloc(0);
    else if (k === 'int') value = Number(num ?? 0n);
    else if (k === 'bool') value = num === 1n;
    else if (k === 'time') value = new Date(Number((decode(raw!, TIME).seconds as number) ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    else if ('msg' in k) value = decode(raw!, k.msg);
    else {
      const entry = decode(raw!, { 1: { name: 'k', kind: 'string' }, 2: { name: 'v', kind: k.map } });
      const map = (out[f.name] ??= {}) as Record<string, unknown>;
      const v = entry.v ?? (k.map === 'bytes' ? Buffer.alloc(0) : '');
      map[String(entry.k ?? '')] = Buffer.isBuffer(v) ? v.toString('base64') : v;
      continue;
    }
    if (f.repeated) ((out[f.name] ??= []) as unknown[]).push(value);
    else out[f.name] = value;
  }
  return out;
}
