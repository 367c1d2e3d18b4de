// Alias mode grants the operator update on Secrets, which RBAC can only grant cluster-wide;
// the ValidatingAdmissionPolicy shipped with it must narrow that to keyferry's alias Secrets.
// Played on the real kube-apiserver, as the operator's own ServiceAccount.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2eClusters } from '../e2e/fixture.js';
import { kubectl, sharedControlPlane, type InstalledControlPlane } from '../support/control-plane/shared-control-plane.js';

const aliasMode = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'manifests', 'optional', 'alias-mode');

describe('alias mode: the operator may update only its alias Secrets [real]', function () {
  if (!e2eClusters().includes('real')) return;
  this.timeout(300_000);
  let cp: InstalledControlPlane;
  const ns = `alias-vap-${randomBytes(3).toString('hex')}`;
  let appliedHere = false;
  const admin = (args: string[], input?: string) => kubectl(cp.kubeconfigPath, args, input);
  const refusal = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
  type SecretJson = { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; data: Record<string, string> };
  /** An update as the operator makes it (alias mode has update, not patch): read, change, replace. */
  const update = async (name: string, change: (s: SecretJson) => void, dryRun = false) => {
    const secret = JSON.parse(await kubectl(cp.operatorKubeconfigPath, ['get', 'secret', name, '-n', ns, '-o', 'json'])) as SecretJson;
    change(secret);
    await kubectl(cp.operatorKubeconfigPath, ['replace', '-f', '-', ...(dryRun ? ['--dry-run=server'] : [])], JSON.stringify(secret));
  };
  const setPassword = (value: string) => (s: SecretJson) => { s.data.password = Buffer.from(value).toString('base64'); };

  before(async () => {
    cp = await sharedControlPlane();
    appliedHere = (await refusal(admin(['get', 'validatingadmissionpolicy', 'keyferry-alias-secrets']))) !== '';
    await admin(['apply', '-k', aliasMode]);
    await admin(['create', 'namespace', ns]);
    await admin(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-password', namespace: ns }, stringData: { password: 'tenant-value' } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app', namespace: ns, labels: { 'keyferry.io/managed': 'true', 'keyferry.io/alias': 'true' }, annotations: { 'keyferry.io/alias-of': 'app' } }, stringData: { password: 'v1' } },
      ],
    }));
    // The policy takes effect once the API server has loaded it: wait until a dry run is refused.
    for (let i = 0; i < 120 && !/keyferry may update only/.test(await refusal(update('db-password', setPassword('probe'), true))); i++) await new Promise((r) => setTimeout(r, 500));
  });

  after(async () => {
    if (!cp) return;
    await admin(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    if (appliedHere) await admin(['delete', '-k', aliasMode, '--ignore-not-found']).catch(() => undefined);
  });

  it('refuses any other Secret (its data stays), an alias losing its labels or moving to another ExternalSecret; allows updating the alias', async () => {
    const denied = await refusal(update('db-password', setPassword('ATTACKER-CONTROLLED')));
    assert.match(denied, /ValidatingAdmissionPolicy 'keyferry-alias-secrets'.*denied request: keyferry may update only the alias Secrets it manages/);
    const kept = JSON.parse(await admin(['get', 'secret', 'db-password', '-n', ns, '-o', 'json'])) as { data: { password: string } };
    assert.equal(Buffer.from(kept.data.password, 'base64').toString(), 'tenant-value');

    await update('app', setPassword('v2'));
    const alias = JSON.parse(await admin(['get', 'secret', 'app', '-n', ns, '-o', 'json'])) as { data: { password: string } };
    assert.equal(Buffer.from(alias.data.password, 'base64').toString(), 'v2');

    assert.match(await refusal(update('app', (s) => { delete s.metadata.labels!['keyferry.io/alias']; })), /must keep the labels/);
    assert.match(await refusal(update('app', (s) => { s.metadata.annotations!['keyferry.io/alias-of'] = 'other'; })), /may not move an alias Secret/);
  });

  it('creationPolicy Merge (manifests/optional/merge-mode applies this policy): allows a Secret opted in with keyferry.io/merge-from; refuses changing that opt-in, labelling it as keyferry\'s, and a ServiceAccount token even opted in', async () => {
    await admin(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'merge-target', namespace: ns, annotations: { 'keyferry.io/merge-from': 'app' } }, stringData: { other: 'kept' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: ns } },
        { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'robot-token', namespace: ns, annotations: { 'kubernetes.io/service-account.name': 'robot', 'keyferry.io/merge-from': 'app' } } },
      ],
    }));
    await update('merge-target', setPassword('merged'));
    const merged = JSON.parse(await admin(['get', 'secret', 'merge-target', '-n', ns, '-o', 'json'])) as { data: Record<string, string> };
    assert.equal(Buffer.from(merged.data.password!, 'base64').toString(), 'merged');
    assert.match(await refusal(update('merge-target', (s) => { delete s.metadata.annotations!['keyferry.io/merge-from']; })), /may not change the keyferry.io\/merge-from annotation/);
    assert.match(await refusal(update('merge-target', (s) => { s.metadata.annotations!['keyferry.io/merge-from'] = 'other'; })), /may not change the keyferry.io\/merge-from annotation/);
    assert.match(await refusal(update('merge-target', (s) => { s.metadata.labels = { 'keyferry.io/managed': 'true' }; })), /nor label it keyferry.io\/managed/);
    // The token controller fills the token in first; an update racing it would be a conflict, not the policy.
    for (let i = 0; i < 60 && !(JSON.parse(await admin(['get', 'secret', 'robot-token', '-n', ns, '-o', 'json'])) as SecretJson).data?.token; i++) await new Promise((r) => setTimeout(r, 500));
    assert.match(await refusal(update('robot-token', setPassword('ATTACKER-CONTROLLED'))), /keyferry may update only the alias Secrets it manages .*never a ServiceAccount token/);
  });
});
