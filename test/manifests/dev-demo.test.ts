import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kubectl = join(root, '.tools', 'kubectl', 'kubectl');

interface Es { metadata: { name: string }; status?: { currentSecretName?: string; conditions?: { type: string; status: string; reason?: string }[] } }
interface Secret { immutable?: boolean; data?: Record<string, string> }

// The `make dev` demo (manifests/examples/dev/) applied with kubectl to the dev cluster,
// with the operator running: every ExternalSecret turns Ready with the data it describes.
describe('dev demo (manifests/examples/dev)', function () {
  this.timeout(90_000);
  let cluster: DevCluster | undefined;
  let operator: OperatorProcess | undefined;
  let dir = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyferry-demo-'));
    cluster = await startDevCluster({});
    await cluster.writeKubeconfig(join(dir, 'kubeconfig'));
  });

  after(async () => {
    await operator?.stop().catch(() => operator?.kill());
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const k = async (...args: string[]) => {
    assert.ok(existsSync(kubectl), 'the pinned kubectl is missing: run `make tools`');
    return (await promisify(execFile)(kubectl, ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { cwd: root, timeout: 30_000 })).stdout;
  };

  it('applies with kubectl and syncs every ExternalSecret', async () => {
    await k('apply', '-f', 'manifests/crds/');
    const applied = await k('apply', '-f', 'manifests/examples/dev/');
    for (const what of ['namespace/demo', 'secretstore.keyferry.io/demo-store', 'clustersecretstore.keyferry.io/shared-store', 'externalsecret.keyferry.io/db']) assert.match(applied, new RegExp(`${what} created`));

    operator = await startOperatorProcess({ kubeconfigPath: join(dir, 'kubeconfig'), logLevel: 'info' });
    const names = ['db', 'app-config', 'api-client', 'registry'];
    const deadline = Date.now() + 45_000;
    let ready: Es[] = [];
    while (Date.now() < deadline) {
      ready = (cluster!.list('keyferry.io/v1alpha1', 'ExternalSecret', 'demo') as unknown as Es[])
        .filter((es) => es.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True' && c.reason === 'SecretSynced'));
      if (ready.length === names.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(ready.map((es) => es.metadata.name).sort(), [...names].sort());

    const data = (es: string): Record<string, string> => {
      const current = (cluster!.get('keyferry.io/v1alpha1', 'ExternalSecret', es, 'demo') as unknown as Es).status!.currentSecretName!;
      assert.match(current, new RegExp(`^${es}-[0-9a-f]{10}$`));
      const secret = cluster!.get('v1', 'Secret', current, 'demo') as unknown as Secret;
      assert.equal(secret.immutable, true);
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, v]) => [key, Buffer.from(v, 'base64').toString('utf8')]));
    };
    assert.deepEqual(data('db'), { username: 'app', password: 'demo-db-password-v1' });
    assert.deepEqual(Object.keys(data('app-config')).sort(), ['FEATURE_FLAGS', 'LOG_LEVEL', 'REGION']);
    assert.equal(data('api-client').authorization, 'Bearer demo-api-key-v1');
    assert.deepEqual(data('registry'), { token: 'demo-registry-token-v1' });

    const table = await k('get', 'es', '-n', 'demo');
    assert.match(table, /^NAME\s+STORE\s+REFRESH\s+STATUS\s+CURRENT\s+AGE/);
  });

  it('has the Deployment follow a rotation made with the commands README.md gives', async () => {
    // README's commands, as written, pointed at this cluster's kubeconfig.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const lines = readme.split('\n').filter((l) => l.startsWith('.tools/kubectl/kubectl --kubeconfig .keyferry/kubeconfig -n demo '));
    const rotate = lines.find((l) => l.includes('patch secretstore demo-store'));
    const show = lines.find((l) => l.includes('get deployment web'));
    assert.ok(rotate && show, 'README gives the rotation and the command that shows the reference');
    const sh = async (line: string) => (await promisify(execFile)('bash', ['-c', line.replace('.keyferry/kubeconfig', join(dir, 'kubeconfig'))], { cwd: root, timeout: 30_000 })).stdout.trim();
    const current = () => (cluster!.get('keyferry.io/v1alpha1', 'ExternalSecret', 'db', 'demo') as unknown as Es).status?.currentSecretName;
    const until = async (probe: () => Promise<boolean> | boolean, what: string) => {
      const deadline = Date.now() + 30_000;
      while (!(await probe())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const before = current()!;
    await until(async () => (await sh(show)) === before, 'web to reference the current version of db');
    await sh(rotate);
    await until(() => current() !== before, 'a new version of db');
    await until(async () => (await sh(show)) === current(), 'web to follow the new version');
    const secret = cluster!.get('v1', 'Secret', current()!, 'demo') as unknown as Secret;
    assert.equal(Buffer.from(secret.data!.password!, 'base64').toString(), 'demo-db-password-v2');
    assert.ok(cluster!.get('v1', 'Secret', before, 'demo'), 'the previous version is kept (retain 2)');
  });
});
