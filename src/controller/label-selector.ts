// Label selectors: matching a metav1.LabelSelector against labels (ClusterSecretStore
// namespaceSelector, the store ServiceAccount selector) and parsing one from kubectl syntax.
import type { LabelSelector } from './types.js';

export function matchesLabelSelector(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In': if (!has || !values.includes(labels[e.key]!)) return false; break;
      case 'NotIn': if (has && values.includes(labels[e.key]!)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/**
 * Parses a selector as kubectl's `-l` takes it: comma-separated `key=value`, `key==value`,
 * `key!=value`, `key`, `!key`, `key in (a,b)`, `key notin (a,b)`. Hand-written: client-node
 * has no selector parser, and this grammar is small. Throws on anything else.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const selector: Required<LabelSelector> = { matchLabels: {}, matchExpressions: [] };
  // Split on commas outside parentheses.
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += c;
  }
  terms.push(current);
  const key = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
  for (const raw of terms.map((t) => t.trim())) {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(raw)) && key.test(m[1]!)) {
      if (m[2] === '!=') selector.matchExpressions.push({ key: m[1]!, operator: 'NotIn', values: [m[3]!] });
      else selector.matchLabels[m[1]!] = m[3]!;
    } else if ((m = /^(\S+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(raw)) && key.test(m[1]!)) {
      selector.matchExpressions.push({ key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values: m[3]!.split(',').map((v) => v.trim()) });
    } else if (raw.startsWith('!') && key.test(raw.slice(1))) {
      selector.matchExpressions.push({ key: raw.slice(1), operator: 'DoesNotExist' });
    } else if (key.test(raw)) {
      selector.matchExpressions.push({ key: raw, operator: 'Exists' });
    } else {
      throw new Error(`"${raw}" is not a label selector term (key=value, key!=value, key, !key, key in (a,b), key notin (a,b))`);
    }
  }
  return selector;
}
