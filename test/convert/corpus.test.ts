// The ESO corpus (test/convert/corpus/, written from ESO's documented examples): the report of
// each file, line by line, and every converted object valid against keyferry's CRDs.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadValidators } from '../api/crd-validator.js';
import { loadKindSchemas } from '../../src/convert/crd-schemas.js';
import { convertPaths, type ConvertRun } from '../../src/convert/convert-files.js';
import { exitCodeOf } from '../../src/convert/findings.js';
import { formatFinding } from '../../src/convert/report.js';
import { registryFetchesMetadata, registryStoreChecks } from '../../src/cli/convert-command.js';

const root = join(import.meta.dirname, '..', '..');
const schemas = loadKindSchemas(join(root, 'manifests', 'crds'));
const validators = loadValidators(join(root, 'manifests', 'crds'));

export function convert(paths: string[], extra: { alias?: boolean; stdin?: string } = {}): ConvertRun {
  return convertPaths(paths, {
    schemas, mode: { kind: 'stdout' }, cwd: root, alias: extra.alias === true, storeChecks: registryStoreChecks, fetchesMetadata: registryFetchesMetadata,
    readStdin: () => extra.stdin ?? '',
  });
}

const C = 'test/convert/corpus';
const consumers = (file: string, line: number, object: string, field: string, target: string, es: string) =>
  `${C}/${file}:${line}: warning: ${object}: ${field}: consumers must change: keyferry writes Secret ${target}-<hash>, a new name for each version, not ${target}. Set target.versioning.rollout: Patch and annotate the workloads keyferry.io/follow: ${es}, or rollout: Publish for Flux postBuild.substituteFrom, or keep the name with alias: true (--alias)`;

const noMetadata = (store: string) =>
  `keyferry reads no metadata from ${store}, so it refuses this ExternalSecret (Ready=False, InvalidSpec): Fetch reads AWS Secrets Manager and Parameter Store tags, GCP Secret Manager labels and annotations, Vault KV v2 custom_metadata and Azure Key Vault tags`;

interface Case { file: string; code: number; report: string[] }

