// keyferry convert beyond the corpus: what carries over comes from the CRD schema given (a field
// added to it carries over), lines in multi-document input, stdin, directories, the output
// modes, exit codes through the command line, and secret values never in the report.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCrdDirectory, loadKindSchemas, type KindSchema, type OpenApiSchema } from '../../src/convert/crd-schemas.js';
import { convertPaths, siblingPath } from '../../src/convert/convert-files.js';
import { exitCodeOf } from '../../src/convert/findings.js';
import { formatFinding } from '../../src/convert/report.js';
import { runCli } from '../support/run-cli.js';
import { CommanderError } from 'commander';
import { convertUsageExitCode } from '../../src/cli/convert-command.js';

const runConvertCli = (args: string[]) => runCli('convert', args);

const root = join(import.meta.dirname, '..', '..');
const realSchemas = loadKindSchemas(join(root, 'manifests', 'crds'));

function run(text: string, schemas: Map<string, KindSchema> = realSchemas) {
  return convertPaths(['-'], { schemas, mode: { kind: 'sibling' }, cwd: root, alias: false, readStdin: () => text });
}

const es = (body: string) => `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: app
  namespace: default
spec:
  secretStoreRef:
    name: store
${body}`;

/** The real ExternalSecret schema with `edit` applied to a copy. */
function editedSchemas(edit: (spec: OpenApiSchema) => void): Map<string, KindSchema> {
  const copy = structuredClone(realSchemas);
  edit(copy.get('ExternalSecret')!.schema.properties!.spec!);
  return copy;
}

