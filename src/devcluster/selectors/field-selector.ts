// Field selectors as kube-apiserver parses and checks them: `field=value`, `==`, `!=`, terms
// split on unescaped commas, `\` escapes in values; each kind supports metadata.name and
// metadata.namespace plus its own fields, and refuses others in its own words.
import { badRequest } from '../api-error.js';
import type { KubeObject } from '../resource-type.js';
import { matchAll, type Matcher } from './matcher.js';

type Getter = (obj: KubeObject) => string;

const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const at = (path: string): Getter => {
  const parts = path.split('.');
  return (obj) => text(parts.reduce<unknown>((cur, p) => (cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined), obj));
};
const NAME: Getter = (o) => text(o.metadata?.name);
const NAMESPACE: Getter = (o) => text(o.metadata?.namespace);
const META = { 'metadata.name': NAME, 'metadata.namespace': NAMESPACE };

/** How a kind refuses an unsupported field: the generic wording, its own conversion's, or the Job's. */
type Refusal = 'generic' | 'conversion' | 'job';

interface KindFields { fields: Record<string, Getter>; refusal: Refusal }

const fieldsOf = (paths: string[]): Record<string, Getter> => Object.fromEntries(paths.map((p) => [p, at(p)]));

const KINDS: Record<string, KindFields> = {
  '/namespaces': { fields: { 'metadata.name': NAME, 'status.phase': at('status.phase') }, refusal: 'conversion' },
  '/secrets': { fields: { ...META, type: at('type') }, refusal: 'conversion' },
  '/services': { fields: { ...META, ...fieldsOf(['spec.clusterIP', 'spec.type']) }, refusal: 'conversion' },
  '/pods': {
    fields: {
      ...META,
      ...fieldsOf(['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName']),
      'spec.hostNetwork': (o) => String((o.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork === true),
      'status.podIPs': (o) => ((o.status as { podIPs?: { ip?: string }[] } | undefined)?.podIPs ?? []).map((p) => p.ip ?? '').join(','),
    },
    refusal: 'conversion',
  },
  '/events': {
    fields: {
      ...META,
      ...fieldsOf(['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
        'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'type']),
      source: at('source.component'),
    },
    refusal: 'conversion',
  },
  'batch/jobs': { fields: { ...META, 'status.successful': (o) => String((o.status as { succeeded?: number } | undefined)?.succeeded ?? 0) }, refusal: 'job' },
};

export interface SelectableResource {
  storageKey: string;
  kind: string;
  /** Built-in kinds without fields of their own refuse in the generic words; custom resources like a conversion. */
  builtin?: boolean;
}

function refuse(label: string, r: SelectableResource, refusal: Refusal): never {
  if (refusal === 'job') throw badRequest(`field label "${label}" not supported for ${r.kind}`);
  if (refusal === 'conversion') throw badRequest(`field label not supported: ${label}`);
  throw badRequest(`"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
}

/** Splits on commas that no backslash escapes. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) { cur += s[i] + s[i + 1]; i++; continue; }
    if (s[i] === ',') { out.push(cur); cur = ''; continue; }
    cur += s[i];
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') {
      const n = v[i + 1];
      if (n === '\\' || n === ',' || n === '=') { out += n; i++; continue; }
      throw badRequest(`invalid field selector: invalid escape sequence: \\${n ?? ''}`);
    }
    if (c === '=' || c === ',') throw badRequest(`invalid field selector: unescaped character in value: ${c.charCodeAt(0)}`);
    out += c;
  }
  return out;
}

/** Parses `fieldSelector` for a resource; a 400 in the API server's words when it cannot. */
export function parseFieldSelector(sel: string | null | undefined, r: SelectableResource): Matcher {
  if (!sel) return matchAll;
  const kind = KINDS[r.storageKey] ?? { fields: META, refusal: r.builtin === false ? 'conversion' : 'generic' };
  const terms: { get: Getter; negate: boolean; value: string }[] = [];
  for (const part of splitTerms(sel).sort()) {
    if (part === '') continue;
    // The first operator found, trying `!=`, then `==`, then `=` at each position.
    let m: { lhs: string; op: string; rhs: string } | undefined;
    for (let i = 0; i < part.length && !m; i++) {
      for (const op of ['!=', '==', '=']) if (part.startsWith(op, i)) { m = { lhs: part.slice(0, i), op, rhs: part.slice(i + op.length) }; break; }
    }
    if (!m) throw badRequest(`invalid selector: '${sel}'; can't understand '${part}'`);
    const value = unescape(m.rhs);
    const get = Object.hasOwn(kind.fields, m.lhs) ? kind.fields[m.lhs] : undefined;
    if (!get) refuse(m.lhs, r, kind.refusal);
    terms.push({ get, negate: m.op === '!=', value });
  }
  if (terms.length === 0) return matchAll;
  return (obj) => terms.every((t) => (t.get(obj) === t.value) !== t.negate);
}
