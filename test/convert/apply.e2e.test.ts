// The converted corpus on a cluster: the fake provider's ESO examples, and those of AWS, Vault,
// 1Password, Azure and Google Cloud (against the local servers that speak their protocols), converted by `keyferry convert`, are accepted by the API
// server, reach Ready under the operator and write the Secret data ESO documents for them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadKindSchemas } from '../../src/convert/crd-schemas.js';
import { convertPaths } from '../../src/convert/convert-files.js';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';
import { AwsTestServer } from '../support/aws/aws-server.js';
import { VaultTestServer } from '../support/vault/vault-server.js';
import { ConnectServer } from '../support/onepassword/connect-server.js';
import { startAzureEnvironment, type AzureEnvironment } from '../support/azure/azure-environment.js';
import { FakeSecretManagerServer } from '../support/gcp/secret-manager-server.js';
import { FakeGoogleTokenServer } from '../support/gcp/token-server.js';
import { createLoopbackCertificate } from '../support/vault/loopback-certificate.js';
import { API, decoded, eventually, forEachCluster, namespace, readyOf, startClusterFixture, type ClusterFixture, type KubeObject } from '../e2e/fixture.js';

const root = join(import.meta.dirname, '..', '..');
const corpus = join(root, 'test', 'convert', 'corpus');

function converted(files: string[]): KubeObject[] {
  const run = convertPaths(files.map((f) => join(corpus, f)), {
    schemas: loadKindSchemas(join(root, 'manifests', 'crds')), mode: { kind: 'stdout' }, cwd: root, alias: false, readStdin: () => '',
  });
  assert.equal(run.refused, 0);
  return run.outputs.flatMap((o) => parseAllDocuments(o.text).map((d) => d.toJS() as KubeObject));
}

