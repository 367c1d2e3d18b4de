// The API tells the truth: every field of the three CRDs' schemas is read (or, under status,
// written) by the code that the table below names, and covered by the test it names; or it is
// listed as refused, with the reason. A field added to a CRD without a row here, a row whose
// field is gone, code that no longer mentions its field or a test that no longer exists fails.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadValidators } from './crd-validator.js';
import type { JsonSchemaProps } from '../../scripts/generate-api-types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** [code that reads or writes the field, test file (or folder) that covers it, words of that test's title]. */
type Covered = readonly [code: string, test: string, title: string];
/** A field the schema keeps but the code refuses, and why. */
type Refused = { refused: string };

const ES_RECONCILER = 'src/controller/external-secret-reconciler.ts';
const ES_TEST = 'test/controller/external-secret-reconciler.test.ts';
const DATA = 'src/controller/secret-data.ts';
const CONSUMERS = 'test/workloads/controller-consumers.test.ts';
const STORE_STATUS: Record<string, Covered> = {
  'status.conditions[].type': ['src/controller/conditions.ts', 'test/controller/store-and-wiring.test.ts', 'sets Ready=True (Valid)'],
  'status.conditions[].status': ['src/controller/conditions.ts', 'test/controller/store-and-wiring.test.ts', 'sets Ready=True (Valid)'],
  'status.conditions[].reason': ['src/controller/conditions.ts', 'test/controller/store-and-wiring.test.ts', 'sets Ready=True (Valid)'],
  'status.conditions[].message': ['src/controller/conditions.ts', 'test/controller/store-and-wiring.test.ts', 'InvalidProviderConfig naming the field'],
  'status.conditions[].lastTransitionTime': ['src/controller/conditions.ts', 'test/controller/store-and-wiring.test.ts', 'does not patch status again when nothing changed'],
  'status.conditions[].observedGeneration': ['src/controller/conditions.ts', 'test/controller/store-and-wiring.test.ts', 'sets Ready=True (Valid)'],
  'status.warnings': ['src/controller/store-reconciler.ts', 'test/controller/tenant-isolation.test.ts', 'the store warns'],
};
const STORE_SPEC: Record<string, Covered> = {
  'spec.provider.aws': ['providers/aws', 'test/providers/aws', ''],
  'spec.provider.gcpsm': ['providers/gcpsm', 'test/providers/gcpsm', ''],
  'spec.provider.azurekv': ['providers/azurekv', 'test/providers/azurekv', ''],
  'spec.provider.vault': ['providers/vault', 'test/providers/vault', ''],
  'spec.provider.onepassword': ['providers/onepassword', 'test/providers/onepassword', ''],
  'spec.provider.fake': ['providers/fake', 'test/providers/fake', ''],
  'spec.rateLimit.requestsPerSecond': ['src/controller/store-reconciler.ts', 'test/controller/tenant-isolation.test.ts', 'a store allowing one call per 1 000 s holds no worker'],
  'spec.rateLimit.burst': ['src/controller/store-reconciler.ts', 'test/fetch/endpoint-limiters.test.ts', 'turns a budget into a token bucket'],
  'spec.rateLimit.maxConcurrent': ['src/controller/store-reconciler.ts', 'test/fetch/endpoint-limiters.test.ts', 'turns a budget into a token bucket'],
  'spec.refreshInterval': ['src/controller/store-reconciler.ts', 'test/controller/store-refresh-interval.test.ts', 're-validates a Ready store on its interval'],
  'spec.cache.latestTTL': [ES_RECONCILER, ES_TEST, 'or what the store sets in cache.latestTTL'],
};
const CLUSTER_CONDITIONS: Record<string, Covered> = {
  'spec.conditions[].namespaces': ['src/controller/store-resolver.ts', 'test/controller/store-and-wiring.test.ts', 'ClusterSecretStore conditions: namespaces, namespaceSelector and namespaceRegexes'],
  'spec.conditions[].namespaceSelector.matchLabels': ['src/controller/label-selector.ts', 'test/controller/store-and-wiring.test.ts', 'ClusterSecretStore conditions'],
  'spec.conditions[].namespaceSelector.matchExpressions[].key': ['src/controller/label-selector.ts', 'test/controller/store-and-wiring.test.ts', 'ClusterSecretStore conditions'],
  'spec.conditions[].namespaceSelector.matchExpressions[].operator': ['src/controller/label-selector.ts', 'test/controller/store-and-wiring.test.ts', 'ClusterSecretStore conditions'],
  'spec.conditions[].namespaceSelector.matchExpressions[].values': ['src/controller/label-selector.ts', 'test/controller/store-and-wiring.test.ts', 'ClusterSecretStore conditions'],
  'spec.conditions[].namespaceRegexes': ['src/controller/store-resolver.ts', 'test/controller/tenant-isolation.test.ts', 'keeps ESO'],
};