describe('keyferry convert: fields are judged by the CRD schema', () => {
  const body = `  target:
    name: app
    versioning: { alias: true }
    syncWindow: nightly
  data:
    - secretKey: a
      remoteRef: { key: k }
`;

  it('a field the schema lacks is reported at its line and left out', () => {
    const r = run(es(body));
    assert.deepEqual(r.findings.map(formatFinding), ['<stdin>:12: warning: ExternalSecret app: spec.target.syncWindow: left out: keyferry has no such field']);
    assert.doesNotMatch(r.outputs[0]!.text, /syncWindow/);
  });

  it('the same field carries over once the schema has it', () => {
    const schemas = editedSchemas((spec) => { spec.properties!.target!.properties!.syncWindow = { type: 'string' }; });
    const r = run(es(body), schemas);
    assert.deepEqual(r.findings, []);
    assert.match(r.outputs[0]!.text, /syncWindow: nightly/);
  });

  it('a value outside the schema\'s enum refuses the object (creationPolicy Merge while keyferry allows Owner, Orphan)', () => {
    const schemas = editedSchemas((spec) => { spec.properties!.target!.properties!.creationPolicy = { type: 'string', enum: ['Owner', 'Orphan'] }; });
    const r = run(es(`  target:
    name: app
    creationPolicy: Merge
  data:
    - secretKey: a
      remoteRef: { key: k }
`), schemas);
    assert.deepEqual(r.findings.map(formatFinding), [
      '<stdin>:11: refused: ExternalSecret app: spec.target.creationPolicy: value not allowed by keyferry: it allows Owner, Orphan',
    ]);
    assert.equal(exitCodeOf(r.findings), 2);
    assert.match(r.outputs[0]!.text, /apiVersion: external-secrets.io\/v1\n/, 'written back unchanged');
  });

  it('creationPolicy Merge carries over without the versioned-name advice, with what the target Secret needs (opt-in annotation, RBAC)', () => {
    const r = run(es(`  target:
    name: app-config
    creationPolicy: Merge
    deletionPolicy: Merge
  data:
    - secretKey: a
      remoteRef: { key: k }
`));
    assert.deepEqual(r.findings.map(formatFinding), [
      '<stdin>:11: warning: ExternalSecret app: spec.target.creationPolicy: keyferry merges only into a Secret that opted in: annotate Secret app-config keyferry.io/merge-from: app; it never changes a key it did not write (ESO overwrites it), and needs manifests/optional/merge-mode for update on Secrets',
    ]);
    assert.equal(exitCodeOf(r.findings), 1);
    assert.match(r.outputs[0]!.text, /apiVersion: keyferry.io\/v1alpha1\n/);
    assert.match(r.outputs[0]!.text, /creationPolicy: Merge\n {4}deletionPolicy: Merge/);
  });

  it('creationPolicy Merge with template labels or annotations is refused (keyferry writes only data keys into a Secret it does not own)', () => {
    const r = run(es(`  target:
    name: app-config
    creationPolicy: Merge
    template:
      metadata:
        labels: { team: a }
  data:
    - secretKey: a
      remoteRef: { key: k }
`));
    assert.ok(r.findings.map(formatFinding).includes("<stdin>:13: refused: ExternalSecret app: spec.target.template.metadata: keyferry's creationPolicy Merge writes data keys only, never labels or annotations of a Secret it does not own (Ready=False, InvalidSpec): leave them out"), r.findings.map(formatFinding).join('\n'));
    assert.equal(exitCodeOf(r.findings), 2);
    assert.match(r.outputs[0]!.text, /apiVersion: external-secrets.io\/v1\n/, 'written back unchanged');
  });

  it('creationPolicy None carries over, with a warning about its Ready condition; --alias leaves Merge and None without an alias', () => {
    const body = (policy: string) => es(`  target:
    name: app
    creationPolicy: ${policy}
  data:
    - secretKey: a
      remoteRef: { key: k }
`);
    const r = run(body('None'));
    assert.deepEqual(r.findings.map(formatFinding), [
      '<stdin>:11: warning: ExternalSecret app: spec.target.creationPolicy: no Secret is written, as in ESO, but Ready is False with reason CreationPolicyNone rather than True: a health check waiting for Ready=True must accept that reason',
    ]);
    for (const policy of ['None', 'Merge']) {
      const aliased = convertPaths(['-'], { schemas: realSchemas, mode: { kind: 'sibling' }, cwd: root, alias: true, readStdin: () => body(policy) });
      assert.doesNotMatch(aliased.outputs[0]!.text, /alias: true/, policy);
    }
    const owner = convertPaths(['-'], { schemas: realSchemas, mode: { kind: 'sibling' }, cwd: root, alias: true, readStdin: () => body('Owner') });
    assert.match(owner.outputs[0]!.text, /alias: true/);
  });

  it('a field that shapes the data refuses the object, unless it holds ESO\'s default', () => {
    const schemas = editedSchemas((spec) => { delete spec.properties!.data!.items!.properties!.remoteRef!.properties!.conversionStrategy; });
    const with_ = (value: string) => run(es(`  target: { name: app, versioning: { alias: true } }
  data:
    - secretKey: a
      remoteRef:
        key: k
        conversionStrategy: ${value}
`), schemas).findings.map(formatFinding);
    assert.deepEqual(with_('Unicode'), ['<stdin>:14: refused: ExternalSecret app: spec.data[0].remoteRef.conversionStrategy: keyferry has no such field, and leaving it out would change what is read or written (keyferry reads values as they are (ESO\'s Default))']);
    assert.deepEqual(with_('Default'), ['<stdin>:14: note: ExternalSecret app: spec.data[0].remoteRef.conversionStrategy: left out: keyferry has no such field, and ESO\'s default is what keyferry does (keyferry reads values as they are (ESO\'s Default))']);
  });

  it('metadataPolicy carries over on data[].remoteRef; on dataFrom[].extract Fetch is refused and None left out', () => {
    const fetched = run(es(`  target: { name: app, versioning: { alias: true } }
  data:
    - secretKey: tags
      remoteRef: { key: k, metadataPolicy: Fetch }
`));
    assert.deepEqual(fetched.findings.map(formatFinding), []);
    assert.match(fetched.outputs[0]!.text, /metadataPolicy: Fetch/);
    const extract = (value: string) => run(es(`  target: { name: app, versioning: { alias: true } }
  dataFrom:
    - extract:
        key: k
        metadataPolicy: ${value}
`)).findings.map(formatFinding);
    const why = 'keyferry reads a remote secret\'s metadata only for data[].remoteRef (metadataPolicy Fetch); dataFrom[].extract reads values (ESO\'s None)';
    assert.deepEqual(extract('Fetch'), [`<stdin>:13: refused: ExternalSecret app: spec.dataFrom[0].extract.metadataPolicy: keyferry has no such field, and leaving it out would change what is read or written (${why})`]);
    assert.deepEqual(extract('None'), [`<stdin>:13: note: ExternalSecret app: spec.dataFrom[0].extract.metadataPolicy: left out: keyferry has no such field, and ESO's default is what keyferry does (${why})`]);
  });

  it('a value of another type is refused without being printed', () => {
    const r = run(es(`  target: { name: app, versioning: { alias: true } }
  data:
    - secretKey: a
      remoteRef: { key: k, version: 12345 }
`));
    assert.deepEqual(r.findings.map(formatFinding), ['<stdin>:12: refused: ExternalSecret app: spec.data[0].remoteRef.version: keyferry expects a string here']);
    assert.doesNotMatch(r.findings.map(formatFinding).join('\n'), /12345/);
  });
});

