import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseDuration, isDuration, InvalidDurationError, DURATION_PATTERN } from '../../src/api/index.js';
import { compileRule } from './crd-validator.js';

describe('parseDuration', () => {
  it('parses Go durations into milliseconds', () => {
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('2h45m30.5s'), 9_930_500);
    assert.equal(parseDuration('1500us'), 1.5);
    assert.equal(parseDuration('1500µs'), 1.5);
    assert.equal(parseDuration('2000000ns'), 2);
    assert.equal(parseDuration('0s'), 0);
  });

  it('throws a clear error on anything else', () => {
    for (const bad of ['', '1', '1d', '1 h', '-5m', '+5m', 'h', '1.h', '.5h', '1h ', '1H', 'PT1H']) {
      assert.throws(() => parseDuration(bad), (e: unknown) => {
        assert.ok(e instanceof InvalidDurationError, bad);
        assert.equal((e as Error).message, `invalid duration ${JSON.stringify(bad)}: expected a Go duration such as 30s, 15m, 1h or 1h30m, or 0`);
        return true;
      });
      assert.equal(isDuration(bad), false, bad);
    }
  });

  it('accepts exactly what the CRDs\' CEL duration rule accepts', () => {
    const crd = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'manifests', 'crds', 'externalsecret.yaml'), 'utf8');
    const spec = parse(crd).spec.versions[0].schema.openAPIV3Schema.properties.spec;
    const rule = (spec['x-kubernetes-validations'] as { rule: string; fieldPath?: string }[]).find((r) => r.fieldPath === '.refreshInterval')!.rule;
    const cel = compileRule(rule);
    const samples = ['0', '1h', '1h30m', '1.5h', '30s', '250ms', '1500us', '1500µs', '7ns', '', '1', '1d', '1 h', '-5m', 'h', '1.h', '.5h', '1h ', '1H', '00', '0h'];
    for (const s of samples) {
      assert.equal(cel({ self: { refreshInterval: s } }), isDuration(s), `CEL vs parseDuration on ${JSON.stringify(s)}`);
      assert.equal(DURATION_PATTERN.test(s), isDuration(s), `DURATION_PATTERN vs parseDuration on ${JSON.stringify(s)}`);
    }
  });
});