const TABLE: Record<string, Record<string, Covered | Refused>> = {
  ExternalSecret: {
    'spec.secretStoreRef.name': ['src/controller/store-resolver.ts', 'test/controller/store-and-wiring.test.ts', 're-queues dependent ExternalSecrets at once when a store appears'],
    'spec.secretStoreRef.kind': ['src/controller/store-resolver.ts', 'test/controller/store-and-wiring.test.ts', 'ClusterSecretStore conditions'],
    'spec.refreshInterval': ['src/controller/spec-checks.ts', 'test/controller/refresh-interval.test.ts', '0 reads once and says so in the Ready message'],
    'spec.refreshPolicy': [ES_RECONCILER, ES_TEST, 'CreatedOnce and refreshInterval 0 sync once; OnChange syncs again only on a spec change'],
    'spec.data[].secretKey': [DATA, 'test/controller/small-cases.test.ts', 'a duplicate secretKey is refused'],
    'spec.data[].remoteRef.key': [DATA, ES_TEST, 'creates the hash-named Secret'],
    'spec.data[].remoteRef.property': [DATA, 'test/e2e/aws.e2e.test.ts', 'syncs a versioned Secret through each auth mode'],
    'spec.data[].remoteRef.version': [DATA, 'test/e2e/aws.e2e.test.ts', 'a pinned VersionId keeps the old value'],
    'spec.data[].remoteRef.decodingStrategy': [DATA, ES_TEST, 'applies dataFrom.extract, decodingStrategy and a template'],
    'spec.data[].remoteRef.metadataPolicy': [DATA, 'test/controller/metadata-policy.test.ts', 'without property: the JSON object of all metadata'],
    'spec.dataFrom[].extract.key': [DATA, ES_TEST, 'applies dataFrom.extract'],
    'spec.dataFrom[].extract.property': [DATA, ES_TEST, 'applies dataFrom.extract'],
    'spec.dataFrom[].extract.version': [DATA, ES_TEST, 'applies dataFrom.extract'],
    'spec.dataFrom[].extract.decodingStrategy': [DATA, ES_TEST, 'applies dataFrom.extract, decodingStrategy'],
    'spec.dataFrom[].find.name.regexp': [DATA, 'test/controller/tenant-isolation.test.ts', 'in find and rewrite'],
    'spec.dataFrom[].find.tags': [DATA, 'test/providers/aws/aws-provider.test.ts', 'lists by name regexp, exact tags and name prefix'],
    'spec.dataFrom[].find.path': [DATA, 'test/providers/aws/aws-provider.test.ts', 'lists by name regexp, exact tags and name prefix'],
    'spec.dataFrom[].find.decodingStrategy': [DATA, 'test/controller/tenant-isolation.test.ts', 'in find and rewrite'],
    'spec.dataFrom[].rewrite[].regexp.source': [DATA, 'test/controller/tenant-isolation.test.ts', 'in find and rewrite'],
    'spec.dataFrom[].rewrite[].regexp.target': [DATA, 'test/controller/tenant-isolation.test.ts', 'in find and rewrite'],
    'spec.dataFrom[].rewrite[].transform.template': ['src/controller/key-rewrite.ts', 'test/controller/key-rewrite.test.ts', 'rewrites each key of find and extract with the template'],
    'spec.dataFrom[].extract.conversionStrategy': [DATA, 'test/controller/key-rewrite.test.ts', 'Unicode puts _U<hex code point>_'],
    'spec.dataFrom[].find.conversionStrategy': [DATA, 'test/controller/key-rewrite.test.ts', 'Unicode puts _U<hex code point>_'],
    'spec.data[].remoteRef.conversionStrategy': ['src/controller/key-rewrite.ts', 'test/controller/key-rewrite.test.ts', 'on data it has no effect'],
    'spec.target.template.templateFrom[].configMap.name': ['src/controller/template-from.ts', 'test/controller/template-from.test.ts', 'renders ConfigMap and Secret keys (Values, KeysAndValues) and literals'],
    'spec.target.template.templateFrom[].configMap.items[].key': ['src/controller/template-from.ts', 'test/controller/template-from.test.ts', 'renders ConfigMap and Secret keys (Values, KeysAndValues) and literals'],
    'spec.target.template.templateFrom[].configMap.items[].templateAs': ['src/controller/template-from.ts', 'test/controller/template-from.test.ts', 'renders ConfigMap and Secret keys (Values, KeysAndValues) and literals'],
    'spec.target.template.templateFrom[].secret.name': ['src/controller/template-from.ts', 'test/controller/template-from.test.ts', 'renders ConfigMap and Secret keys (Values, KeysAndValues) and literals'],
    'spec.target.template.templateFrom[].secret.items[].key': ['src/controller/template-from.ts', 'test/controller/template-from.test.ts', 'renders ConfigMap and Secret keys (Values, KeysAndValues) and literals'],
    'spec.target.template.templateFrom[].secret.items[].templateAs': ['src/controller/template-from.ts', 'test/controller/template-from.test.ts', 'renders ConfigMap and Secret keys (Values, KeysAndValues) and literals'],
    'spec.target.template.templateFrom[].literal': ['src/controller/template-from.ts', 'test/controller/template-from.test.ts', 'renders ConfigMap and Secret keys (Values, KeysAndValues) and literals'],
    'spec.target.template.templateFrom[].target': ['src/controller/template-from.ts', 'test/controller/template-from.test.ts', 'renders ConfigMap and Secret keys (Values, KeysAndValues) and literals'],
    'spec.target.name': ['src/controller/spec-checks.ts', 'test/controller/small-cases.test.ts', 'changing target.name prunes the old target'],
    'spec.target.creationPolicy': [ES_RECONCILER, 'test/e2e/scenarios.e2e.test.ts', 'deletes versions by cascade with creationPolicy Owner and keeps them with Orphan'],
    'spec.target.deletionPolicy': [ES_RECONCILER, CONSUMERS, 'Delete: when the remote secret is gone'],
    'spec.target.template.type': ['src/controller/template.ts', ES_TEST, 'and a template'],
    'spec.target.template.metadata.labels': ['src/controller/template.ts', ES_TEST, 'and a template'],
    'spec.target.template.metadata.annotations': ['src/controller/template.ts', ES_TEST, 'and a template'],
    'spec.target.template.data': ['src/controller/template.ts', ES_TEST, 'and a template'],
    'spec.target.template.engineVersion': ['src/controller/template.ts', 'test/controller/template-engine.test.ts', 'engineVersion v1 is refused'],
    'spec.target.template.mergePolicy': ['src/controller/template.ts', 'test/controller/template-engine.test.ts', 'mergePolicy Merge'],
    'spec.target.versioning.retain': ['src/controller/spec-checks.ts', ES_TEST, 'prunes per retain/minRetention'],
    'spec.target.versioning.minRetention': ['src/controller/spec-checks.ts', ES_TEST, 'prunes per retain/minRetention'],
    'spec.target.versioning.rollout': ['src/workloads/version-consumers.ts', CONSUMERS, 'a burst of five ExternalSecrets rolls it once'],
    'spec.target.versioning.alias': ['src/workloads/version-consumers.ts', CONSUMERS, 'keeps the alias in step'],
    'spec.target.versioning.maxAge': [ES_RECONCILER, CONSUMERS, 'renews the version at the end of each period'],
    'spec.target.versioning.fluxKustomization.name': ['src/workloads/version-consumers.ts', CONSUMERS, 'asks the Flux Kustomization to reconcile'],
    'spec.target.versioning.fluxKustomization.namespace': ['src/workloads/version-consumers.ts', CONSUMERS, 'asks the Flux Kustomization to reconcile'],
    'status.conditions[].type': ['src/controller/conditions.ts', ES_TEST, 'reports SecretSynced'],
    'status.conditions[].status': ['src/controller/conditions.ts', ES_TEST, 'reports SecretSynced'],
    'status.conditions[].reason': ['src/controller/conditions.ts', ES_TEST, 'reports SecretSynced'],
    'status.conditions[].message': ['src/controller/conditions.ts', ES_TEST, 'keeps serving the last good version when a fetch fails'],
    'status.conditions[].lastTransitionTime': ['src/versioning/expiry.ts', 'test/versioning/expiry-and-max-age.test.ts', 'keep their transition time while unchanged'],
    'status.conditions[].observedGeneration': ['src/versioning/expiry.ts', 'test/versioning/expiry-and-max-age.test.ts', 'keep their transition time while unchanged'],
    'status.refreshTime': [ES_RECONCILER, 'test/controller/small-cases.test.ts', 'until refreshTime is older than'],
    'status.syncedGeneration': [ES_RECONCILER, ES_TEST, 'CreatedOnce and refreshInterval 0 sync once'],
    'status.currentSecretName': [ES_RECONCILER, ES_TEST, 'creates the hash-named Secret'],
    'status.versionCount': [ES_RECONCILER, 'test/controller/small-cases.test.ts', 'while versionCount counts them all'],
    'status.versions[].name': [ES_RECONCILER, ES_TEST, 'prunes per retain/minRetention'],
    'status.versions[].hash': [ES_RECONCILER, 'test/controller/small-cases.test.ts', 'status.versions lists at most 20'],
    'status.versions[].createdAt': [ES_RECONCILER, 'test/controller/small-cases.test.ts', 'status.versions lists at most 20'],
    'status.versions[].remoteVersions': [ES_RECONCILER, ES_TEST, 'creates the hash-named Secret'],
    'status.expiresAt': [ES_RECONCILER, CONSUMERS, 'turns ExpiringSoon, then Expired, each at its time'],
  },
  SecretStore: { ...STORE_SPEC, ...STORE_STATUS },
  ClusterSecretStore: { ...STORE_SPEC, ...CLUSTER_CONDITIONS, ...STORE_STATUS },
};

