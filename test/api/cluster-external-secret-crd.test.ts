import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { CrdDocument, JsonSchemaProps } from '../../scripts/generate-api-types.js';

const schemaOf = (file: string): JsonSchemaProps =>
  (parse(readFileSync(new URL(`../../manifests/crds/${file}`, import.meta.url), 'utf8')) as CrdDocument).spec.versions[0]!.schema.openAPIV3Schema;

describe('ClusterExternalSecret CRD', () => {
  it('takes externalSecretSpec with exactly the schema of ExternalSecret.spec (description aside)', () => {
    const { description: _a, ...embedded } = schemaOf('clusterexternalsecret.yaml').properties!.spec!.properties!.externalSecretSpec!;
    const { description: _b, ...original } = schemaOf('externalsecret.yaml').properties!.spec!;
    assert.deepEqual(embedded, original);
  });

  it('is cluster-scoped and requires externalSecretSpec', () => {
    const crd = parse(readFileSync(new URL('../../manifests/crds/clusterexternalsecret.yaml', import.meta.url), 'utf8')) as CrdDocument & { spec: { scope: string } };
    assert.equal(crd.spec.scope, 'Cluster');
    assert.deepEqual(schemaOf('clusterexternalsecret.yaml').properties!.spec!.required, ['externalSecretSpec']);
  });
});