const cases: Case[] = [
  { file: 'fake/fake.yaml', code: 1, report: [consumers('fake/fake.yaml', 32, 'ExternalSecret example', 'spec.target.name', 'secret-to-be-created', 'example')] },
  { file: 'fake/fake-v1beta1.yaml', code: 1, report: [consumers('fake/fake-v1beta1.yaml', 24, 'ExternalSecret db', 'spec.target.name', 'db-credentials', 'db')] },
  {
    file: 'aws/secretsmanager.yaml', code: 1, report: [
      `${C}/aws/secretsmanager.yaml:9: warning: SecretStore secretstore-sample: spec.controller: left out: keyferry has no such field (keyferry has no controller classes)`,
      `${C}/aws/secretsmanager.yaml:10: warning: SecretStore secretstore-sample: spec.retrySettings: left out: keyferry has no such field (keyferry's fetch path retries with backoff and honours Retry-After)`,
      consumers('aws/secretsmanager.yaml', 37, 'ExternalSecret example', 'spec.target.name', 'secret-to-be-created', 'example'),
    ],
  },
  {
    file: 'aws/irsa.yaml', code: 1, report: [
      `${C}/aws/irsa.yaml:9: warning: SecretStore irsa: spec.provider.aws: names no credentials, so it would use the operator's own (the AWS SDK default chain: environment, IRSA web identity, ECS task or EC2 instance role): keyferry refuses that in a SecretStore unless the operator runs with --allow-ambient-credentials-in-secretstores`,
    ],
  },
  { file: 'gcpsm/gcpsm.yaml', code: 1, report: [consumers('gcpsm/gcpsm.yaml', 28, 'ExternalSecret database-credentials', 'spec.target.name', 'database-credentials', 'database-credentials')] },
  { file: 'azurekv/azurekv.yaml', code: 1, report: [consumers('azurekv/azurekv.yaml', 31, 'ExternalSecret tls-cert', 'spec.target.name', 'tls-cert', 'tls-cert')] },
  { file: 'vault/vault.yaml', code: 1, report: [consumers('vault/vault.yaml', 29, 'ExternalSecret vault-example', 'spec.target.name', 'example-sync', 'vault-example')] },
  {
    file: 'vault/vault-ldap.yaml', code: 2, report: [
      `${C}/vault/vault-ldap.yaml:14: refused: SecretStore vault-ldap: spec.provider.vault.auth.ldap: keyferry has no such field, and leaving it out would change what is read or written`,
    ],
  },
  { file: 'onepassword/onepassword.yaml', code: 1, report: [consumers('onepassword/onepassword.yaml', 23, 'ExternalSecret login', 'metadata.name', 'login', 'login')] },
  // Its store is in onepassword.yaml: alone, nothing is said (see the test converting both).
  { file: 'onepassword/metadata-fetch.yaml', code: 0, report: [] },
  {
    file: 'vault/vault-kv1-metadata.yaml', code: 1, report: [
      `${C}/vault/vault-kv1-metadata.yaml:40: warning: ExternalSecret vault-metadata: spec.data[1].remoteRef.metadataPolicy: ${noMetadata('SecretStore vault-kv1 (provider vault)')}`,
    ],
  },
  {
    file: 'cluster/cluster.yaml', code: 1, report: [
      `${C}/cluster/cluster.yaml:14: warning: ClusterSecretStore shared-fake: spec.conditions[1].namespaceRegexes[1]: unanchored pattern: it matches anywhere in a namespace's name, as in ESO (so it admits more namespaces than it seems to); anchor it as ^...$`,
      consumers('cluster/cluster.yaml', 40, 'ClusterExternalSecret hello-world', 'spec.externalSecretSpec.target.name', 'api-token', 'hello-world-es'),
    ],
  },
  {
    file: 'annotations/force-sync.yaml', code: 1, report: [
      `${C}/annotations/force-sync.yaml:10: note: ExternalSecret synced: metadata.annotations.force-sync: renamed to keyferry.io/force-sync, value kept: keyferry reads the store again when its value changes`,
      `${C}/annotations/force-sync.yaml:29: warning: ClusterExternalSecret everywhere: metadata.annotations.external-secrets.io/force-sync: keyferry's ClusterExternalSecret does not act on this annotation: to make its ExternalSecrets read again, change keyferry.io/force-sync under spec.externalSecretMetadata.annotations`,
      `${C}/annotations/force-sync.yaml:33: note: ClusterExternalSecret everywhere: spec.externalSecretMetadata.annotations.external-secrets.io/force-sync: renamed to keyferry.io/force-sync, value kept: keyferry reads the store again when its value changes`,
    ],
  },
  {
    file: 'refused/doppler.yaml', code: 2, report: [
      `${C}/refused/doppler.yaml:9: refused: SecretStore doppler: spec.provider.doppler: keyferry has no doppler provider (it has: aws, gcpsm, azurekv, vault, onepassword, fake)`,
    ],
  },
  {
    file: 'refused/pushsecret.yaml', code: 2, report: [
      `${C}/refused/pushsecret.yaml:2: refused: PushSecret pushsecret-example: keyferry only reads from stores: PushSecret writes Kubernetes Secrets to a store, which keyferry does not do`,
    ],
  },
  {
    file: 'refused/generator.yaml', code: 2, report: [
      `${C}/refused/generator.yaml:3: refused: Password my-password: keyferry has no generators: Password makes values instead of reading them from a store; keep it with ESO or move the value into a store`,
      `${C}/refused/generator.yaml:24: refused: ExternalSecret password: spec.dataFrom[0].sourceRef: keyferry has no such field, and leaving it out would change what is read or written (generators and per-entry stores are not supported)`,
    ],
  },
  {
    file: 'refused/engine-v1.yaml', code: 2, report: [
      `${C}/refused/engine-v1.yaml:8: refused: ExternalSecret legacy-template: spec.refreshInterval: keyferry refreshes at most once a second: use 1s or more, or 0 to read once`,
      `${C}/refused/engine-v1.yaml:14: refused: ExternalSecret legacy-template: spec.target.template.engineVersion: template engine v1 is refused by keyferry (Ready=False, InvalidSpec): rewrite the templates for engine v2`,
    ],
  },
  {
    // Every field fits keyferry's schema: only the CRD's CEL rule refuses it, as the API server would.
    file: 'refused/deletion-merge.yaml', code: 2, report: [
      `${C}/refused/deletion-merge.yaml:15: refused: ExternalSecret drop-keys: spec.target.deletionPolicy: the API server would refuse this: target.deletionPolicy Merge goes with creationPolicy Merge only`,
    ],
  },
  {
    file: 'refused/foreign-namespace.yaml', code: 2, report: [
      `${C}/refused/foreign-namespace.yaml:16: refused: SecretStore shared-creds: spec.provider.vault.auth.tokenSecretRef.namespace: a SecretStore resolves references only in its own namespace (team-b); keyferry refuses one to another namespace (use a ClusterSecretStore)`,
    ],
  },
];

