// The AWS provider over HTTPS: Secrets Manager and STS endpoints are verified against the
// store's caBundle, and refused without it.
import assert from 'node:assert/strict';
import { createAwsProvider, type AwsConfig } from '../../../providers/aws/index.js';
import { isConfigError, type ProviderClient } from '../../../providers/contract/index.js';
import { AwsTestServer } from '../../support/aws/aws-server.js';
import { createLoopbackCertificate, type LoopbackCertificate } from '../../support/vault/loopback-certificate.js';
import { makeTestDeps } from '../../support/aws/provider-deps.js';

describe('aws provider over TLS (wire)', () => {
  const provider = createAwsProvider({ requestTimeoutMs: 3000 });
  const accessKeyId = 'AKIAKEYFERRYTLSTEST1';
  const secretAccessKey = 'tlsSecretAccessKey/0123456789abcdefghijk';
  const role = 'arn:aws:iam::123456789012:role/over-tls';
  let tls: LoopbackCertificate;
  let server: AwsTestServer;
  const clients: ProviderClient[] = [];

  before(async () => {
    tls = await createLoopbackCertificate();
    server = new AwsTestServer({ tls, users: [{ accessKeyId, secretAccessKey }], roles: [{ arn: role, trustedAccessKeyIds: [accessKeyId] }] });
    await server.start();
    server.store.put('app', 'over-tls');
  });

  after(async () => {
    for (const c of clients) await c.close();
    await server.close();
  });

  const config = (extra: Partial<AwsConfig>): AwsConfig => ({
    region: 'us-east-1', endpoint: server.url, stsEndpoint: server.url, role,
    auth: { secretRef: { accessKeyIDSecretRef: { name: 'k', key: 'id' }, secretAccessKeySecretRef: { name: 'k', key: 'secret' } } },
    ...extra,
  });
  const connect = async (c: AwsConfig) => {
    const client = await provider.connect(c, makeTestDeps({ secrets: { 'team-a/k': { id: accessKeyId, secret: secretAccessKey } } }));
    clients.push(client);
    return client;
  };

  it('verifies both endpoints against caBundle (AssumeRole over STS, then GetSecretValue)', async () => {
    assert.match(server.url, /^https:/);
    const client = await connect(config({ caBundle: tls.caBundle }));
    assert.deepEqual(await client.validate(), { warnings: [] });
    assert.equal((await client.fetch({ key: 'app' })).value.toString(), 'over-tls');
    assert.equal(server.calls.AssumeRole, 1);
  });

  it('refuses the endpoint without the CA bundle, as a config error naming the TLS failure', async () => {
    const client = await connect(config({ role: undefined }));
    await assert.rejects(client.fetch({ key: 'app' }), (e) => isConfigError(e) && (e as { reason: string }).reason === 'TLSVerificationFailed');
  });
});
