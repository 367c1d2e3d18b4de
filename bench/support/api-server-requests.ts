// Write requests as the real API server counts them in apiserver_request_total: by verb (POST,
// PUT, PATCH, APPLY, DELETE, DELETECOLLECTION), group, resource and subresource, over every
// response code. The same key for a request the benchmark sends and for a series the server
// exports lets the benchmark subtract its own writes from the server's counts.

const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION']);

/** `VERB group resource subresource`, the identity of a series of writes. */
function key(verb: string, group: string, resource: string, subresource: string): string {
  return [verb, group, resource, subresource].join(' ');
}

/** The key of a write request to a resource path, undefined for reads and non-resource paths. */
export function requestKey(method: string, path: string, contentType = 'application/json'): string | undefined {
  const segments = new URL(path, 'http://x').pathname.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (segments[0] === 'api') {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  // /namespaces/{ns}/{resource}/... unless it addresses a Namespace itself (or its status/finalize).
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) rest = rest.slice(2);
  const [resource, name, subresource = ''] = rest;
  if (!resource) return undefined;
  let verb = method.toUpperCase();
  if (verb === 'PATCH' && contentType === 'application/apply-patch+yaml') verb = 'APPLY';
  if (verb === 'DELETE' && name === undefined) verb = 'DELETECOLLECTION';
  return WRITE_VERBS.has(verb) ? key(verb, group, resource, subresource) : undefined;
}

/** The apiserver_request_total series in /metrics text: labels and value. */
function* requestSeries(metricsText: string): Generator<{ labels: Record<string, string>; value: number }> {
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line.slice(line.indexOf('{') + 1, close).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    yield { labels, value: Number(line.slice(close + 1).trim()) };
  }
}

/** Write counts by key from the API server's /metrics text. */
export function writesInMetrics(metricsText: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const { labels, value } of requestSeries(metricsText)) {
    if (!WRITE_VERBS.has(labels.verb ?? '') || labels.dry_run) continue;
    const k = key(labels.verb!, labels.group ?? '', labels.resource ?? '', labels.subresource ?? '');
    out.set(k, (out.get(k) ?? 0) + value);
  }
  return out;
}

/** Requests of any verb the server answered with 429 (API Priority and Fairness sheds load so). */
export function tooManyRequestsInMetrics(metricsText: string): number {
  let n = 0;
  for (const { labels, value } of requestSeries(metricsText)) if (labels.code === '429') n += value;
  return n;
}

/** Sums write counts by `resource` or `resource/subresource`, the names the dev cluster's request stats use. */
export function byResource(writes: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of writes) {
    const [, , resource, subresource] = k.split(' ');
    const name = subresource ? `${resource}/${subresource}` : resource!;
    out[name] = (out[name] ?? 0) + n;
  }
  return out;
}
