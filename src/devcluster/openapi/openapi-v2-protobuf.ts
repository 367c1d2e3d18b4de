// `/openapi/v2` in the protobuf form kubectl asks for (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`):
// the Swagger document encoded as gnostic's `openapi.v2.Document` message. kubectl reads only that
// form; a JSON answer makes it fail with "proto: cannot parse invalid wire-format data".
// Hand-written: only encoding is needed, of the few message types below (field numbers from
// gnostic's OpenAPIv2.proto); a protobuf library would still need that schema, which no npm
// package ships. Vendor extensions and defaults travel as YAML text (JSON is YAML).

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The Content-Type kube-apiserver answers with (the `@` spelled as a dot). */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: Json): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A message under construction: a list of encoded fields. */
class Message {
  private readonly parts: Buffer[] = [];

  private key(field: number, wire: number): void {
    this.parts.push(varint((field << 3) | wire));
  }

  string(field: number, v: Json): this {
    if (typeof v !== 'string' || v === '') return this;
    const b = Buffer.from(v, 'utf8');
    this.key(field, 2);
    this.parts.push(varint(b.length), b);
    return this;
  }

  strings(field: number, v: Json): this {
    if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') this.bytesOf(field, Buffer.from(s, 'utf8'));
    return this;
  }

  bool(field: number, v: Json): this {
    if (v !== true) return this;
    this.key(field, 0);
    this.parts.push(varint(1));
    return this;
  }

  int(field: number, v: Json): this {
    if (typeof v !== 'number' || !Number.isInteger(v) || v === 0) return this;
    this.key(field, 0);
    this.parts.push(varint(v));
    return this;
  }

  double(field: number, v: Json): this {
    if (typeof v !== 'number') return this;
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.key(field, 1);
    this.parts.push(b);
    return this;
  }

  message(field: number, m: Message | undefined): this {
    if (m) this.bytesOf(field, m.encode());
    return this;
  }

  private bytesOf(field: number, b: Buffer): void {
    this.key(field, 2);
    this.parts.push(varint(b.length), b);
  }

