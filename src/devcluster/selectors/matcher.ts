// Label and field selectors, parsed once per request and matched per object.
// Grammar follows k8s.io/apimachinery/pkg/labels and pkg/fields. Hand-written: no maintained
// npm package implements Kubernetes selector syntax on the server side.
import { badRequest } from './api-error.js';
import type { KubeObject } from './resource-type.js';

type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: Set<string> }
  | { key: string; op: 'exists' | '!exists' };

export type Matcher = (obj: KubeObject) => boolean;

export const matchAll: Matcher = () => true;

/** Splits on commas that are not inside parentheses: `a in (x,y),b` → [`a in (x,y)`, `b`]. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, sel: string): string {
  if (!LABEL_KEY.test(key) || key.length > 317) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${sel}"`);
  return key;
}
function checkValue(v: string, sel: string): string {
  if (!LABEL_VALUE.test(v) || v.length > 63) throw badRequest(`unable to parse requirement: invalid label value: "${v}" in selector "${sel}"`);
  return v;
}

export function parseLabelSelector(sel: string | null | undefined): Matcher {
  if (!sel || !sel.trim()) return matchAll;
  const reqs: LabelRequirement[] = [];
  for (const term of splitTerms(sel)) {
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^(\S+)\s+(in|notin)\s*\((.*)\)$/))) {
      const values = new Set(m[3].split(',').map((v) => v.trim()).filter((v) => v !== '' || m![3].trim() === '').map((v) => checkValue(v, sel)));
      reqs.push({ key: checkKey(m[1], sel), op: m[2] as 'in' | 'notin', values });
    } else if ((m = term.match(/^(\S+?)\s*(==|!=|=)\s*(\S*)$/))) {
      const values = new Set([checkValue(m[3], sel)]);
      reqs.push({ key: checkKey(m[1], sel), op: m[2] === '!=' ? 'notin' : 'in', values });
    } else if ((m = term.match(/^!\s*(\S+)$/))) {
      reqs.push({ key: checkKey(m[1], sel), op: '!exists' });
    } else if ((m = term.match(/^(\S+)$/))) {
      reqs.push({ key: checkKey(m[1], sel), op: 'exists' });
    } else {
      throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
  return (obj) => {
    const labels = (obj.metadata?.labels ?? {}) as Record<string, string>;
    for (const r of reqs) {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      switch (r.op) {
        case 'exists': if (!has) return false; break;
        case '!exists': if (has) return false; break;
        case 'in': if (!has || !r.values.has(labels[r.key])) return false; break;
        case 'notin': if (has && r.values.has(labels[r.key])) return false; break;
      }
    }
    return true;
  };
}

/** Reads a field selector path from an object. `source` on Events means `source.component`. */
export type FieldGetter = (obj: KubeObject) => string | undefined;

function pathGetter(path: string): FieldGetter {
  const parts = path.split('.');
  return (obj) => {
    let cur: unknown = obj;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    if (cur === undefined || cur === null) return '';
    return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
  };
}

/** Field selector paths supported per resource (beyond metadata.name / metadata.namespace). */
const EXTRA_FIELDS: Record<string, string[]> = {
  '/events': ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
    'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  'events.k8s.io/events': ['regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'regarding.apiVersion',
    'regarding.resourceVersion', 'regarding.fieldPath', 'reason', 'reportingController', 'type'],
  '/secrets': ['type'],
  '/pods': ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  '/namespaces': ['status.phase'],
  'apps/replicasets': ['status.replicas'],
};

/** Parses a field selector for the resource `group/plural` (group empty for core). */
export function parseFieldSelector(sel: string | null | undefined, resourceKey: string): Matcher {
  if (!sel || !sel.trim()) return matchAll;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[resourceKey] ?? [])]);
  const terms: { get: FieldGetter; neg: boolean; value: string }[] = [];
  for (const term of splitTerms(sel)) {
    const m = term.match(/^([^=!]+?)\s*(==|!=|=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${sel}'; can't understand '${term}'`);
    const field = m[1].trim();
    if (!allowed.has(field)) throw badRequest(`field label not supported: ${field}`);
    const get = field === 'source' ? pathGetter('source.component') : pathGetter(field);
    terms.push({ get, neg: m[2] === '!=', value: m[3].trim() });
  }
  return (obj) => {
    for (const t of terms) {
      const v = t.get(obj) ?? '';
      if ((v === t.value) === t.neg) return false;
    }
    return true;
  };
}

export function both(a: Matcher, b: Matcher): Matcher {
  if (a === matchAll) return b;
  if (b === matchAll) return a;
  return (o) => a(o) && b(o);
}
