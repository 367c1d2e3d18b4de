import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { checkTree } from '../../src/check/check.js';
import { EXIT_ERRORS, type Finding } from '../../src/check/findings.js';

/** Writes a tree of files (path → text) under a fresh directory and returns the directory. */
function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyferry-check-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function flux(name: string, path: string, dependsOn: (string | { name: string; namespace: string })[] = [], namespace = 'flux-system'): string {
  const deps = dependsOn.length === 0 ? '' : `  dependsOn:\n${dependsOn.map((d) => (typeof d === 'string' ? `    - name: ${d}\n` : `    - name: ${d.name}\n      namespace: ${d.namespace}\n`)).join('')}`;
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n${deps}  interval: 10m\n  path: ${path}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;
}

const KEYFERRY_RELEASE = 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: keyferry\n  namespace: keyferry\nspec:\n  chart:\n    spec:\n      chart: keyferry\n';

function es(name: string, namespace: string, target = name): string {
  return `apiVersion: keyferry.io/v1alpha1\nkind: ExternalSecret\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n    name: vault\n  target:\n    name: ${target}\n`;
}

const dirs: string[] = [];
function check(files: Record<string, string>, sources = ['flux-system']): Finding[] {
  const dir = writeTree(files);
  dirs.push(dir);
  return checkTree(['.'], { sources, cwd: dir });
}