  encode(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

/** gnostic `Any`: the value as YAML text. */
const any = (v: Json): Message => new Message().string(2, JSON.stringify(v));
/** gnostic `NamedAny`. */
const namedAny = (name: string, v: Json): Message => new Message().string(1, name).message(2, any(v));

function vendorExtensions(m: Message, field: number, o: Obj): void {
  for (const [k, v] of Object.entries(o)) if (k.startsWith('x-')) m.message(field, namedAny(k, v));
}

function schema(s: Json): Message {
  const m = new Message();
  if (!isObj(s)) return m;
  m.string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description);
  if (s.default !== undefined) m.message(5, any(s.default));
  m.double(6, s.multipleOf).double(7, s.maximum).bool(8, s.exclusiveMaximum).double(9, s.minimum).bool(10, s.exclusiveMinimum)
    .int(11, s.maxLength).int(12, s.minLength).string(13, s.pattern).int(14, s.maxItems).int(15, s.minItems).bool(16, s.uniqueItems)
    .int(17, s.maxProperties).int(18, s.minProperties).strings(19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) m.message(20, any(e));
  if (typeof s.additionalProperties === 'boolean') m.message(21, new Message().bool(2, s.additionalProperties));
  else if (isObj(s.additionalProperties)) m.message(21, new Message().message(1, schema(s.additionalProperties)));
  if (s.type !== undefined) m.message(22, new Message().strings(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items !== undefined) {
    const items = new Message();
    for (const i of Array.isArray(s.items) ? s.items : [s.items]) items.message(1, schema(i));
    m.message(23, items);
  }
  if (Array.isArray(s.allOf)) for (const a of s.allOf) m.message(24, schema(a));
  if (isObj(s.properties)) {
    const props = new Message();
    for (const [name, p] of Object.entries(s.properties)) props.message(1, new Message().string(1, name).message(2, schema(p)));
    m.message(25, props);
  }
  m.string(26, s.discriminator).bool(27, s.readOnly);
  if (s.example !== undefined) m.message(30, any(s.example));
  vendorExtensions(m, 31, s);
  return m;
}

function parameter(p: Json): Message {
  const item = new Message();
  if (!isObj(p)) return item;
  if (typeof p.$ref === 'string') return item.message(2, new Message().string(1, p.$ref));
  const param = new Message();
  if (p.in === 'body') {
    param.message(1, new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required).message(5, schema(p.schema)));
  } else {
    // Query and path parameters differ in field numbers after `name`.
    const sub = new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
    if (p.in === 'path') sub.string(5, p.type).string(6, p.format).bool(19, p.uniqueItems);
    else sub.string(6, p.type).string(7, p.format).bool(20, p.uniqueItems);
    param.message(2, new Message().message(p.in === 'path' ? 4 : 3, sub));
  }
  return item.message(1, param);
}

function operation(o: Json): Message | undefined {
  if (!isObj(o)) return undefined;
  const m = new Message().strings(1, o.tags).string(2, o.summary).string(3, o.description).string(5, o.operationId)
    .strings(6, o.produces).strings(7, o.consumes);
  if (Array.isArray(o.parameters)) for (const p of o.parameters) m.message(8, parameter(p));
  if (isObj(o.responses)) {
    const responses = new Message();
    for (const [code, r] of Object.entries(o.responses)) {
      if (!isObj(r)) continue;
      const response = new Message().string(1, r.description);
      if (r.schema !== undefined) response.message(2, new Message().message(1, schema(r.schema)));
      responses.message(1, new Message().string(1, code).message(2, new Message().message(1, response)));
    }
    m.message(9, responses);
  }
  m.strings(10, o.schemes).bool(11, o.deprecated);
  vendorExtensions(m, 13, o);
  return m;
}

function pathItem(p: Obj): Message {
  const m = new Message()
    .message(2, operation(p.get)).message(3, operation(p.put)).message(4, operation(p.post)).message(5, operation(p.delete)).message(8, operation(p.patch));
  if (Array.isArray(p.parameters)) for (const x of p.parameters) m.message(9, parameter(x));
  vendorExtensions(m, 10, p);
  return m;
}

/** Encodes a Swagger 2.0 document (as openapiV2Doc builds it) as an `openapi.v2.Document`. */
export function encodeOpenApiV2(doc: Obj): Buffer {
  const m = new Message().string(1, doc.swagger);
  const info = isObj(doc.info) ? doc.info : {};
  m.message(2, new Message().string(1, info.title).string(2, info.version).string(3, info.description));
  const paths = new Message();
  for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
    if (isObj(item)) paths.message(2, new Message().string(1, path).message(2, pathItem(item)));
  }
  m.message(8, paths);
  const definitions = new Message();
  for (const [name, s] of Object.entries(isObj(doc.definitions) ? doc.definitions : {})) definitions.message(1, new Message().string(1, name).message(2, schema(s)));
  m.message(9, definitions);
  for (const requirement of Array.isArray(doc.security) ? doc.security : []) {
    if (!isObj(requirement)) continue;
    const r = new Message();
    for (const [name, scopes] of Object.entries(requirement)) r.message(1, new Message().string(1, name).message(2, new Message().strings(1, scopes)));
    m.message(12, r);
  }
  if (isObj(doc.securityDefinitions)) {
    const defs = new Message();
    for (const [name, d] of Object.entries(doc.securityDefinitions)) {
      if (!isObj(d) || d.type !== 'apiKey') continue;
      const apiKey = new Message().string(1, d.type).string(2, d.name).string(3, d.in).string(4, d.description);
      defs.message(1, new Message().string(1, name).message(2, new Message().message(2, apiKey)));
    }
    m.message(13, defs);
  }
  vendorExtensions(m, 16, doc);
  return m.encode();
}
