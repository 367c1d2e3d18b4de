// Renders the field reference and validation rules of docs/api.md from the CRDs, so
// the API reference cannot drift from them. The generated part sits between marker
// comments; the prose around it is written by hand. Run through `npm run generate`.
import type { CrdDocument, JsonSchemaProps } from './generate-api-types.js';

export const DOCS_START = '<!-- generated:reference:start (npm run generate) -->';
export const DOCS_END = '<!-- generated:reference:end -->';

/** Reference shapes shown by name instead of field by field. */
function refShape(schema: JsonSchemaProps): string | undefined {
  const keys = Object.keys(schema.properties ?? {}).sort().join(',');
  if (keys === 'key,name,namespace') return '[SecretKeySelector](#references)';
  if (keys === 'audiences,name,namespace') return '[ServiceAccountSelector](#references)';
  return undefined;
}

function typeOf(schema: JsonSchemaProps): string {
  const shape = refShape(schema);
  if (shape) return shape;
  if (schema.enum) return schema.enum.map((e) => `\`${String(e)}\``).join(' | ');
  switch (schema.type) {
    case 'array': return `[]${schema.items ? typeOf(schema.items) : 'any'}`;
    case 'object':
      if (typeof schema.additionalProperties === 'object') return `map[string]${typeOf(schema.additionalProperties)}`;
      return 'object';
    case 'string': return schema.format === 'date-time' ? 'timestamp' : schema.format === 'byte' ? 'base64 string' : 'string';
    default: return schema.type ?? 'any';
  }
}

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

interface Row { path: string; type: string; required: boolean; def?: unknown; description: string }

function rows(schema: JsonSchemaProps, path: string, out: Row[], skip: (path: string) => boolean): Row[] {
  const required = new Set(schema.required ?? []);
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path ? `${path}.${key}` : key;
    if (skip(childPath)) continue;
    out.push({ path: childPath, type: typeOf(child), required: required.has(key), def: child.default, description: child.description ?? '' });
    if (refShape(child)) continue;
    const inner = child.type === 'array' ? child.items : child;
    if (inner?.properties) rows(inner, child.type === 'array' ? `${childPath}[]` : childPath, out, skip);
  }
  return out;
}

function table(rs: Row[]): string {
  const head = '| Field | Type | Default | Description |\n|---|---|---|---|\n';
  return head + rs.map((r) => `| \`${r.path}\`${r.required ? ' (required)' : ''} | ${cell(r.type)} | ${r.def === undefined ? '' : `\`${cell(JSON.stringify(r.def))}\``} | ${cell(r.description)} |`).join('\n') + '\n';
}

interface Rule { rule: string; message?: string; fieldPath?: string }

function rules(schema: JsonSchemaProps, path: string, out: { at: string; message: string }[]): { at: string; message: string }[] {
  for (const r of (schema['x-kubernetes-validations'] as Rule[] | undefined) ?? []) out.push({ at: `${path}${r.fieldPath ?? ''}`, message: r.message ?? r.rule });
  for (const [key, child] of Object.entries(schema.properties ?? {})) rules(child, path ? `${path}.${key}` : key, out);
  if (schema.items) rules(schema.items, `${path}[]`, out);
  return out;
}

/** The generated part of docs/api.md, markers included. */
export function renderApiReference(crds: CrdDocument[]): string {
  const parts: string[] = [DOCS_START, ''];
  for (const crd of crds) {
    const kind = crd.spec.names.kind;
    const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0]!;
    const root = version.schema.openAPIV3Schema;
    const cluster = kind === 'ClusterSecretStore';
    parts.push(`### ${kind} fields`, '');
    if (root.description) parts.push(root.description, '');
    // ClusterSecretStore's provider blocks are SecretStore's; only the differences are listed.
    const skip = (p: string): boolean => cluster && p.startsWith('spec.provider.');
    if (cluster) parts.push('`spec.provider.*` has the same fields as in SecretStore, except that every reference must set `namespace`.', '');
    parts.push(table(rows(root, '', [], (p) => p === 'apiVersion' || p === 'kind' || p === 'metadata' || skip(p))));
    const rs = rules(root, '', []).filter((r) => !(cluster && r.at.startsWith('spec.provider.') && !r.message.includes('ClusterSecretStore')));
    const unique = [...new Map(rs.map((r) => [`${r.at}\u0000${r.message}`, r])).values()];
    if (unique.length) {
      parts.push(`#### ${kind} validation rules`, '', 'Enforced by the API server (`x-kubernetes-validations`); a request that breaks one is refused with this message on this field.', '');
      const shown = cluster ? collapseRefRules(unique) : unique;
      parts.push('| Field | Rule |\n|---|---|\n' + shown.map((r) => `| \`${r.at}\` | ${cell(r.message)} |`).join('\n') + '\n');
    }
  }
  parts.push(DOCS_END);
  return parts.join('\n');
}

/** One line for the namespace rule that every ClusterSecretStore reference carries. */
function collapseRefRules(rs: { at: string; message: string }[]): { at: string; message: string }[] {
  const ns = rs.filter((r) => r.message.includes('ClusterSecretStore credential reference'));
  const others = rs.filter((r) => !ns.includes(r));
  if (ns.length === 0) return rs;
  return [...others, { at: 'spec.provider.**.namespace', message: `${ns[0]!.message} (${ns.length} references: every Secret, ConfigMap and ServiceAccount reference)` }];
}

/** Replaces the generated part of a document; throws when the markers are missing. */
export function spliceReference(document: string, reference: string): string {
  const start = document.indexOf(DOCS_START);
  const end = document.indexOf(DOCS_END);
  if (start < 0 || end < start) throw new Error(`docs/api.md needs the markers ${DOCS_START} and ${DOCS_END}`);
  return document.slice(0, start) + reference + document.slice(end + DOCS_END.length);
}
