import assert from 'node:assert/strict';
import { credentialRefs, refsOutsideNamespace } from '../../src/controller/credential-refs.js';

const aws = (namespace?: string) => ({
  aws: {
    region: 'eu-west-1',
    auth: {
      secretRef: {
        accessKeyIDSecretRef: { name: 'aws-creds', key: 'id', ...(namespace ? { namespace } : {}) },
        secretAccessKeySecretRef: { name: 'aws-creds', key: 'secret' },
      },
      jwt: { serviceAccountRef: { name: 'reader', ...(namespace ? { namespace } : {}) } },
    },
  },
});

describe('credential references of a store', () => {
  it('are found anywhere in the provider block, with where they are', () => {
    assert.deepEqual(credentialRefs(aws('team-a')).map((r) => [r.field, r.name, r.namespace]), [
      ['spec.provider.aws.auth.secretRef.accessKeyIDSecretRef', 'aws-creds', 'team-a'],
      ['spec.provider.aws.auth.secretRef.secretAccessKeySecretRef', 'aws-creds', undefined],
    ]);
  });

  it('carry their key, and say which name a ConfigMap (caProvider of type ConfigMap, GCP credConfig) rather than a Secret', () => {
    const refs = credentialRefs({
      vault: { caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' }, auth: { tokenSecretRef: { name: 't', key: 'token' } } },
      gcpsm: { auth: { workloadIdentityFederation: { credConfig: { name: 'wif', key: 'config.json' } } } },
    });
    assert.deepEqual(refs.map((r) => [r.name, r.key, r.configMap === true]), [['ca', 'ca.crt', true], ['t', 'token', false], ['wif', 'config.json', true]]);
  });

  it('that name another namespace in a SecretStore are reported by field, Secret and ServiceAccount references alike', () => {
    assert.deepEqual(refsOutsideNamespace(aws('team-b'), 'team-a'), [
      'spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.namespace',
      'spec.provider.aws.auth.jwt.serviceAccountRef.namespace',
    ]);
    assert.deepEqual(refsOutsideNamespace(aws('team-a'), 'team-a'), [], 'its own namespace, spelled out, is fine');
    assert.deepEqual(refsOutsideNamespace(aws(), 'team-a'), []);
    // A Vault Enterprise namespace is not a reference.
    assert.deepEqual(refsOutsideNamespace({ vault: { server: 'https://v', namespace: 'admin/x', auth: { tokenSecretRef: { name: 't', key: 'k' } } } }, 'team-a'), []);
  });
});
