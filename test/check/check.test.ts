import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTree } from '../../src/check/check.js';
import { EXIT_CLEAN, EXIT_ERRORS, EXIT_WARNINGS, RULE_IDS, type Finding } from '../../src/check/findings.js';
import type { JsonReport } from '../../src/check/report.js';
import { runCli } from '../support/run-cli.js';

const runCheckCli = (args: string[]) => runCli('check', args);

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'check');
const clean = join(fixtures, 'clean');
const planted = join(fixtures, 'planted');
const PLANTED_VALUE = 'planted-plaintext-value-7f3a';

interface Expected {
  rule: Finding['rule'];
  severity: Finding['severity'];
  file: string;
  line: number;
  /** The Kustomization the fix changes, its file and line and the dependsOn entry; or a phrase of a text-only fix. */
  fix: { kustomization: string; file: string; line: number; dependsOn: string } | { text: RegExp };
}

/** One of each planted problem, and nothing else. */
const EXPECTED: Expected[] = [
  { rule: 'workload-secret-order', severity: 'error', file: 'apps/base/podinfo/deployment.yaml', line: 21, fix: { kustomization: 'flux-system/apps', file: 'clusters/staging/apps.yaml', line: 22, dependsOn: 'app-secrets' } },
  { rule: 'workload-secret-order', severity: 'error', file: 'apps/base/podinfo/redis.yaml', line: 23, fix: { kustomization: 'flux-system/apps', file: 'clusters/staging/apps.yaml', line: 22, dependsOn: 'app-secrets' } },
  { rule: 'workload-secret-same-layer', severity: 'warning', file: 'apps/production/debug.yaml', line: 34, fix: { text: /move ExternalSecret podinfo\/debug-token to a Kustomization of its own and add that Kustomization to the dependsOn of Kustomization flux-system\/apps/ } },
  { rule: 'plaintext-secret', severity: 'error', file: 'apps/staging/secrets/kustomization.yaml', line: 11, fix: { text: /SOPS-encrypted files/ } },
  { rule: 'dependson-unknown', severity: 'error', file: 'clusters/production/apps.yaml', line: 9, fix: { text: /remove the entry or add Kustomization flux-system\/external-dns/ } },
  { rule: 'dependson-cycle', severity: 'error', file: 'clusters/production/monitoring.yaml', line: 23, fix: { text: /remove one dependsOn entry of the cycle/ } },
  { rule: 'substitute-from-order', severity: 'error', file: 'clusters/staging/infrastructure.yaml', line: 31, fix: { text: /apply ExternalSecret flux-system\/cluster-secrets in a Kustomization that Kustomization flux-system\/infra-configs depends on/ } },
  { rule: 'crd-order', severity: 'error', file: 'infrastructure/backups/schedule.yaml', line: 1, fix: { kustomization: 'flux-system/backups', file: 'clusters/staging/backups.yaml', line: 6, dependsOn: 'infra-controllers' } },
  { rule: 'store-credential-order', severity: 'error', file: 'infrastructure/configs/aws-store.yaml', line: 12, fix: { text: /move Secret keyferry\/aws-credentials to Kustomization flux-system\/infra-configs or to a Kustomization it depends on/ } },
  { rule: 'plaintext-secret', severity: 'error', file: 'infrastructure/configs/grafana-admin.yaml', line: 7, fix: { text: /SOPS/ } },
  { rule: 'store-credential-cycle', severity: 'error', file: 'infrastructure/configs/team-store.yaml', line: 15, fix: { text: /produce Secret keyferry\/team-vault-approle without SecretStore keyferry\/team-vault/ } },
  { rule: 'dependson-unknown', severity: 'error', file: 'infrastructure/controllers/keyferry.yaml', line: 34, fix: { text: /remove the entry or add HelmRelease cert-manager\/cert-manager/ } },
  { rule: 'dependson-cycle', severity: 'error', file: 'monitoring/controllers/helm-releases.yaml', line: 31, fix: { text: /remove one dependsOn entry of the cycle, e.g. monitoring\/kube-prometheus-stack from HelmRelease monitoring\/grafana/ } },
  { rule: 'workload-secret-order', severity: 'error', file: 'monitoring/controllers/helm-releases.yaml', line: 33, fix: { kustomization: 'flux-system/monitoring-controllers', file: 'clusters/production/monitoring.yaml', line: 7, dependsOn: 'infra-configs' } },
];

