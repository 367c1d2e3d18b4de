import assert from 'node:assert/strict';
import { decodeProtobufObject } from '../../src/devcluster/protobuf-body.js';

// A tiny protobuf writer for the test: field(no, bytes) and varint fields.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return Buffer.from(out);
};
const bytes = (no: number, b: Buffer | string): Buffer => {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([varint((no << 3) | 2), varint(buf.length), buf]);
};
const bool = (no: number, v: boolean): Buffer => Buffer.concat([varint(no << 3), varint(v ? 1 : 0)]);
const entry = (no: number, k: string, v: Buffer | string): Buffer => bytes(no, Buffer.concat([bytes(1, k), bytes(2, v)]));

describe('dev cluster protobuf request bodies (kubectl typed commands)', () => {
  it('decodes a Secret in the Kubernetes envelope', () => {
    const meta = Buffer.concat([bytes(1, 's1'), bytes(3, 'demo'), entry(11, 'app', 'x'), bytes(14, 'f1')]);
    const secret = Buffer.concat([bytes(1, meta), entry(2, 'password', Buffer.from('hunter2')), bytes(3, 'Opaque'), bool(5, true)]);
    const envelope = Buffer.concat([Buffer.from('k8s\0', 'binary'), bytes(1, Buffer.concat([bytes(1, 'v1'), bytes(2, 'Secret')])), bytes(2, secret)]);
    assert.deepEqual(decodeProtobufObject(envelope), {
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name: 's1', namespace: 'demo', labels: { app: 'x' }, finalizers: ['f1'] },
      data: { password: Buffer.from('hunter2').toString('base64') }, type: 'Opaque', immutable: true,
    });
  });

  it('refuses kinds it cannot decode with 415 and garbage with 400', () => {
    const env = Buffer.concat([Buffer.from('k8s\0', 'binary'), bytes(1, Buffer.concat([bytes(1, 'apps/v1'), bytes(2, 'Deployment')])), bytes(2, Buffer.alloc(0))]);
    assert.throws(() => decodeProtobufObject(env), (e: { code?: number }) => e.code === 415);
    assert.throws(() => decodeProtobufObject(Buffer.from('nope')), (e: { code?: number }) => e.code === 400);
  });
});
