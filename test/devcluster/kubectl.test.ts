// kubectl 1.32 (pinned, extracted by `make tools`) against an in-process dev cluster:
// discovery, apply/get/describe/patch/delete, and the API server's own error messages.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { compileCrd } from '../../src/devcluster/crd/index.js';
import { startDevCluster, type DevCluster, type KubeObject } from '../../src/devcluster/dev-cluster.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KUBECTL = join(REPO, '.tools/kubectl/kubectl');
const PLANTED = 'planted-kubectl-value-7f3a';

interface Run { code: number; stdout: string; stderr: string }

describe('kubectl against the dev cluster', function () {
  this.timeout(30_000);
  let cluster: DevCluster;
  let dir: string;
  const outputs: string[] = [];

  const kubectl = (...args: string[]): Promise<Run> => new Promise((done) => {
    execFile(KUBECTL, ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), '--request-timeout=10s', ...args], { cwd: dir, timeout: 20_000 }, (err, stdout, stderr) => {
      outputs.push(stdout, stderr);
      done({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const fails = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should fail; stdout: ${r.stdout}`);
    return r.stderr;
  };
  const file = async (name: string, text: string): Promise<string> => {
    await writeFile(join(dir, name), text);
    return name;
  };

  before(async function () {
    if (!existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL}: run \`make tools\` first`);
    dir = await mkdtemp(join(tmpdir(), 'kf-kubectl-'));
    cluster = await startDevCluster({ compileCrd });
    await cluster.writeKubeconfig(join(dir, 'kubeconfig'));
    for (const f of ['externalsecret', 'secretstore', 'clustersecretstore']) {
      const docs = parseAllDocuments(await readFile(join(REPO, 'manifests/crds', `${f}.yaml`), 'utf8'));
      await cluster.apply(docs.map((d) => d.toJSON() as KubeObject).filter(Boolean));
    }
  });

  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('version reports the 1.32 server', async () => {
    const out = await ok('version', '-o', 'json');
    const v = JSON.parse(out) as { clientVersion: { minor: string }; serverVersion: { major: string; minor: string } };
    assert.equal(v.clientVersion.minor, '32');
    assert.deepEqual([v.serverVersion.major, v.serverVersion.minor], ['1', '32']);
  });

  it('api-resources lists the keyferry kinds with their short names, and built-ins', async () => {
    const out = await ok('api-resources');
    assert.match(out, /^externalsecrets\s+es,kfes\s+keyferry\.io\/v1alpha1\s+true\s+ExternalSecret$/m);
    assert.match(out, /^secretstores\s+ss,kfss\s+keyferry\.io\/v1alpha1\s+true\s+SecretStore$/m);
    assert.match(out, /^clustersecretstores\s+css,kfcss\s+keyferry\.io\/v1alpha1\s+false\s+ClusterSecretStore$/m);
    assert.match(out, /^secrets\s+v1\s+true\s+Secret$/m);
    const keyferry = await ok('api-resources', '--api-group=keyferry.io', '-o', 'name');
    assert.deepEqual(keyferry.trim().split('\n').sort(), ['clustersecretstores.keyferry.io', 'externalsecrets.keyferry.io', 'secretstores.keyferry.io']);
  });

  it('discovery is aggregated: one request each to /api and /apis, none per group-version', async () => {
    const r = await kubectl('api-resources', '-v=6', '--cache-dir', join(dir, 'fresh-cache'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /GET http:\/\/127\.0\.0\.1:\d+\/api\?timeout=\S+ 200 OK/);
    assert.match(r.stderr, /GET http:\/\/127\.0\.0\.1:\d+\/apis\?timeout=\S+ 200 OK/);
    assert.doesNotMatch(r.stderr, /\/apis\/keyferry\.io\/v1alpha1/);
  });

  it('Secret: apply, get (Type/Data columns), describe without values, immutable patch refused, AlreadyExists, delete', async () => {
    // `data`, not `stringData`: kubectl apply copies the manifest into the last-applied annotation.
    const name = await file('secret.yaml', [
      'apiVersion: v1', 'kind: Secret', 'metadata: {name: app-creds, namespace: default}', 'immutable: true',
      `data: {password: ${Buffer.from(PLANTED).toString('base64')}, user: YWRtaW4=}`, '',
    ].join('\n'));
    assert.match(await ok('apply', '-f', name), /secret\/app-creds created/);
    assert.match(await ok('apply', '-f', name), /secret\/app-creds (unchanged|configured)/);

    const table = await ok('get', 'secret', 'app-creds');
    assert.match(table, /^NAME\s+TYPE\s+DATA\s+AGE$/m);
    assert.match(table, /^app-creds\s+Opaque\s+2\s+\d+s$/m);
    const json = JSON.parse(await ok('get', 'secret', 'app-creds', '-o', 'json')) as KubeObject & { data: Record<string, string> };
    assert.equal(Buffer.from(json.data.password, 'base64').toString(), PLANTED);

    const described = await ok('describe', 'secret', 'app-creds');
    assert.match(described, /^password:\s+26 bytes$/m);
    assert.ok(!described.includes(PLANTED));

    const patchErr = await fails('patch', 'secret', 'app-creds', '-p', '{"data":{"password":"eA=="}}');
    assert.match(patchErr, /The Secret "app-creds" is invalid: data: Forbidden: field is immutable when `immutable` is set/);
    assert.ok(!patchErr.includes(PLANTED));

    const createErr = await fails('create', '-f', name);
    assert.match(createErr, /Error from server \(AlreadyExists\).*secrets "app-creds" already exists/);

    assert.match(await ok('delete', '-f', name), /secret "app-creds" deleted/);
    assert.match(await fails('get', 'secret', 'app-creds'), /Error from server \(NotFound\): secrets "app-creds" not found/);
  });

  it('ExternalSecret: apply with schema defaults, get via short name with printer columns, describe, delete', async () => {
    const name = await file('es.yaml', [
      'apiVersion: keyferry.io/v1alpha1', 'kind: ExternalSecret', 'metadata: {name: db, namespace: default}',
      'spec:', '  secretStoreRef: {name: fake-store}', '  target: {name: db}', '  unknownField: pruned',
      '  data:', '  - secretKey: password', '    remoteRef: {key: db/password}', '',
    ].join('\n'));
    // Server-side field validation warns about (and the server prunes) the unknown field.
    const applied = await kubectl('apply', '-f', name);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /externalsecret\.keyferry\.io\/db created/);

    const obj = JSON.parse(await ok('get', 'kfes', 'db', '-o', 'json')) as { spec: Record<string, unknown> };
    assert.equal(obj.spec.refreshInterval, '1h');
    assert.equal(obj.spec.unknownField, undefined);

    // Status as the operator would write it, to exercise the filtered Status column.
    await cluster.apply({
      ...cluster.get('keyferry.io/v1alpha1', 'ExternalSecret', 'db', 'default')!,
      status: { currentSecretName: 'db-0123456789', conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'synced', lastTransitionTime: new Date().toISOString() }] },
    });
    const table = await ok('get', 'es');
    assert.match(table, /^NAME\s+STORE\s+REFRESH\s+STATUS\s+CURRENT\s+AGE$/m);
    assert.match(table, /^db\s+fake-store\s+1h\s+SecretSynced\s+db-0123456789\s+\d+s$/m);

    const described = await ok('describe', 'externalsecret', 'db');
    assert.match(described, /^Name:\s+db$/m);
    assert.match(described, /Refresh Interval:\s+1h/);
    assert.match(described, /Reason:\s+SecretSynced/);

    assert.match(await ok('delete', '-f', name), /externalsecret\.keyferry\.io "db" deleted/);
    assert.match(await ok('get', 'externalsecrets', '-A'), /^$/);
  });

  it('refuses an ExternalSecret with a bad duration and a SecretStore with two providers, naming the field', async () => {
    const es = await file('bad-es.yaml', [
      'apiVersion: keyferry.io/v1alpha1', 'kind: ExternalSecret', 'metadata: {name: bad, namespace: default}',
      'spec:', '  refreshInterval: soon', '  secretStoreRef: {name: s}', '  target: {name: bad}',
      '  data:', '  - secretKey: k', '    remoteRef: {key: k}', '',
    ].join('\n'));
    const esErr = await fails('apply', '-f', es);
    assert.match(esErr, /The ExternalSecret "bad" is invalid: spec\.refreshInterval: Invalid value: .*Go duration/);

    const ss = await file('two-providers.yaml', [
      'apiVersion: keyferry.io/v1alpha1', 'kind: SecretStore', 'metadata: {name: two, namespace: default}',
      'spec:', '  provider:', '    fake: {}', '    aws: {region: eu-west-1}', '',
    ].join('\n'));
    const ssErr = await fails('apply', '-f', ss);
    assert.match(ssErr, /The SecretStore "two" is invalid: spec\.provider: Invalid value: .*exactly one of/);
    assert.equal(cluster.list('keyferry.io/v1alpha1', 'SecretStore').length, 0);
    assert.equal(cluster.list('keyferry.io/v1alpha1', 'ExternalSecret').length, 0);
  });

  it('refuses a broken CustomResourceDefinition with the problems named', async () => {
    const crd = await file('bad-crd.yaml', [
      'apiVersion: apiextensions.k8s.io/v1', 'kind: CustomResourceDefinition', 'metadata: {name: gizmos.test.keyferry.io}',
      'spec:', '  group: test.keyferry.io', '  scope: Regional', '  names: {kind: Gizmo, plural: gizmos}',
      '  versions:', '  - name: v1', '    served: true', '    storage: true', '    schema:', '      openAPIV3Schema:', '        type: object', '',
    ].join('\n'));
    const err = await fails('apply', '-f', crd);
    assert.match(err, /The CustomResourceDefinition "gizmos\.test\.keyferry\.io" is invalid: spec\.scope: Unsupported value: "Regional"/);
  });

  it('explain reads the CRD schemas from OpenAPI v3', async () => {
    const field = await ok('explain', 'externalsecret.spec.refreshInterval');
    assert.match(field, /KIND:\s+ExternalSecret/);
    assert.match(field, /FIELD: refreshInterval <string>/);
    assert.match(field, /Go duration/);
    const top = await ok('explain', 'ss.spec.provider');
    assert.match(top, /aws\s+<Object>/);
    assert.match(await ok('explain', 'es.metadata.name'), /FIELD: name <string>/);
  });

  it('never prints a planted secret value except where asked for with -o json', () => {
    assert.equal(outputs.filter((o) => o.includes(PLANTED)).length, 0);
    const encoded = Buffer.from(PLANTED).toString('base64');
    assert.equal(outputs.filter((o) => o.includes(encoded)).length, 1, 'only the explicit `get -o json` output carries the value');
  });
});