forEachCluster('keyferry convert: the converted corpus syncs', (kind) => {
  let fx: ClusterFixture;
  let op: OperatorProcess | undefined;
  let aws: AwsTestServer | undefined;
  let vault: VaultTestServer | undefined;
  let connect: ConnectServer | undefined;
  let azure: AzureEnvironment | undefined;
  let gcpTokens: FakeGoogleTokenServer | undefined;
  let gcpSm: FakeSecretManagerServer | undefined;

  before(async function () {
    this.timeout(180_000);
    fx = await startClusterFixture(kind);
    // Nothing of the test machine's own Vault reaches the operator.
    op = await startOperatorProcess({ ...fx.operator, env: { ...fx.operator.env, VAULT_TOKEN: '', VAULT_ADDR: '', VAULT_NAMESPACE: '' } });
  });
  after(async function () {
    this.timeout(180_000);
    await op?.kill();
    await aws?.close();
    await vault?.close();
    await connect?.close();
    await azure?.close();
    await gcpSm?.close();
    await gcpTokens?.close();
    // The real cluster's default namespace outlives the fixture: the credentials put there go now.
    for (const name of ['vault-token', 'azure-secret-sp', 'gcpsm-secret']) await fx?.cluster.delete('v1', 'Secret', name, 'default');
    await fx?.close();
  });

  const synced = async (name: string, ns: string): Promise<KubeObject> => {
    let last: unknown;
    const es = await eventually(async () => {
      const obj = await fx.cluster.get(API, 'ExternalSecret', name, ns);
      last = readyOf(obj);
      return readyOf(obj)?.status === 'True' ? obj : undefined;
    }, 30_000 * fx.slow, `ExternalSecret ${ns}/${name} Ready`).catch((e: Error) => {
      throw new Error(`${e.message} (last Ready condition: ${JSON.stringify(last)})`);
    });
    const current = (es.status as { currentSecretName: string }).currentSecretName;
    return (await fx.cluster.get('v1', 'Secret', current, ns))!;
  };

  it('ExternalSecret, SecretStore, ClusterSecretStore and ClusterExternalSecret reach Ready with ESO\'s documented data', async function () {
    this.timeout(90_000);
    const { cluster } = fx;
    const objects = converted(['fake/fake.yaml', 'fake/fake-v1beta1.yaml', 'cluster/cluster.yaml']);
    assert.ok(objects.every((o) => o.apiVersion === API));
    await cluster.apply([namespace('default'), namespace('team-cool', { cool: 'label' }), ...objects]);

    // ESO's fake provider page: foo_bar from /foo/bar at v1, and the keys of /foo/baz extracted.
    const example = await synced('example', 'default');
    assert.match(String(example.metadata?.name), /^secret-to-be-created-[0-9a-f]{10}$/);
    assert.equal(decoded(example, 'foo_bar'), 'HELLO1');
    assert.equal(decoded(example, 'john'), 'doe');

    // Keys rewritten to db_*, then a template (engine v2) that uses them; only its keys are written.
    const db = await synced('db', 'default');
    assert.deepEqual(Object.keys(db.data as object), ['url']);
    assert.equal(decoded(db, 'url'), 'postgres://admin:s3cr3t@db:5432/app');
    assert.equal((db.metadata?.labels as Record<string, string>).app, 'db');

    // The ClusterExternalSecret writes its ExternalSecret into the namespace it selects, which the
    // ClusterSecretStore's anchored pattern admits.
    const token = await synced('hello-world-es', 'team-cool');
    assert.equal(decoded(token, 'token'), 'abc123');
    assert.equal((await cluster.get(API, 'ExternalSecret', 'hello-world-es', 'team-cool'))?.metadata?.labels?.team, 'platform');
  });

  it('the AWS example (static keys, data with property, metadataPolicy Fetch, find by tags with a rewrite) reads the local Secrets Manager', async function () {
    this.timeout(90_000);
    aws = new AwsTestServer({ users: [{ accessKeyId: 'AKIAKEYFERRYCONVERT1', secretAccessKey: 'convert-e2e-secret-access-key-000000000' }] });
    await aws.start();
    aws.store.put('friends', JSON.stringify({ best: 'rachel' }), { tags: { team: 'central-perk' } });
    aws.store.put('prod/api-key', 'k-123', { tags: { environment: 'prod' } });
    aws.store.put('dev/api-key', 'k-dev', { tags: { environment: 'dev' } });
    const objects = converted(['aws/secretsmanager.yaml']);
    // The one change to the converted store: keyferry's endpoint override, to reach the local server.
    const store = objects.find((o) => o.kind === 'SecretStore')!;
    ((store.spec as { provider: { aws: Record<string, unknown> } }).provider.aws).endpoint = aws.url;
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await fx.cluster.apply([
      namespace('team-a'),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'awssm-secret', namespace: 'team-a' }, data: { 'access-key': b64('AKIAKEYFERRYCONVERT1'), 'secret-access-key': b64('convert-e2e-secret-access-key-000000000') } },
      ...objects,
    ]);
    const secret = await synced('example', 'team-a');
    assert.match(String(secret.metadata?.name), /^secret-to-be-created-[0-9a-f]{10}$/);
    assert.deepEqual(Object.keys(secret.data as object).sort(), ['api-key', 'password', 'team']);
    assert.equal(decoded(secret, 'password'), 'rachel');
    assert.equal(decoded(secret, 'team'), 'central-perk', 'the tag, read with DescribeSecret');
    assert.equal(decoded(secret, 'api-key'), 'k-123');
  });

  it('the Vault example (KV v2, token auth, a property and an extract) reads the local Vault', async function () {
    this.timeout(90_000);
    vault = new VaultTestServer();
    await vault.start();
    vault.enableKv('secret', 2).write('foo', { 'my-value': 's3cr3t', other: 'x' });
    const objects = converted(['vault/vault.yaml']);
    // The one change to the converted store: the local server's address.
    const store = objects.find((o) => o.kind === 'SecretStore')!;
    ((store.spec as { provider: { vault: Record<string, unknown> } }).provider.vault).server = vault.url;
    await fx.cluster.apply([
      namespace('default'),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-token', namespace: 'default' }, data: { token: Buffer.from(vault.createToken()).toString('base64') } },
      ...objects,
    ]);
    const secret = await synced('vault-example', 'default');
    assert.match(String(secret.metadata?.name), /^example-sync-[0-9a-f]{10}$/);
    assert.deepEqual(Object.keys(secret.data as object).sort(), ['foobar', 'my-value', 'other']);
    assert.equal(decoded(secret, 'foobar'), 's3cr3t');
    assert.equal(decoded(secret, 'other'), 'x');
  });

  it('the 1Password example (a ClusterSecretStore over two vaults, a LOGIN item\'s field) reads the local Connect server', async function () {
    this.timeout(90_000);
    connect = await ConnectServer.start();
    const staging = connect.addVault('staging');
    const production = connect.addVault('production');
    const token = 'convert-e2e-connect-token-0123456789';
    connect.addToken(token, [staging, production]);
    connect.addItem(production, { title: 'my-login', category: 'LOGIN', fields: [{ label: 'username', value: 'ross', purpose: 'USERNAME' }, { label: 'password', value: 'pivot-pivot', purpose: 'PASSWORD' }] });
    const objects = converted(['onepassword/onepassword.yaml']);
    // The one change to the converted store: the local server's address.
    const store = objects.find((o) => o.kind === 'ClusterSecretStore')!;
    ((store.spec as { provider: { onepassword: Record<string, unknown> } }).provider.onepassword).connectHost = connect.url;
    await fx.cluster.apply([
      namespace('default'),
      namespace('external-secrets'),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'onepassword-connect-token', namespace: 'external-secrets' }, data: { token: Buffer.from(token).toString('base64') } },
      ...objects,
    ]);
    const secret = await synced('login', 'default');
    assert.match(String(secret.metadata?.name), /^login-[0-9a-f]{10}$/);
    assert.deepEqual(Object.keys(secret.data as object), ['password']);
    assert.equal(decoded(secret, 'password'), 'pivot-pivot');
  });

  it('the Azure example (a service principal, a kubernetes.io/tls template with b64dec) reads the local Key Vault', async function () {
    this.timeout(90_000);
    azure = await startAzureEnvironment({ tenantId: 'd3bc2180-cb1e-40f7-b59a-154105743342' });
    azure.entra.register({ clientId: 'convert-e2e-app', clientSecret: 'convert-e2e-client-secret' });
    azure.vault.grant('convert-e2e-app', ['get', 'list']);
    azure.vault.setSecret('my-tls-cert', Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64'));
    azure.vault.setSecret('my-tls-key', Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n').toString('base64'));
    const objects = converted(['azurekv/azurekv.yaml']);
    // The changes to the converted store: keyferry's overrides to reach the local servers.
    const store = objects.find((o) => o.kind === 'SecretStore')!;
    Object.assign((store.spec as { provider: { azurekv: Record<string, unknown> } }).provider.azurekv, {
      vaultUrl: azure.vault.vaultUrl, authorityHost: azure.entra.authorityHost, caBundle: azure.caBundle,
    });
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    await fx.cluster.apply([
      namespace('default'),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'azure-secret-sp', namespace: 'default' }, data: { ClientID: b64('convert-e2e-app'), ClientSecret: b64('convert-e2e-client-secret') } },
      ...objects,
    ]);
    const secret = await synced('tls-cert', 'default');
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.deepEqual(Object.keys(secret.data as object).sort(), ['tls.crt', 'tls.key']);
    assert.equal(decoded(secret, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    assert.equal(decoded(secret, 'tls.key'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  });

  it('the Google Cloud example (a service account key, two properties of one secret, a label by metadataPolicy Fetch) reads the local Secret Manager', async function () {
    this.timeout(90_000);
    const cert = await createLoopbackCertificate();
    gcpTokens = new FakeGoogleTokenServer();
    await gcpTokens.start();
    const key = gcpTokens.createServiceAccountKey('eso@my-project.iam.gserviceaccount.com', 'my-project');
    gcpSm = new FakeSecretManagerServer({ tls: { key: cert.key, cert: cert.cert }, acceptToken: (t) => gcpTokens!.acceptToken(t) });
    await gcpSm.start();
    gcpSm.addSecret('projects/my-project/secrets/database_credentials', { labels: { owner: 'monica' } });
    gcpSm.addVersion('projects/my-project/secrets/database_credentials', JSON.stringify({ username: 'chandler', password: 'could-i-be' }));
    const objects = converted(['gcpsm/gcpsm.yaml']);
    // The changes to the converted store: keyferry's overrides to reach the local server.
    const store = objects.find((o) => o.kind === 'SecretStore')!;
    Object.assign((store.spec as { provider: { gcpsm: Record<string, unknown> } }).provider.gcpsm, { endpoint: `127.0.0.1:${gcpSm.port}`, caBundle: cert.caBundle });
    await fx.cluster.apply([
      namespace('default'),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gcpsm-secret', namespace: 'default' }, data: { 'secret-access-credentials': Buffer.from(JSON.stringify(key)).toString('base64') } },
      ...objects,
    ]);
    const secret = await synced('database-credentials', 'default');
    assert.deepEqual(Object.keys(secret.data as object).sort(), ['database_password', 'database_username', 'owner']);
    assert.equal(decoded(secret, 'database_username'), 'chandler');
    assert.equal(decoded(secret, 'owner'), 'monica', 'the label, read with GetSecret');
    assert.equal(decoded(secret, 'database_password'), 'could-i-be');
  });
});