describe('keyferry check: edge cases', () => {
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('reports a file that is not YAML (or expands aliases without end) and paths that do not exist, reading a Flux path with a leading slash from the root', () => {
    const findings = check({
      'clusters/dev/ks.yaml': flux('apps', '/apps'),
      'clusters/dev/missing.yaml': flux('missing', './nowhere'),
      'laughs.yaml': 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
      'apps/kustomization.yaml': 'resources:\n  - ok.yaml\n  - gone.yaml\n',
      'apps/ok.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n',
      'broken.yaml': 'a: [1, 2\n',
    });
    assert.deepEqual(findings.map((f) => [f.rule, f.file, f.line]), [
      ['path-not-found', 'apps/kustomization.yaml', 3],
      ['unreadable', 'broken.yaml', 2],
      ['path-not-found', 'clusters/dev/missing.yaml', 8],
      ['unreadable', 'laughs.yaml', 1],
    ]);
    assert.match(findings.find((f) => f.file === 'laughs.yaml')!.message, /alias/i);
  });

  it('resolves a HelmRelease\'s dependsOn among the HelmReleases of its cluster (any layer, its namespace by default), and reads none from another repository', () => {
    const release = (name: string, ns: string, deps: string[]) => `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  chart:\n    spec:\n      chart: ${name}\n  dependsOn:\n${deps.map((d) => `    - ${d}\n`).join('')}`;
    const files = {
      'clusters/dev/ks.yaml': `${flux('infra', './infra')}---\n${flux('apps', './apps', ['infra'])}`,
      'infra/keyferry.yaml': KEYFERRY_RELEASE,
      'apps/app.yaml': release('app', 'apps', ['{name: keyferry, namespace: keyferry}', '{name: db}']),
      'apps/db.yaml': release('db', 'apps', ['{name: db-operator}']),
    };
    assert.deepEqual(check(files).map((f) => [f.rule, f.file, f.line, f.message]), [
      ['dependson-unknown', 'apps/db.yaml', 11, 'HelmRelease apps/db depends on HelmRelease apps/db-operator, which is not in the tree; helm-controller waits for it forever'],
    ]);
    // The same name, possibly applied from a repository that is not read: not reported.
    const other = `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: operators\n  namespace: flux-system\nspec:\n  path: ./\n  sourceRef:\n    kind: GitRepository\n    name: operators\n`;
    assert.deepEqual(check({ ...files, 'clusters/dev/operators.yaml': other }), []);
    const self = check({ 'clusters/dev/ks.yaml': flux('apps', './apps'), 'apps/app.yaml': release('app', 'apps', ['{name: app}']) });
    assert.deepEqual(self.map((f) => [f.rule, f.line, f.message]), [['dependson-cycle', 11, 'dependsOn cycle of HelmReleases: apps/app → apps/app; helm-controller installs none of them']]);
  });

  it('counts a ClusterExternalSecret as the producer of its Secret in each namespace it lists, and in none it selects by labels', () => {
    const ces = (name: string, selection: string, policy = '') => `apiVersion: keyferry.io/v1alpha1\nkind: ClusterExternalSecret\nmetadata:\n  name: ${name}\nspec:\n${selection}  externalSecretSpec:\n    secretStoreRef:\n      kind: ClusterSecretStore\n      name: vault\n    target:\n      name: ${name}\n${policy}`;
    const pod = (ns: string, secret: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ${ns}\nspec:\n  containers:\n    - name: c\n      image: x\n      envFrom:\n        - secretRef:\n            name: ${secret}\n`;
    const findings = check({
      'clusters/dev/ks.yaml': `${flux('secrets', './secrets')}---\n${flux('apps', './apps')}`,
      'secrets/listed.yaml': ces('listed', '  namespaces:\n    - a\n    - b\n'),
      'secrets/selected.yaml': ces('selected', '  namespaceSelectors:\n    - matchLabels:\n        team: a\n'),
      'secrets/merged.yaml': ces('merged', '  namespaces:\n    - a\n', '      creationPolicy: Merge\n'),
      'apps/b.yaml': pod('b', 'listed'),
      'apps/c.yaml': pod('c', 'listed'),
      'apps/selected.yaml': pod('a', 'selected'),
      'apps/merged.yaml': pod('a', 'merged'),
    });
    assert.deepEqual(findings.map((f) => [f.rule, f.file, f.line]), [['workload-secret-order', 'apps/b.yaml', 11]]);
    assert.match(findings[0]!.message, /needs Secret b\/listed \(envFrom\), produced by ClusterExternalSecret listed \(secrets\/listed\.yaml:1\) in Kustomization flux-system\/secrets/);
    assert.deepEqual(findings[0]!.fix?.dependsOn, { name: 'secrets' });
    // Through its own store, it is the store's credential cycle as an ExternalSecret would be.
    const store = 'apiVersion: keyferry.io/v1alpha1\nkind: ClusterSecretStore\nmetadata:\n  name: vault\nspec:\n  provider:\n    vault:\n      server: https://vault.example.com\n      auth:\n        tokenSecretRef:\n          name: listed\n          namespace: a\n          key: token\n';
    const cycle = check({ 'clusters/dev/ks.yaml': flux('secrets', './secrets'), 'secrets/listed.yaml': ces('listed', '  namespaces:\n    - a\n'), 'secrets/store.yaml': store });
    assert.deepEqual(cycle.map((f) => [f.rule, f.file]), [['store-credential-cycle', 'secrets/store.yaml']]);
    assert.match(cycle[0]!.message, /which ClusterExternalSecret listed \(secrets\/listed\.yaml:1\) produces through this same store/);
  });

  it('finds a Kustomization that depends on itself', () => {
    const findings = check({ 'clusters/dev/ks.yaml': flux('apps', './apps', ['apps']), 'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' });
    assert.deepEqual(findings.map((f) => [f.rule, f.line]), [['dependson-cycle', 8]]);
    assert.match(findings[0]!.message, /dependsOn cycle: apps → apps/);
  });

  it('wants keyferry resources in a layer after the HelmRelease that installs keyferry, not beside it', () => {
    const store = 'apiVersion: keyferry.io/v1alpha1\nkind: ClusterSecretStore\nmetadata:\n  name: vault\nspec:\n  provider:\n    fake: {}\n';
    const findings = check({
      'clusters/dev/ks.yaml': flux('infra', './infra'),
      'infra/keyferry.yaml': KEYFERRY_RELEASE,
      'infra/store.yaml': store,
    });
    assert.deepEqual(findings.map((f) => [f.rule, f.file, f.line]), [['crd-order', 'infra/store.yaml', 1]]);
    assert.match(findings[0]!.fix!.text, /move ClusterSecretStore vault to a Kustomization that depends on Kustomization flux-system\/infra/);
    const fixed = check({
      'clusters/dev/ks.yaml': `${flux('infra', './infra')}---\n${flux('configs', './configs', ['infra'])}`,
      'infra/keyferry.yaml': KEYFERRY_RELEASE,
      'configs/store.yaml': store,
    });
    assert.deepEqual(fixed, []);
  });

  it('reads every kind of Secret reference a pod template has, skips optional ones, and names the namespace in a cross-namespace fix', () => {
    const job = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: shop
spec:
  template:
    spec:
      imagePullSecrets:
        - name: pull
      initContainers:
        - name: wait
          image: busybox
          env:
            - name: TOKEN
              valueFrom:
                secretKeyRef:
                  name: token
                  key: token
            - name: MAYBE
              valueFrom:
                secretKeyRef:
                  name: maybe
                  key: x
                  optional: true
      containers:
        - name: migrate
          image: busybox
      volumes:
        - name: certs
          projected:
            sources:
              - secret:
                  name: certs
`;
    const findings = check({
      'clusters/dev/ks.yaml': `${flux('keyferry', './keyferry')}---\n${flux('shop', './shop', [{ name: 'keyferry', namespace: 'flux-system' }], 'shop')}---\n${flux('shop-secrets', './shop-secrets', ['keyferry'])}`,
      'keyferry/release.yaml': KEYFERRY_RELEASE,
      'shop/job.yaml': job,
      'shop-secrets/es.yaml': ['pull', 'token', 'maybe', 'certs'].map((n) => es(n, 'shop')).join('---\n'),
    });
    assert.deepEqual(findings.map((f) => [f.rule, f.line, /needs Secret shop\/\w+ \(([\w ]+)\)/.exec(f.message)?.[1]]), [
      ['workload-secret-order', 10, 'imagePullSecrets'],
      ['workload-secret-order', 15, 'env secretKeyRef'],
      ['workload-secret-order', 30, 'projected volume'],
    ]);
    for (const f of findings) {
      assert.deepEqual(f.fix!.dependsOn, { name: 'shop-secrets', namespace: 'flux-system' });
      assert.equal(f.fix!.kustomization, 'shop/shop');
      assert.match(f.fix!.text, /add \{name: shop-secrets, namespace: flux-system\} to spec\.dependsOn of Kustomization shop\/shop \(clusters\/dev\/ks\.yaml:\d+\)/);
    }
  });

  it('an ExternalSecret with creationPolicy Merge or None produces no Secret a workload could wait for', () => {
    const job = (secret: string) => `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: uses-${secret}\n  namespace: shop\nspec:\n  template:\n    spec:\n      imagePullSecrets:\n        - name: ${secret}\n      containers:\n        - name: c\n          image: busybox\n`;
    const withPolicy = (name: string, policy: string) => es(name, 'shop').replace('  target:\n', `  target:\n    creationPolicy: ${policy}\n`);
    const findings = check({
      'clusters/dev/ks.yaml': `${flux('keyferry', './keyferry')}---\n${flux('shop', './shop', [{ name: 'keyferry', namespace: 'flux-system' }], 'shop')}---\n${flux('shop-secrets', './shop-secrets', ['keyferry'])}`,
      'keyferry/release.yaml': KEYFERRY_RELEASE,
      'shop/jobs.yaml': [job('owned'), job('merged'), job('none')].join('---\n'),
      'shop-secrets/es.yaml': [es('owned', 'shop'), withPolicy('merged', 'Merge'), withPolicy('none', 'None')].join('---\n'),
    });
    // Only the Owner ExternalSecret is a producer to order the workload after.
    assert.deepEqual(findings.filter((f) => f.rule === 'workload-secret-order').map((f) => /needs Secret shop\/(\w+)/.exec(f.message)?.[1]), ['owned']);
  });

  it('checks a plain kustomize tree as one layer, with the namespace its overlay sets', () => {
    const findings = check({
      'base/kustomization.yaml': 'resources:\n  - deploy.yaml\n  - es.yaml\n',
      'base/deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          envFrom:\n            - secretRef:\n                name: db\n',
      'base/es.yaml': es('db', 'ignored'),
      'overlay/kustomization.yaml': 'namespace: prod\nresources:\n  - ../base\n',
    });
    const warnings = findings.filter((f) => f.rule === 'workload-secret-same-layer');
    assert.equal(findings.length, warnings.length);
    assert.ok(warnings.length >= 1);
    assert.ok(warnings.every((f) => f.file === 'base/deploy.yaml' && f.line === 11 && /Secret (prod|default)\/db/.test(f.message)), JSON.stringify(warnings));
    assert.ok(warnings.some((f) => /Secret prod\/db/.test(f.message)), 'the overlay namespace applies to both objects');
  });

  it('leaves a SOPS-encrypted Secret and an empty one alone and finds data and generator literals in plain text, without their values', () => {
    const findings = check({
      'files/kustomization.yaml': 'secretGenerator:\n  - name: mixed\n    files:\n      - tls.key=secret/key.pem\n      - token.enc.json\n    envs:\n      - app.env\n      - app.enc.env\n      - missing.env\n',
      'files/secret/key.pem': '-----BEGIN PRIVATE KEY-----\nhunter2\n-----END PRIVATE KEY-----\n',
      'files/token.enc.json': '{"data": "ENC[AES256_GCM,data:AbC=,iv:x,tag:y,type:str]", "sops": {"version": "3.9.0"}}\n',
      'files/app.env': 'PASSWORD=hunter2\n',
      'files/app.enc.env': 'PASSWORD=ENC[AES256_GCM,data:AbC=,iv:x,tag:y,type:str]\nsops_mac=ENC[AES256_GCM,data:AbC=,iv:x,tag:y,type:str]\n',
      'sops.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\ndata:\n  k: RU5DWw==\nsops:\n  version: 3.9.0\n',
      'empty.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\ntype: kubernetes.io/service-account-token\n',
      'plain.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n  namespace: x\ndata:\n  password: aHVudGVyMg==\n',
      'gen/kustomization.yaml': 'secretGenerator:\n  - name: from-files\n    files:\n      - token.enc\n  - name: app\n    literals:\n      - password=hunter2\n',
    });
    assert.deepEqual(findings.map((f) => [f.rule, f.file, f.line, f.message]), [
      ['plaintext-secret', 'files/kustomization.yaml', 4, 'secretGenerator mixed reads its values from a file in plain text (files: secret/key.pem)'],
      ['plaintext-secret', 'files/kustomization.yaml', 7, 'secretGenerator mixed reads its values from a file in plain text (envs: app.env)'],
      ['plaintext-secret', 'gen/kustomization.yaml', 6, 'secretGenerator app holds its values in plain text (literals)'],
      ['plaintext-secret', 'plain.yaml', 6, 'Secret x/c holds its values in plain text (data)'],
    ]);
    assert.ok(!JSON.stringify(findings).includes('hunter2'));
    assert.ok(!JSON.stringify(findings).includes('aHVudGVyMg'));
    assert.ok(!JSON.stringify(findings).includes('tls.key'), 'a generator key is not named');
  });

  it('wants what a Kustomization substitutes from (a Secret, keyferry-versions) applied before it, in its own namespace', () => {
    const publishing = `${es('db', 'flux-system')}  # publishes\n`.replace('    name: db\n', '    name: db\n    versioning:\n      rollout: Publish\n');
    const shop = (optional: boolean): string => `${flux('shop', './shop', ['keyferry'])}  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: keyferry-versions\n${optional ? '        optional: true\n' : ''}      - kind: ConfigMap\n        name: cluster-settings\n`;
    const tree = (optional: boolean, publisherPath: string): Record<string, string> => ({
      'clusters/dev/ks.yaml': `${flux('keyferry', './keyferry')}---\n${shop(optional)}---\n${flux('shop-secrets', './shop-secrets', ['keyferry'])}`,
      'keyferry/release.yaml': KEYFERRY_RELEASE,
      [publisherPath]: publishing,
      'shop/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
      'shop-secrets/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n',
    });
    const cycle = check(tree(false, 'shop/es.yaml'));
    assert.deepEqual(cycle.map((f) => [f.rule, f.file, f.line]), [['substitute-from-order', 'clusters/dev/ks.yaml', 28]]);
    assert.match(cycle[0]!.message, /substitutes variables from ConfigMap flux-system\/keyferry-versions, which ExternalSecret flux-system\/db \(shop\/es\.yaml:1\) makes keyferry write in this same Kustomization/);
    assert.match(cycle[0]!.fix!.text, /or mark the substituteFrom entry optional: true/);
    const unordered = check(tree(false, 'shop-secrets/es.yaml'));
    assert.deepEqual(unordered.map((f) => [f.rule, f.fix?.dependsOn]), [['substitute-from-order', { name: 'shop-secrets' }]]);
    assert.deepEqual(check(tree(true, 'shop/es.yaml')), [], 'an optional entry does not block the build');
  });

  it('exits 2 on a wrong command line, as on errors found', async () => {
    const program = buildProgram(() => undefined);
    for (const command of [program, ...program.commands]) command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    const exit = process.exit;
    let code: number | undefined;
    process.exit = ((c?: number) => { code = c; throw new Error('exit'); }) as typeof process.exit;
    try {
      await assert.rejects(program.parseAsync(['check', '--no-such-flag', '.'], { from: 'user' }), /exit/);
    } finally {
      process.exit = exit;
    }
    assert.equal(code, EXIT_ERRORS);
  });
});
