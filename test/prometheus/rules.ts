// keyferry's alerting rules as Prometheus loads them: the groups of the PrometheusRule in
// manifests/monitoring, written as a plain rule file.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export function ruleGroups(): RuleGroup[] {
  const rule = parse(readFileSync(join(repoRoot, 'manifests', 'monitoring', 'prometheus-rule.yaml'), 'utf8')) as { spec: { groups: RuleGroup[] } };
  return rule.spec.groups;
}

export function alerts(groups = ruleGroups()): AlertRule[] {
  return groups.flatMap((g) => g.rules);
}

/** A Prometheus rule file of `groups`. */
export function ruleFile(groups: RuleGroup[]): string {
  return stringify({ groups });
}
