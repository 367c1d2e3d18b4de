// Generates src/api/generated/*.ts from the CRDs in manifests/crds/, so the CRD YAML is
// the one source of truth for keyferry's API types. Run with `npm run generate`;
// test/api/generated-types.test.ts fails when the committed files are out of date.
//
// Written by hand rather than with a JSON-Schema-to-TypeScript library: the schemas
// are Kubernetes structural schemas (x-kubernetes-* keywords, boolean
// exclusiveMinimum) and the output must share one type per shape across the three
// CRDs with stable, readable names, which takes a naming table anyway.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { renderApiReference, spliceReference } from './generate-api-docs.js';

export interface JsonSchemaProps {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchemaProps>;
  required?: string[];
  items?: JsonSchemaProps;
  additionalProperties?: JsonSchemaProps | boolean;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  [keyword: string]: unknown;
}

export interface CrdDocument {
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; listKind?: string; plural: string };
    versions: { name: string; storage?: boolean; schema: { openAPIV3Schema: JsonSchemaProps } }[];
  };
}

/** Preferred type names by CRD-relative path (`[]` marks array items). */
const PATH_NAMES: Record<string, string> = {
  'spec.provider': 'StoreProvider',
  'spec.provider.aws': 'AwsProvider',
  'spec.provider.aws.auth': 'AwsAuth',
  'spec.provider.aws.auth.secretRef': 'AwsAuthSecretRef',
  'spec.provider.aws.auth.jwt': 'AwsAuthJwt',
  'spec.provider.vault': 'VaultProvider',
  'spec.provider.vault.auth': 'VaultAuth',
  'spec.provider.vault.auth.appRole': 'VaultAppRoleAuth',
  'spec.provider.vault.auth.kubernetes': 'VaultKubernetesAuth',
  'spec.provider.gcpsm': 'GcpsmProvider',
  'spec.provider.gcpsm.auth': 'GcpsmAuth',
  'spec.provider.gcpsm.auth.secretRef': 'GcpsmAuthSecretRef',
  'spec.provider.gcpsm.auth.workloadIdentityFederation': 'GcpsmWorkloadIdentityFederation',
  'spec.provider.gcpsm.auth.workloadIdentityFederation.credConfig': 'ConfigMapKeySelector',
  'spec.provider.azurekv': 'AzureKvProvider',
  'spec.provider.azurekv.authSecretRef': 'AzureKvAuthSecretRef',
  'spec.provider.onepassword': 'OnePasswordProvider',
  'spec.provider.onepassword.auth': 'OnePasswordAuth',
  'spec.provider.onepassword.auth.secretRef': 'OnePasswordAuthSecretRef',
  'spec.provider.fake': 'FakeProvider',
  'spec.provider.fake.data[]': 'FakeProviderData',
  'spec.rateLimit': 'RateLimit',
  'spec.conditions[]': 'ClusterSecretStoreCondition',
  'spec.conditions[].namespaceSelector': 'LabelSelector',
  'spec.conditions[].namespaceSelector.matchExpressions[]': 'LabelSelectorRequirement',
  'status.conditions[]': 'Condition',
  'spec.secretStoreRef': 'SecretStoreRef',
  'spec.data[]': 'ExternalSecretData',
  'spec.data[].remoteRef': 'RemoteRef',
  'spec.dataFrom[]': 'ExternalSecretDataFrom',
  'spec.dataFrom[].extract': 'ExtractRef',
  'spec.dataFrom[].find': 'FindRef',
  'spec.dataFrom[].find.name': 'FindName',
  'spec.dataFrom[].rewrite[]': 'Rewrite',
  'spec.dataFrom[].rewrite[].regexp': 'RewriteRegexp',
  'spec.target': 'ExternalSecretTarget',
  'spec.target.template': 'SecretTemplate',
  'spec.target.template.metadata': 'SecretTemplateMetadata',
  'spec.target.template.templateFrom[]': 'TemplateFrom',
  'spec.target.template.templateFrom[].configMap': 'TemplateFromObject',
  'spec.target.template.templateFrom[].configMap.items[]': 'TemplateFromItem',
  'spec.target.versioning': 'Versioning',
  'spec.target.versioning.fluxKustomization': 'FluxKustomizationRef',
  'status.failedNamespaces[]': 'FailedNamespace',
  'status.versions[]': 'SecretVersion',
};