/** The keyferry objects of a converted stream, each checked against its CRD. */
function schemaErrors(text: string): string[] {
  const errors: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJS() as { apiVersion?: string; kind?: string } | null;
    if (!obj?.apiVersion?.startsWith('keyferry.io/')) continue;
    const validator = validators.get(obj.kind ?? '');
    if (!validator) {
      errors.push(`${obj.kind}: no CRD`);
      continue;
    }
    errors.push(...validator.validate(obj).errors.map((e) => `${obj.kind}: ${e}`));
  }
  return errors;
}

describe('keyferry convert: the ESO corpus', () => {
  for (const c of cases) {
    it(`${c.file}: report lines and exit ${c.code}`, () => {
      const run = convert([`${C}/${c.file}`]);
      assert.deepEqual(run.findings.map(formatFinding), c.report);
      assert.equal(exitCodeOf(run.findings), c.code);
    });
  }

  it('every file of the corpus is in a case, and every case converts to objects that keyferry\'s CRDs accept', () => {
    const run = convert([C]);
    const files = new Set(run.findings.map((f) => f.file));
    for (const file of files) {
      if (!file.includes('/kustomize/')) assert.ok(cases.some((c) => `${C}/${c.file}` === file), `${file} has findings but no case`);
    }
    for (const c of cases) {
      const out = convert([`${C}/${c.file}`]).outputs.map((o) => o.text).join('');
      assert.deepEqual(schemaErrors(out), [], c.file);
    }
  });

  it('metadataPolicy Fetch from a store of another file that reads no metadata (1Password) is a warning at the field', () => {
    const run = convert([`${C}/onepassword/onepassword.yaml`, `${C}/onepassword/metadata-fetch.yaml`]);
    assert.deepEqual(run.findings.map(formatFinding), [
      consumers('onepassword/onepassword.yaml', 23, 'ExternalSecret login', 'metadata.name', 'login', 'login'),
      `${C}/onepassword/metadata-fetch.yaml:20: warning: ExternalSecret login-tags: spec.data[0].remoteRef.metadataPolicy: ${noMetadata('ClusterSecretStore onepassword (provider onepassword)')}`,
    ]);
    assert.equal(exitCodeOf(run.findings), 1);
    assert.match(run.outputs[0]!.text, /metadataPolicy: Fetch/, 'converted all the same: the operator says why it refuses it');
  });

  it('converts each provider\'s objects: apiVersion keyferry.io/v1alpha1, kind kept, refused objects written back unchanged', () => {
    const run = convert([`${C}/refused/generator.yaml`, `${C}/fake/fake.yaml`]);
    const docs = parseAllDocuments(run.outputs[0]!.text).map((d) => d.toJS() as { apiVersion: string; kind: string });
    assert.deepEqual(docs.map((d) => `${d.apiVersion} ${d.kind}`), [
      'generators.external-secrets.io/v1alpha1 Password',
      'external-secrets.io/v1 ExternalSecret',
      'keyferry.io/v1alpha1 ClusterSecretStore',
      'keyferry.io/v1alpha1 ExternalSecret',
    ]);
    assert.equal(run.converted, 2);
    assert.equal(run.refused, 2);
  });

  it('leaves out the fields keyferry lacks and keeps comments and the rest', () => {
    const out = convert([`${C}/aws/secretsmanager.yaml`]).outputs[0]!.text;
    assert.ok(out.startsWith('# AWS Secrets Manager with static keys'));
    assert.doesNotMatch(out, /^\s*(retrySettings|controller):/m);
    assert.match(out, /region: us-east-1/);
    assert.deepEqual(schemaErrors(out), []);
  });

  it('a kustomize overlay: the patch follows its base to keyferry.io without advice of its own (nor the CEL rules of a whole object: it has no data), the Deployment and kustomizations pass through', () => {
    const run = convert([`${C}/kustomize`]);
    assert.deepEqual(run.findings.map(formatFinding), [
      consumers('kustomize/base/externalsecret.yaml', 4, 'ExternalSecret api-env', 'metadata.name', 'api-env', 'api-env'),
    ]);
    const docs = parseAllDocuments(run.outputs[0]!.text).map((d) => d.toJS() as { apiVersion: string; kind: string });
    assert.deepEqual(docs.map((d) => `${d.apiVersion} ${d.kind}`), [
      'apps/v1 Deployment',
      'keyferry.io/v1alpha1 ExternalSecret',
      'v1 Secret',
      'kustomize.config.k8s.io/v1beta1 Kustomization',
      'keyferry.io/v1alpha1 ExternalSecret',
      'kustomize.config.k8s.io/v1beta1 Kustomization',
    ]);
  });

  it('ESO\'s force-sync annotation becomes keyferry.io/force-sync with its value, in place; one on a ClusterExternalSecret itself stays', () => {
    const out = convert([`${C}/annotations/force-sync.yaml`]).outputs[0]!.text;
    const [es, ces] = parseAllDocuments(out).map((d) => d.toJS() as { metadata: { annotations: Record<string, string> }; spec: { externalSecretMetadata?: { annotations: Record<string, string> } } });
    assert.deepEqual(es!.metadata.annotations, { team: 'payments', 'keyferry.io/force-sync': '1733050000' });
    assert.deepEqual(Object.keys(es!.metadata.annotations), ['team', 'keyferry.io/force-sync'], 'order kept');
    assert.deepEqual(ces!.metadata.annotations, { 'external-secrets.io/force-sync': '1733050000' });
    assert.deepEqual(ces!.spec.externalSecretMetadata!.annotations, { 'keyferry.io/force-sync': '1733050001' });
    assert.deepEqual(schemaErrors(out), []);
    // Beside keyferry's own key, ESO's is left alone rather than written twice.
    const both = convert(['-'], { stdin: 'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: a\n  annotations:\n    keyferry.io/force-sync: "2"\n    force-sync: "1"\nspec:\n  secretStoreRef: {name: s}\n  target: {versioning: {rollout: Patch}}\n  data: [{secretKey: k, remoteRef: {key: r}}]\n' });
    assert.deepEqual(both.findings.map(formatFinding), ['<stdin>:7: warning: ExternalSecret a: metadata.annotations.force-sync: kept as it is: keyferry.io/force-sync is already set, and keyferry reads only that one']);
  });

  it('--alias keeps the plain name for consumers: a note instead of a warning, and alias: true in the output', () => {
    const run = convert([`${C}/fake/fake.yaml`], { alias: true });
    assert.deepEqual(run.findings.map(formatFinding), [
      `${C}/fake/fake.yaml:32: note: ExternalSecret example: spec.target.name: Secret secret-to-be-created is kept as an alias (target.versioning.alias: true) beside the versions secret-to-be-created-<hash>: consumers keep their references; apply manifests/optional/alias-mode for the RBAC it needs; Pods restart on a change only with rollout: Patch and the keyferry.io/follow annotation`,
    ]);
    assert.equal(exitCodeOf(run.findings), 0);
    const es = parseAllDocuments(run.outputs[0]!.text)[1]!.toJS() as { spec: { target: { versioning: { alias: boolean } } } };
    assert.equal(es.spec.target.versioning.alias, true);
    assert.deepEqual(schemaErrors(run.outputs[0]!.text), []);
  });
});
