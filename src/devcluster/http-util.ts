// Small HTTP helpers: reading bodies, content types, JSON and Status responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, internalError, isApiError, unsupportedMediaType } from './api-error.js';
import { PROTOBUF, decodeProtobufObject } from './protobuf-body.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The media type without parameters, lower-cased: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

const BODY_TYPES = ['application/json', 'application/yaml'];

/**
 * Parses a create/update body (JSON, YAML, or protobuf for the kinds kubectl's typed commands send);
 * 415 for other media types, 400 for malformed content.
 */
export function parseObjectBody(raw: Buffer, contentType: string | undefined): unknown {
  const mt = mediaType(contentType);
  if (mt === PROTOBUF) return decodeProtobufObject(raw);
  if (mt !== '' && !BODY_TYPES.includes(mt)) throw unsupportedMediaType([...BODY_TYPES, PROTOBUF]);
  return mt === 'application/yaml' ? parseYamlBody(raw) : parseJsonBody(raw);
}

export function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw badRequest(`json: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseYamlBody(raw: Buffer): unknown {
  try {
    return parseYaml(raw.toString('utf8'));
  } catch (e) {
    throw badRequest(`yaml: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function sendJson(res: ServerResponse, code: number, body: string | object, headers?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers any error with a `Status`; unexpected errors become 500 InternalError. */
export function sendError(res: ServerResponse, e: unknown): void {
  const err = isApiError(e) ? e : internalError(e instanceof Error ? e.message : String(e));
  sendJson(res, err.code, err.toStatus(), err.headers);
}
