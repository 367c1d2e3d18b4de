import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { API_DOCS, CRD_DIR, GENERATED_DIR, loadCrds, renderApiTypes } from '../../scripts/generate-api-types.js';
import { renderApiReference, spliceReference } from '../../scripts/generate-api-docs.js';
import type { ExternalSecret, SecretStore, ClusterSecretStore, SecretKeySelector, StoreProvider } from '../../src/api/index.js';

describe('generated API types (src/api/generated)', () => {
  it('match what the CRDs generate', () => {
    const expected = renderApiTypes(loadCrds(CRD_DIR));
    const committed = readdirSync(GENERATED_DIR).filter((f) => f.endsWith('.ts')).sort();
    assert.deepEqual(committed, [...expected.keys()].sort(), 'src/api/generated/ holds other files than the CRDs generate: run `npm run generate`');
    for (const [name, content] of expected) {
      assert.ok(readFileSync(join(GENERATED_DIR, name), 'utf8') === content, `src/api/generated/${name} is out of date with manifests/crds/: run \`npm run generate\``);
    }
  });

  it('docs/api.md carries the field reference the CRDs generate', () => {
    const docs = readFileSync(API_DOCS, 'utf8');
    const expected = spliceReference(docs, renderApiReference(loadCrds(CRD_DIR)));
    assert.ok(docs === expected, 'the field reference in docs/api.md is out of date with manifests/crds/: run `npm run generate`');
    for (const field of ['spec.provider.aws.auth.jwt.serviceAccountRef', 'spec.target.versioning.minRetention', 'spec.conditions[].namespaceRegexes', 'status.versions[].remoteVersions']) {
      assert.ok(docs.includes(`\`${field}\``), field);
    }
  });

  it('declare every kind, provider block and shared reference type', () => {
    const all = [...renderApiTypes(loadCrds(CRD_DIR)).values()].join('\n');
    for (const name of ['ExternalSecret', 'ExternalSecretSpec', 'ExternalSecretStatus', 'SecretStore', 'SecretStoreSpec', 'SecretStoreStatus', 'ClusterSecretStore', 'ClusterSecretStoreSpec', 'ClusterSecretStoreStatus',
      'AwsProvider', 'VaultProvider', 'GcpsmProvider', 'AzureKvProvider', 'OnePasswordProvider', 'FakeProvider', 'RateLimit', 'SecretKeySelector', 'ServiceAccountSelector', 'Condition', 'SecretVersion', 'Versioning']) {
      assert.match(all, new RegExp(`export (interface|type) ${name}\\b`), name);
    }
    assert.equal(all.match(/export interface SecretKeySelector\b/g)?.length, 1, 'shared shapes are declared once');
  });

  it('carry the CRD descriptions and defaults as doc comments, and required fields as non-optional', () => {
    const es = renderApiTypes(loadCrds(CRD_DIR)).get('externalsecret.ts')!;
    const crd = loadCrds(CRD_DIR).find((c) => c.spec.names.kind === 'ExternalSecret')!;
    const described = crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!.refreshInterval!.description!;
    assert.ok(es.includes(`/**\n   * ${described}\n   * Default: \`"1h"\`.\n   */\n  refreshInterval?: string;`));
    assert.match(es, /secretStoreRef: SecretStoreRef;/);
    assert.match(es, /refreshPolicy\?: 'Periodic' \| 'OnChange' \| 'CreatedOnce';/);
  });

  it('type real objects (compile-time check)', () => {
    const ref: SecretKeySelector = { name: 'creds', key: 'token', namespace: 'ops' };
    const provider: StoreProvider = { vault: { server: 'https://vault:8200', auth: { tokenSecretRef: ref } } };
    const store: SecretStore = { apiVersion: 'keyferry.io/v1alpha1', kind: 'SecretStore', metadata: { name: 'v' }, spec: { provider } };
    const cluster: ClusterSecretStore = { apiVersion: 'keyferry.io/v1alpha1', kind: 'ClusterSecretStore', metadata: { name: 'c' }, spec: { provider, conditions: [{ namespaces: ['a'] }] } };
    const es: ExternalSecret = {
      apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: 'e' },
      spec: { secretStoreRef: { name: 'v' }, data: [{ secretKey: 'a', remoteRef: { key: 'k', decodingStrategy: 'Base64' } }], target: { versioning: { rollout: 'Patch' } } },
      status: { currentSecretName: 'e-0123456789', versions: [{ name: 'e-0123456789', hash: '0123456789', remoteVersions: { a: '3' } }] },
    };
    assert.equal(store.spec.provider.vault?.auth.tokenSecretRef?.key, 'token');
    assert.equal(cluster.spec.conditions?.[0]?.namespaces?.[0], 'a');
    assert.equal(es.status?.versions?.[0]?.remoteVersions?.a, '3');
  });
});