/** Doc comments for types used in several places, where a field's description would not fit. */
const TYPE_DOCS: Record<string, string> = {
  SecretKeySelector: 'A key of a Secret holding a credential. In a SecretStore it resolves in the store\'s namespace; in a ClusterSecretStore `namespace` is required.',
  ServiceAccountSelector: 'A ServiceAccount whose tokens keyferry mints with the TokenRequest API.',
  RemoteRef: 'A remote secret to read: key, optional property and version, and how to decode it.',
};

/** Names for the reference shapes that recur all over the provider blocks. */
function shapeName(schema: JsonSchemaProps): string | undefined {
  const keys = Object.keys(schema.properties ?? {}).sort().join(',');
  if (keys === 'key,name,namespace') return 'SecretKeySelector';
  if (keys === 'audiences,name,namespace') return 'ServiceAccountSelector';
  if (keys === 'key,name,namespace,type') return 'CAProvider';
  return undefined;
}

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The parts of a schema that decide its TypeScript type (not descriptions, defaults or rules). */
function signature(schema: JsonSchemaProps): string {
  const strip = (s: JsonSchemaProps): unknown => ({
    type: s.type,
    enum: s.enum,
    preserve: s['x-kubernetes-preserve-unknown-fields'],
    intOrString: s['x-kubernetes-int-or-string'],
    required: s.required ? [...s.required].sort() : undefined,
    properties: s.properties
      ? Object.fromEntries(Object.keys(s.properties).sort().map((k) => [k, strip(s.properties![k]!)]))
      : undefined,
    items: s.items ? strip(s.items) : undefined,
    additionalProperties: typeof s.additionalProperties === 'object' ? strip(s.additionalProperties) : s.additionalProperties,
  });
  return JSON.stringify(strip(schema));
}

interface NamedType {
  name: string;
  schema: JsonSchemaProps;
  /** The generated file (CRD plural, or `common`) that declares it. */
  file: string;
  crds: Set<string>;
  /** Other preferred names for the same shape, declared as aliases: name → CRDs using it. */
  aliases: Map<string, Set<string>>;
}

interface TypeTable {
  bySignature: Map<string, NamedType>;
  byName: Map<string, NamedType>;
  order: NamedType[];
}

function isNamedObject(schema: JsonSchemaProps): boolean {
  return schema.type === 'object' && schema.properties !== undefined;
}

/** Walks one CRD schema and records a named type for every object with properties. */
function collect(table: TypeTable, crd: string, schema: JsonSchemaProps, path: string, fallback: string): void {
  if (schema.items) collect(table, crd, schema.items, `${path}[]`, fallback);
  if (typeof schema.additionalProperties === 'object') collect(table, crd, schema.additionalProperties, `${path}{}`, `${fallback}Value`);
  if (!isNamedObject(schema)) return;
  const explicit = PATH_NAMES[path] ?? shapeName(schema);
  const preferred = explicit ?? fallback;
  const sig = signature(schema);
  let entry = table.bySignature.get(sig);
  if (!entry) {
    if (table.byName.has(preferred)) throw new Error(`type name ${preferred} is used for two different shapes (at ${path}); add an entry to PATH_NAMES`);
    entry = { name: preferred, schema, file: crd, crds: new Set(), aliases: new Map() };
    table.bySignature.set(sig, entry);
    table.byName.set(preferred, entry);
    table.order.push(entry);
  } else if (explicit !== undefined && entry.name !== explicit) {
    // A second explicit name for a shape already named: declare it as an alias.
    const owner = table.byName.get(explicit);
    if (owner && owner !== entry) throw new Error(`type name ${explicit} is used for two different shapes (at ${path}); add an entry to PATH_NAMES`);
    entry.aliases.set(explicit, (entry.aliases.get(explicit) ?? new Set()).add(crd));
    table.byName.set(explicit, entry);
  }
  entry.crds.add(crd);
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const childPath = `${path}.${key}`;
    collect(table, crd, child, childPath, `${entry.name}${pascal(key)}`);
  }
}

