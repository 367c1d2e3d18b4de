// The alerting rules under promtool: they load (`check rules`), and `test rules` runs the
// cases of alerts.promtool.yaml, in which every alert fires where it should and stays quiet
// otherwise. Misspelling any metric an alert reads makes its cases fail.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { findOnPath } from './binaries.js';
import { metricNames, renameMetric } from './promql.js';
import { alerts, repoRoot, ruleFile, ruleGroups } from './rules.js';

const run = promisify(execFile);
const testsFile = join(repoRoot, 'test', 'prometheus', 'alerts.promtool.yaml');

interface PromtoolTests {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

describe('alerting rules under promtool', function () {
  this.timeout(60_000);
  let promtool: string;
  let dir: string;

  /** Runs `promtool test rules` over `groups` (only `alert`'s cases, when given); resolves to its exit code and output. */
  async function testRules(groups = ruleGroups(), alert?: string): Promise<{ code: number; output: string }> {
    await writeFile(join(dir, 'rules.yaml'), ruleFile(groups));
    let file = 'alerts.promtool.yaml';
    if (alert) {
      const all = parse(await readFile(testsFile, 'utf8')) as PromtoolTests;
      all.tests = all.tests
        .map((t) => ({ ...t, alert_rule_test: (t.alert_rule_test ?? []).filter((c) => c.alertname === alert) }))
        .filter((t) => t.alert_rule_test.length > 0);
      file = `${alert}.promtool.yaml`;
      await writeFile(join(dir, file), stringify(all));
    }
    try {
      const { stdout, stderr } = await run(promtool, ['test', 'rules', file], { cwd: dir, timeout: 30_000 });
      return { code: 0, output: stdout + stderr };
    } catch (e) {
      const failure = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failure.code === 'number' ? failure.code : -1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
    }
  }

  before(async () => {
    promtool = findOnPath('promtool');
    dir = await mkdtemp(join(tmpdir(), 'keyferry-promtool-'));
    await copyFile(testsFile, join(dir, 'alerts.promtool.yaml'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads with promtool check rules', async () => {
    await writeFile(join(dir, 'rules.yaml'), ruleFile(ruleGroups()));
    const { stdout } = await run(promtool, ['check', 'rules', 'rules.yaml'], { cwd: dir, timeout: 30_000 });
    assert.match(stdout, new RegExp(`SUCCESS: ${alerts().length} rules found`));
  });

  it('has, for every alert, a case where it fires and one where it stays quiet', async () => {
    const cases = (parse(await readFile(testsFile, 'utf8')) as PromtoolTests).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alerts()) {
      const own = cases.filter((c) => c.alertname === alert);
      assert.ok(own.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} has a firing case`);
      assert.ok(own.some((c) => (c.exp_alerts ?? []).length === 0), `${alert} has a quiet case`);
    }
    const known = new Set(alerts().map((a) => a.alert));
    for (const c of cases) assert.ok(known.has(c.alertname), `a case tests ${c.alertname}, which is not an alert`);
  });

  it('passes promtool test rules', async () => {
    const { code, output } = await testRules();
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
  });

  it('fails an alert\'s cases when a metric its expression reads is misspelled', async () => {
    const groups = ruleGroups();
    let renamed = 0;
    for (const [g, group] of groups.entries()) {
      for (const [r, rule] of group.rules.entries()) {
        const names = metricNames(rule.expr);
        assert.ok(names.length > 0, `${rule.alert} reads a metric`);
        for (const name of names) {
          const broken = structuredClone(groups);
          broken[g]!.rules[r]!.expr = renameMetric(rule.expr, name, `${name}_misspelled`);
          assert.notEqual(broken[g]!.rules[r]!.expr, rule.expr);
          const { code, output } = await testRules(broken, rule.alert);
          assert.notEqual(code, 0, `promtool test rules still passes with ${name} misspelled in ${rule.alert}`);
          assert.match(output, new RegExp(`alertname: ${rule.alert}\\b`), output);
          renamed++;
        }
      }
    }
    assert.ok(renamed >= alerts().length);
  });
});
