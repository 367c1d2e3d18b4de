// Server-side AWS Signature Version 4 check for the test server: parses the Authorization
// header and recomputes the signature from the request, as AWS does, so a test proves the
// SDK signed with the expected key, region and service. Hand-written because no server-side
// verifier ships with the SDK; this follows the published SigV4 algorithm.
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SigV4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const authPattern = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

/** Parses a SigV4 Authorization header; undefined when absent or malformed. */
export function parseSigV4(authorization: string | undefined): SigV4Credential | undefined {
  const m = authorization ? authPattern.exec(authorization.trim()) : null;
  if (!m) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! };
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Recomputes the signature of a request with `secretAccessKey` and compares it. */
export function signatureMatches(
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  credential: SigV4Credential,
  secretAccessKey: string,
): boolean {
  const url = new URL(request.url, 'http://placeholder');
  const path = url.pathname.split('/').map((seg) => encodeRfc3986(decodeURIComponent(seg))).join('/') || '/';
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerLines = credential.signedHeaders.map((name) => {
    const raw = request.headers[name];
    const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
    return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  });
  const declared = request.headers['x-amz-content-sha256'];
  const payloadHash = typeof declared === 'string' ? declared : sha256Hex(request.body);
  const canonical = [request.method, path, query, headerLines.join(''), credential.signedHeaders.join(';'), payloadHash].join('\n');
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const scope = `${credential.date}/${credential.region}/${credential.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, credential.date);
  key = hmac(key, credential.region);
  key = hmac(key, credential.service);
  key = hmac(key, 'aws4_request');
  return hmac(key, stringToSign).toString('hex') === credential.signature;
}
