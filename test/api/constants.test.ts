import assert from 'node:assert/strict';
import { CRD_DIR, loadCrds } from '../../scripts/generate-api-types.js';
import { API_VERSION, EXTERNAL_SECRET_REASONS, GROUP, KINDS, NAMESPACED, PLURALS, PROVIDER_NAMES, STORE_REASONS, VERSION, VERSION_SUFFIX_LENGTH } from '../../src/api/index.js';

describe('API constants (src/api/constants.ts)', () => {
  const crds = loadCrds(CRD_DIR);
  const byKind = new Map(crds.map((c) => [c.spec.names.kind, c]));
  const schema = (kind: string) => byKind.get(kind)!.spec.versions[0]!.schema.openAPIV3Schema;

  it('name the kinds, plurals, scope, group and version of the CRDs', () => {
    assert.deepEqual(Object.keys(KINDS).sort(), [...byKind.keys()].sort());
    for (const [kind, crd] of byKind) {
      assert.equal(crd.spec.group, GROUP);
      assert.equal(crd.spec.versions[0]!.name, VERSION);
      assert.equal(crd.spec.names.plural, PLURALS[kind as keyof typeof PLURALS]);
      assert.equal((crd.spec as unknown as { scope: string }).scope === 'Namespaced', NAMESPACED[kind as keyof typeof NAMESPACED]);
    }
    assert.equal(API_VERSION, 'keyferry.io/v1alpha1');
  });

  it('list the provider blocks of spec.provider', () => {
    for (const kind of ['SecretStore', 'ClusterSecretStore']) {
      assert.deepEqual(Object.keys(schema(kind).properties!.spec!.properties!.provider!.properties!).sort(), [...PROVIDER_NAMES].sort());
    }
  });

  it('list the Ready reasons the CRDs document', () => {
    const esConditions = schema('ExternalSecret').properties!.status!.properties!.conditions!.description!;
    for (const reason of Object.values(EXTERNAL_SECRET_REASONS)) assert.match(esConditions, new RegExp(`\\b${reason}\\b`));
    const storeConditions = schema('SecretStore').properties!.status!.properties!.conditions!.description!;
    for (const reason of Object.values(STORE_REASONS)) assert.match(storeConditions, new RegExp(`\\b${reason}\\b`));
  });

  it('leave room in target.name for the version suffix', () => {
    const target = schema('ExternalSecret').properties!.spec!.properties!.target!.properties!.name!;
    assert.equal((target as { maxLength: number }).maxLength + VERSION_SUFFIX_LENGTH, 253);
  });
});