describe('keyferry convert: kinds and versions', () => {
  it('finds the CRDs beside the package.json above it (manifests/crds, as the image ships them)', () => {
    assert.equal(defaultCrdDirectory(), join(root, 'manifests', 'crds'));
  });

  it('an object exported from a cluster: status is left out with a note', () => {
    const r = run(es(`  target: {name: app, versioning: {alias: true}}
  data: [{secretKey: a, remoteRef: {key: k}}]
status:
  refreshTime: "2024-01-01T00:00:00Z"
`));
    assert.deepEqual(r.findings.map(formatFinding), ['<stdin>:11: note: ExternalSecret app: status: left out: keyferry writes status itself']);
    assert.doesNotMatch(r.outputs[0]!.text, /refreshTime/);
  });

  it('external-secrets.io/v1alpha1 and unknown ESO kinds are refused; other groups pass through', () => {
    const r = run(`apiVersion: external-secrets.io/v1alpha1
kind: ExternalSecret
metadata: {name: old}
---
apiVersion: external-secrets.io/v1
kind: ClusterPushSecret
metadata: {name: push}
---
apiVersion: example.com/v1
kind: ExternalSecret
metadata: {name: other}
`);
    assert.deepEqual(r.findings.map(formatFinding), [
      '<stdin>:2: refused: ExternalSecret old: external-secrets.io/v1alpha1 is not converted (only external-secrets.io/v1 and external-secrets.io/v1beta1); upgrade the manifest to external-secrets.io/v1 first',
      '<stdin>:6: refused: ClusterPushSecret push: keyferry only reads from stores: ClusterPushSecret writes Kubernetes Secrets to a store, which keyferry does not do',
    ]);
    assert.equal(r.refused, 2);
    assert.equal(r.converted, 0);
  });
});

describe('keyferry convert: YAML anchors and aliases', () => {
  const store = (spec: string, meta = '') => `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: a
  namespace: default
${meta}spec:
  retrySettings: &r {maxRetries: 1}
  provider: {fake: {data: []}}
${spec}`;

  it('a field left out through an alias, or an anchor a kept field uses, refuses the object instead of failing', () => {
    const r = run(store('  rateLimit: *r\n'));
    assert.deepEqual(r.findings.map(formatFinding), [
      "<stdin>:7: warning: SecretStore a: spec.retrySettings: left out: keyferry has no such field (keyferry's fetch path retries with backoff and honours Retry-After)",
      '<stdin>:9: warning: SecretStore a: spec.rateLimit.maxRetries: left out: keyferry has no such field',
      '<stdin>:2: refused: SecretStore a: the fields to leave out are shared through YAML anchors and aliases: write the aliased parts out in full and convert again',
    ]);
    assert.equal(r.refused, 1);
  });

  it('an alias before its anchor is not valid YAML', () => {
    const r = run(store('', '  labels: *r\n'));
    assert.deepEqual(r.findings.map(formatFinding), ['<stdin>:1: refused: not valid YAML (Unresolved alias (the anchor must be set before the alias): r): not converted']);
  });
});