function assertMatches(actual: Finding, expected: Expected): void {
  const where = `${expected.rule} at ${expected.file}:${expected.line}`;
  assert.equal(actual.rule, expected.rule, where);
  assert.equal(actual.severity, expected.severity, where);
  assert.equal(actual.file, expected.file, where);
  assert.equal(actual.line, expected.line, where);
  assert.ok(actual.fix, `${where} has a fix`);
  if ('text' in expected.fix) {
    assert.match(actual.fix.text, expected.fix.text, where);
    assert.equal(actual.fix.dependsOn, undefined, `${where}: no dependsOn fix`);
  } else {
    assert.equal(actual.fix.kustomization, expected.fix.kustomization, where);
    assert.equal(actual.fix.file, expected.fix.file, where);
    assert.equal(actual.fix.line, expected.fix.line, where);
    assert.deepEqual(actual.fix.dependsOn, { name: expected.fix.dependsOn }, where);
    assert.match(actual.fix.text, new RegExp(`add \\{name: ${expected.fix.dependsOn}\\} to spec\\.dependsOn of Kustomization ${expected.fix.kustomization}`), where);
  }
}

describe('keyferry check: the bootstrap graph of a Flux tree', () => {
  it('finds nothing in the clean fleet (staging and production, infrastructure, controllers and apps)', () => {
    assert.deepEqual(checkTree(['.'], { sources: ['flux-system'], cwd: clean }), []);
  });

  it('finds each planted problem with its rule, file, line and fix, and nothing else', () => {
    const findings = checkTree(['.'], { sources: ['flux-system'], cwd: planted });
    assert.deepEqual(findings.map((f) => `${f.rule} ${f.file}:${f.line}`), EXPECTED.map((e) => `${e.rule} ${e.file}:${e.line}`));
    findings.forEach((f, i) => assertMatches(f, EXPECTED[i]!));
    assert.deepEqual(new Set(findings.map((f) => f.rule)), new Set(RULE_IDS.filter((r) => r !== 'unreadable' && r !== 'path-not-found')), 'every ordering and plain-text rule is planted once');
  });

  it('explains each ordering finding with the producer and the layers involved', () => {
    const byRule = new Map(checkTree(['.'], { sources: ['flux-system'], cwd: planted }).map((f) => [`${f.rule}:${f.file}`, f.message]));
    assert.match(byRule.get('crd-order:infrastructure/backups/schedule.yaml')!, /Schedule keyferry\/weekly is applied by Kustomization flux-system\/backups before its CustomResourceDefinition schedules\.backup\.example\.com \(infrastructure\/controllers\/backup-crd\.yaml:1, Kustomization flux-system\/infra-controllers\)/);
    assert.match(byRule.get('workload-secret-order:apps/base/podinfo/deployment.yaml')!, /Deployment podinfo\/podinfo .* needs Secret podinfo\/podinfo-db \(envFrom\), produced by ExternalSecret podinfo\/podinfo-db \(apps\/staging\/secrets\/external-secrets\.yaml:1\) in Kustomization flux-system\/app-secrets/);
    assert.match(byRule.get('workload-secret-order:apps/base/podinfo/redis.yaml')!, /HelmRelease podinfo\/redis .* Secret podinfo\/redis-values \(valuesFrom\)/);
    assert.match(byRule.get('dependson-cycle:clusters/production/monitoring.yaml')!, /dependsOn cycle: monitoring-configs → monitoring-controllers → monitoring-configs/);
    assert.match(byRule.get('dependson-unknown:infrastructure/controllers/keyferry.yaml')!, /^HelmRelease keyferry\/keyferry depends on HelmRelease cert-manager\/cert-manager, which is not in the tree; helm-controller waits for it forever$/);
    assert.match(byRule.get('dependson-cycle:monitoring/controllers/helm-releases.yaml')!, /^dependsOn cycle of HelmReleases: monitoring\/grafana → monitoring\/kube-prometheus-stack → monitoring\/grafana; helm-controller installs none of them$/);
    assert.match(byRule.get('workload-secret-order:monitoring/controllers/helm-releases.yaml')!, /HelmRelease monitoring\/grafana .* needs Secret monitoring\/grafana-oauth \(valuesFrom\), produced by ClusterExternalSecret grafana-oauth \(infrastructure\/configs\/grafana-oauth\.yaml:2\) in Kustomization flux-system\/infra-configs/);
    assert.match(byRule.get('plaintext-secret:apps/staging/secrets/kustomization.yaml')!, /^secretGenerator podinfo-api reads its values from a file in plain text \(envs: api\.env\)$/);
    assert.match(byRule.get('store-credential-order:infrastructure/configs/aws-store.yaml')!, /ClusterSecretStore aws .* Secret keyferry\/aws-credentials .* in Kustomization flux-system\/cloud-credentials, not applied before it/);
  });

  it('names a plain-text Secret and its place but never its keys or values, in text and JSON', async () => {
    for (const output of ['text', 'json']) {
      const { out } = await runCheckCli(['--output', output, planted]);
      assert.match(out, /grafana-admin/);
      assert.ok(!out.includes(PLANTED_VALUE), `${output} output holds a value`);
      assert.ok(!out.includes('admin-password'), `${output} output names a key`);
      assert.ok(!out.includes('ENC[AES256_GCM'), `${output} output quotes SOPS data`);
    }
  });

  it('prints JSON with every finding, the counts and the exit code', async () => {
    const { out, code } = await runCheckCli(['--output', 'json', planted]);
    const report = JSON.parse(out) as JsonReport;
    assert.deepEqual(Object.keys(report).sort(), ['errors', 'exitCode', 'findings', 'warnings']);
    assert.equal(report.errors, EXPECTED.filter((e) => e.severity === 'error').length);
    assert.equal(report.warnings, 1);
    assert.equal(report.exitCode, EXIT_ERRORS);
    assert.equal(code, EXIT_ERRORS);
    const prefix = relative(process.cwd(), planted);
    for (const f of report.findings) {
      assert.deepEqual(Object.keys(f).sort(), ['file', 'fix', 'line', 'message', 'rule', 'severity']);
      assert.ok(f.file.startsWith(`${prefix}/`), f.file);
    }
    const fix = report.findings.find((f) => f.rule === 'crd-order')!.fix!;
    assert.deepEqual(fix, { text: fix.text, kustomization: 'flux-system/backups', file: `${prefix}/clusters/staging/backups.yaml`, line: 6, dependsOn: { name: 'infra-controllers' } });
    const clean = JSON.parse((await runCheckCli(['--output', 'json', join(fixtures, 'clean')])).out) as JsonReport;
    assert.deepEqual(clean, { findings: [], errors: 0, warnings: 0, exitCode: EXIT_CLEAN });
  });

  it('exits 0 on a clean tree, 1 with warnings only, 2 with an error', async () => {
    const cleanRun = await runCheckCli([clean]);
    assert.equal(cleanRun.code, EXIT_CLEAN);
    assert.match(cleanRun.out, /^no problems found\n$/);
    const warnings = await runCheckCli([join(planted, 'apps', 'production')]);
    assert.equal(warnings.code, EXIT_WARNINGS);
    assert.match(warnings.out, /debug\.yaml:34: warning \[workload-secret-same-layer\]/);
    assert.match(warnings.out, /0 errors, 1 warning\n$/);
    const errors = await runCheckCli([planted]);
    assert.equal(errors.code, EXIT_ERRORS);
    assert.match(errors.out, /grafana-admin\.yaml:7: error \[plaintext-secret\] Secret keyferry\/grafana-admin holds its values in plain text \(stringData\)\n {2}fix: /);
    assert.match(errors.out, /13 errors, 1 warning\n$/);
  });

  it('refuses an unknown output format and reads only the Flux sources it is told are this tree', async () => {
    const bad = await runCheckCli(['--output', 'yaml', clean]);
    assert.notEqual(bad.code, EXIT_CLEAN);
    assert.match(bad.err, /expected "text" or "json", got "yaml"/);
    const other = checkTree(['.'], { sources: ['another-repo'], cwd: planted });
    assert.deepEqual(other.map((f) => f.rule).sort(), ['dependson-cycle', 'dependson-unknown', 'plaintext-secret', 'plaintext-secret'], 'only findings that need no layer contents remain');
  });
});