/** Paths of the fields a schema declares: leaves, and objects or lists of scalars as a whole. */
function fields(schema: JsonSchemaProps, path = ''): string[] {
  if (schema.properties) return Object.entries(schema.properties).flatMap(([k, child]) => fields(child, path ? `${path}.${k}` : k));
  if (schema.items) return schema.items.properties ? fields(schema.items, `${path}[]`) : [path];
  return [path];
}

/** The row that covers `field`: its own, or the nearest row above it (a provider block covers its fields). */
function rowFor(rows: Record<string, Covered | Refused>, field: string): [string, Covered | Refused] | undefined {
  for (let p = field; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') if (rows[p]) return [p, rows[p]!];
  return undefined;
}

const textOf = (path: string): string => {
  const abs = join(root, path);
  if (!existsSync(abs)) return '';
  if (!statSync(abs).isDirectory()) return readFileSync(abs, 'utf8');
  return readdirSync(abs).map((f) => textOf(join(path, f))).join('\n');
};

describe('every CRD field is read by code and covered by a test, or refused with a reason', () => {
  const validators = loadValidators(join(root, 'manifests', 'crds'));
  for (const [kind, rows] of Object.entries(TABLE)) {
    const schema = validators.get(kind)!.crd.spec.versions.find((v) => v.storage)!.schema!.openAPIV3Schema as JsonSchemaProps;
    const declared = fields(schema).filter((f) => /^(spec|status)\./.test(f));

    it(`${kind}: every field has a row, and every row a field`, () => {
      assert.deepEqual(declared.filter((f) => !rowFor(rows, f)), [], 'fields without a row');
      assert.deepEqual(Object.keys(rows).filter((r) => !declared.some((f) => f === r || f.startsWith(`${r}.`) || f.startsWith(`${r}[]`))), [], 'rows without a field');
    });

    it(`${kind}: the code named for each field mentions it, and the test named exists`, () => {
      const problems: string[] = [];
      for (const field of declared) {
        const found = rowFor(rows, field);
        if (!found) continue;
        const [, row] = found;
        if ('refused' in row) {
          if (row.refused.length < 10) problems.push(`${field}: refused without a reason`);
          continue;
        }
        const [code, test, title] = row;
        const name = field.replace(/\[\]/g, '').split('.').pop()!;
        if (!new RegExp(`\\b${name}\\b`).test(textOf(code))) problems.push(`${field}: ${code} does not mention "${name}"`);
        const tests = textOf(test);
        if (!tests) problems.push(`${field}: ${test} does not exist`);
        else if (title && !tests.includes(title)) problems.push(`${field}: no test in ${test} says "${title}"`);
      }
      assert.deepEqual(problems, []);
    });
  }
});