describe('keyferry convert: ClusterSecretStore namespaceRegexes', () => {
  it('warns about each pattern that is not anchored at both ends (an alternation counts) or that RE2 refuses', () => {
    const r = run(`apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: css}
spec:
  conditions:
    - namespaceRegexes:
        - "^team-a$"
        - "^(a|b)$"
        - "^a$|b"
        - "(?=x)"
  provider:
    fake: {data: []}
`);
    assert.deepEqual(r.findings.map(formatFinding), [
      "<stdin>:9: warning: ClusterSecretStore css: spec.conditions[0].namespaceRegexes[2]: unanchored pattern: it matches anywhere in a namespace's name, as in ESO (so it admits more namespaces than it seems to); anchor it as ^...$",
      '<stdin>:10: warning: ClusterSecretStore css: spec.conditions[0].namespaceRegexes[3]: RE2 does not accept this pattern, so it admits no namespace',
    ]);
  });
});

describe('keyferry convert: inputs and outputs', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kf-convert-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const multi = `# a Deployment, a Secret and an ExternalSecret in one file
apiVersion: apps/v1
kind: Deployment
metadata:   {name: web}
spec:
  template: {spec: {containers: [{name: web, image: "nginx"}]}}
---
apiVersion: v1
kind: Secret
metadata: {name: plain}
stringData:
  password: correct-horse-battery
---
${es(`  retrySettings: {maxRetries: 3}
  data:
    - secretKey: a
      remoteRef: {key: k}
`)}`;

  it('multi-document stdin: lines count from the top of the input, other documents pass through byte for byte, values never in the report', () => {
    const r = run(multi);
    assert.deepEqual(r.findings.map(formatFinding), [
      '<stdin>:17: warning: ExternalSecret app: metadata.name: consumers must change: keyferry writes Secret app-<hash>, a new name for each version, not app. Set target.versioning.rollout: Patch and annotate the workloads keyferry.io/follow: app, or rollout: Publish for Flux postBuild.substituteFrom, or keep the name with alias: true (--alias)',
      "<stdin>:22: warning: ExternalSecret app: spec.retrySettings: left out: keyferry has no such field (keyferry's fetch path retries with backoff and honours Retry-After)",
    ]);
    assert.equal(r.outputs.length, 1);
    assert.equal(r.outputs[0]!.path, undefined, '- is written to stdout');
    const out = r.outputs[0]!.text;
    assert.ok(out.startsWith(multi.slice(0, multi.indexOf('apiVersion: external-secrets.io'))), 'the Deployment and the Secret are unchanged');
    assert.match(out, /apiVersion: keyferry.io\/v1alpha1\nkind: ExternalSecret/);
  });

  it('writes foo.keyferry.yaml beside each file with an ESO object, walks directories, and skips its own outputs on a second run', async () => {
    mkdirSync(join(dir, 'apps', 'web'), { recursive: true });
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, 'apps', 'web', 'all.yaml'), multi);
    writeFileSync(join(dir, 'apps', 'deploy.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    writeFileSync(join(dir, '.git', 'x.yaml'), es('  data: [{secretKey: a, remoteRef: {key: k}}]\n'));
    writeFileSync(join(dir, 'notes.txt'), es(''));
    const first = await runConvertCli([dir]);
    assert.equal(first.code, 1, first.err);
    assert.ok(existsSync(join(dir, 'apps', 'web', 'all.keyferry.yaml')));
    assert.ok(!existsSync(join(dir, 'apps', 'deploy.keyferry.yml')), 'no output for a file without ESO objects');
    assert.ok(!existsSync(join(dir, '.git', 'x.keyferry.yaml')), 'hidden directories are not read');
    assert.match(first.out, /all\.yaml:22: warning: ExternalSecret app: spec\.retrySettings/);
    assert.doesNotMatch(first.out + first.err, /correct-horse/);
    const second = await runConvertCli([dir]);
    assert.equal((second.out.match(/spec\.retrySettings/g) ?? []).length, 1, 'the output of the first run is not converted again');
  });

  it('--out-dir mirrors every YAML file under the directory given; --in-place rewrites the input', async () => {
    mkdirSync(join(dir, 'in', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'in', 'sub', 'all.yaml'), multi);
    writeFileSync(join(dir, 'in', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    const r = await runConvertCli(['--out-dir', join(dir, 'out'), join(dir, 'in')]);
    assert.equal(r.code, 1);
    assert.equal(readFileSync(join(dir, 'out', 'cm.yaml'), 'utf8'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    assert.match(readFileSync(join(dir, 'out', 'sub', 'all.yaml'), 'utf8'), /apiVersion: keyferry.io\/v1alpha1/);
    assert.equal(readFileSync(join(dir, 'in', 'sub', 'all.yaml'), 'utf8'), multi, 'the input is untouched');
    const inPlace = await runConvertCli(['--in-place', join(dir, 'in')]);
    assert.equal(inPlace.code, 1);
    assert.match(readFileSync(join(dir, 'in', 'sub', 'all.yaml'), 'utf8'), /apiVersion: keyferry.io\/v1alpha1/);
  });

  it('exit codes: 0 clean, 1 warnings, 2 refused, unreadable or not YAML; the report goes to stderr with --stdout', async () => {
    const clean = join(dir, 'clean.yaml');
    writeFileSync(clean, es('  target: {name: app, versioning: {alias: true}}\n  data: [{secretKey: a, remoteRef: {key: k}}]\n'));
    const ok = await runConvertCli(['--stdout', clean]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^apiVersion: keyferry.io\/v1alpha1/);
    assert.match(ok.err, /1 object converted, 0 refused; 0 refusals, 0 warnings, 0 notes; exit 0/);

    const warn = join(dir, 'warn.yaml');
    writeFileSync(warn, es('  data: [{secretKey: a, remoteRef: {key: k}}]\n'));
    assert.equal((await runConvertCli(['--stdout', warn])).code, 1);

    const missing = await runConvertCli([join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.out, /nope\.yaml:1: refused: cannot read: ENOENT/);

    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: v1\nkind: [unclosed\n');
    const bad = await runConvertCli([broken]);
    assert.equal(bad.code, 2);
    assert.match(bad.out, /broken\.yaml:\d+: refused: not valid YAML/);
    assert.ok(!existsSync(siblingPath(broken)));

    const json = await runConvertCli(['--report-format', 'json', '--stdout', warn]);
    const report = JSON.parse(json.err) as { findings: { severity: string; line: number; field?: string }[]; converted: number; refused: number; exitCode: number };
    assert.deepEqual({ ...report, findings: report.findings.map((f) => `${f.severity} ${f.line} ${f.field}`) }, { findings: ['warning 4 metadata.name'], converted: 1, refused: 0, exitCode: 1 });

    writeFileSync(join(dir, 'blocker'), '');
    const unwritable = await runConvertCli(['--out-dir', join(dir, 'blocker'), clean]);
    assert.equal(unwritable.code, 2);
    assert.match(unwritable.out, /blocker\/clean\.yaml:1: refused: cannot write: (ENOTDIR|EEXIST)/);

    const both = await runConvertCli(['--stdout', '--in-place', clean]);
    assert.equal(both.code, 2);
    assert.match(both.err, /cannot be used together/);
    const usage = await runConvertCli([]);
    assert.match(usage.err, /missing required argument/);
    assert.equal(convertUsageExitCode(new CommanderError(usage.code, 'commander.missingArgument', usage.err)), 2, 'a usage error is never read as warnings only');
  });
});