function docComment(schema: JsonSchemaProps, indent: string, description = schema.description): string {
  const lines: string[] = [];
  if (description) lines.push(...description.split('\n'));
  if (schema.default !== undefined) lines.push(`Default: \`${JSON.stringify(schema.default)}\`.`);
  if (schema.format === 'date-time') lines.push('RFC 3339 timestamp.');
  if (schema.format === 'byte') lines.push('Base64-encoded.');
  if (lines.length === 0) return '';
  const safe = lines.map((l) => l.replaceAll('*/', '*\\/'));
  if (safe.length === 1) return `${indent}/** ${safe[0]} */\n`;
  return `${indent}/**\n${safe.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function typeExpression(table: TypeTable, schema: JsonSchemaProps, used: Set<string>): string {
  if (schema.enum) return schema.enum.map(literal).join(' | ');
  if (schema['x-kubernetes-int-or-string']) return 'number | string';
  if (isNamedObject(schema)) {
    const entry = table.bySignature.get(signature(schema))!;
    used.add(entry.name);
    return entry.name;
  }
  switch (schema.type) {
    case 'string': return 'string';
    case 'integer':
    case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'array': return `${wrapForArray(typeExpression(table, schema.items ?? {}, used))}[]`;
    case 'object':
      if (typeof schema.additionalProperties === 'object') return `Record<string, ${typeExpression(table, schema.additionalProperties, used)}>`;
      return 'Record<string, unknown>';
    default: return 'unknown';
  }
}

const literal = (v: unknown): string => (typeof v === 'string' ? `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'` : JSON.stringify(v));
const wrapForArray = (t: string): string => (t.includes('|') ? `(${t})` : t);
const propertyKey = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));

function emitInterface(table: TypeTable, entry: NamedType, used: Set<string>): string {
  const required = new Set(entry.schema.required ?? []);
  let out = docComment(entry.schema, '', TYPE_DOCS[entry.name] ?? entry.schema.description);
  out += `export interface ${entry.name} {\n`;
  for (const [key, child] of Object.entries(entry.schema.properties ?? {})) {
    out += docComment(child, '  ');
    out += `  ${propertyKey(key)}${required.has(key) ? '' : '?'}: ${typeExpression(table, child, used)};\n`;
  }
  return `${out}}\n`;
}

const HEADER = '// Generated by scripts/generate-api-types.ts from manifests/crds/*.yaml.\n// Do not edit: change the CRD and run `npm run generate`.\n';

function importLines(used: Set<string>, file: string, declaredIn: Map<string, string>): string {
  const byFile = new Map<string, string[]>();
  for (const name of [...used].sort()) {
    const from = declaredIn.get(name)!;
    if (from === file) continue;
    byFile.set(from, [...(byFile.get(from) ?? []), name]);
  }
  return [...byFile.keys()].sort().map((f) => `import type { ${byFile.get(f)!.join(', ')} } from './${f}.js';\n`).join('');
}

/** Kinds in the order their types are named: a shape shared by two kinds takes the name from the first. */
const KIND_ORDER = ['SecretStore', 'ClusterSecretStore', 'ExternalSecret'];
const kindRank = (kind: string): number => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);

/** Loads every CRD in a directory, in KIND_ORDER and then kind order. */
export function loadCrds(crdDir: string): CrdDocument[] {
  return readdirSync(crdDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parse(readFileSync(join(crdDir, f), 'utf8')) as CrdDocument)
    .sort((a, b) => kindRank(a.spec.names.kind) - kindRank(b.spec.names.kind) || a.spec.names.kind.localeCompare(b.spec.names.kind));
}

/** CRDs (by generated file name) that embed another's spec: ClusterExternalSecret's externalSecretSpec. */
const EMBEDS: Record<string, string> = { clusterexternalsecret: 'externalsecret' };

/** Renders the generated files: file name (relative to src/api/generated) → content. */
export function renderApiTypes(crds: CrdDocument[]): Map<string, string> {
  const table: TypeTable = { bySignature: new Map(), byName: new Map(), order: [] };
  const roots: { crd: CrdDocument; file: string; version: CrdDocument['spec']['versions'][number] }[] = [];
  for (const crd of crds) {
    const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0]!;
    const file = crd.spec.names.plural.replace(/s$/, '');
    roots.push({ crd, file, version });
    const root = version.schema.openAPIV3Schema;
    const kind = crd.spec.names.kind;
    for (const part of ['spec', 'status'] as const) {
      const schema = root.properties?.[part];
      if (!schema) continue;
      collectRoot(table, file, schema, part, `${kind}${pascal(part)}`);
    }
  }
  // A shape used by more than one CRD is declared once in common.ts, except one shared only by a
  // CRD and the CRD that embeds its spec: it stays with the embedded one.
  const homeOf = (crds: Set<string>): string => {
    if (crds.size === 1) return [...crds][0]!;
    const [a, b] = [...crds];
    if (crds.size === 2 && (EMBEDS[a!] === b || EMBEDS[b!] === a)) return EMBEDS[a!] === b ? b! : a!;
    return 'common';
  };
  for (const entry of table.order) if (entry.crds.size > 1) entry.file = homeOf(entry.crds);
  const declaredIn = new Map<string, string>();
  for (const entry of table.order) {
    declaredIn.set(entry.name, entry.file);
    for (const [alias, crds] of entry.aliases) declaredIn.set(alias, homeOf(crds));
  }

  const files = new Map<string, string>();
  const bodies = new Map<string, { used: Set<string>; parts: string[]; external: Set<string> }>();
  const body = (file: string) => {
    if (!bodies.has(file)) bodies.set(file, { used: new Set(), parts: [], external: new Set() });
    return bodies.get(file)!;
  };
  for (const entry of table.order) {
    const b = body(entry.file);
    b.parts.push(emitInterface(table, entry, b.used));
    for (const [alias] of entry.aliases) {
      const aliasFile = declaredIn.get(alias)!;
      const ab = body(aliasFile);
      ab.used.add(entry.name);
      ab.parts.push(`/** Same shape as {@link ${entry.name}}. */\nexport type ${alias} = ${entry.name};\n`);
    }
  }
  for (const { crd, file, version } of roots) {
    const b = body(file);
    const kind = crd.spec.names.kind;
    const listKind = crd.spec.names.listKind ?? `${kind}List`;
    const apiVersion = `${crd.spec.group}/${version.name}`;
    const root = version.schema.openAPIV3Schema;
    const hasStatus = root.properties?.status !== undefined;
    const specRequired = (root.required ?? []).includes('spec');
    b.used.add(`${kind}Spec`);
    if (hasStatus) b.used.add(`${kind}Status`);
    b.external.add('V1ObjectMeta').add('V1ListMeta');
    b.parts.push(
      `${docComment(root, '')}export interface ${kind} {\n  apiVersion: ${literal(apiVersion)};\n  kind: ${literal(kind)};\n  metadata: V1ObjectMeta;\n  spec${specRequired ? '' : '?'}: ${kind}Spec;\n${hasStatus ? `  status?: ${kind}Status;\n` : ''}}\n`,
      `/** A list of ${kind} objects, as the API returns it. */\nexport interface ${listKind} {\n  apiVersion: ${literal(apiVersion)};\n  kind: ${literal(listKind)};\n  metadata: V1ListMeta;\n  items: ${kind}[];\n}\n`,
    );
  }
  for (const [file, b] of [...bodies].sort(([a], [c]) => a.localeCompare(c))) {
    const external = b.external.size ? `import type { ${[...b.external].sort().join(', ')} } from '@kubernetes/client-node';\n` : '';
    const imports = external + importLines(b.used, file, declaredIn);
    files.set(`${file}.ts`, `${HEADER}${imports ? `${imports}\n` : '\n'}${b.parts.join('\n')}`);
  }
  const index = [...files.keys()].sort().map((f) => `export type * from './${f.replace(/\.ts$/, '.js')}';\n`).join('');
  files.set('index.ts', `${HEADER}${index}`);
  return files;
}

/** Walks `spec` or `status`, whose type takes the kind's name (paths below it use PATH_NAMES). */
function collectRoot(table: TypeTable, crd: string, schema: JsonSchemaProps, path: string, name: string): void {
  const sig = signature(schema);
  let entry = table.bySignature.get(sig);
  if (entry) {
    if (entry.name !== name) entry.aliases.set(name, (entry.aliases.get(name) ?? new Set()).add(crd));
    entry.crds.add(crd);
  } else {
    entry = { name, schema, file: crd, crds: new Set([crd]), aliases: new Map() };
    table.bySignature.set(sig, entry);
    table.byName.set(name, entry);
    table.order.push(entry);
  }
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    collect(table, crd, child, `${path}.${key}`, `${entry.name}${pascal(key)}`);
  }
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CRD_DIR = join(repoRoot, 'manifests', 'crds');
export const GENERATED_DIR = join(repoRoot, 'src', 'api', 'generated');
export const API_DOCS = join(repoRoot, 'docs', 'api.md');

function main(): void {
  const crds = loadCrds(CRD_DIR);
  const files = renderApiTypes(crds);
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const [name, content] of files) writeFileSync(join(GENERATED_DIR, name), content);
  console.log(`wrote ${files.size} files to src/api/generated/`);
  writeFileSync(API_DOCS, spliceReference(readFileSync(API_DOCS, 'utf8'), renderApiReference(crds)));
  console.log('updated the field reference in docs/api.md');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
