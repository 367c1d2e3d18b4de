// Property-based fuzzing of the ExternalSecret reconciler (issue "never wrong, never stuck"):
// generated and mutated ExternalSecret, SecretStore and ClusterSecretStore specs and hostile
// remote values, driven through the controller with a fake clock and a fake API. Properties:
//   - no unhandled rejection;
//   - no key reconciled more often than its refresh interval and the backoff allow;
//   - every ExternalSecret ends each phase with a Ready condition whose reason is one of the
//     API's, and Ready=True only on its own existing, immutable version;
//   - no remote value in any status, Event, log line or metric;
//   - every Secret written is one the API server accepts (api-server-oracle.test.ts checks the
//     sample this suite collects against a real kube-apiserver).
// `make test` runs a short run; `make fuzz` a long one (FUZZ_RUNS, default 10 000 there). The
// seed is printed; FUZZ_SEED=<seed> replays a run, and a failure prints its counterexample path.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CRD_DIR } from '../../scripts/generate-api-types.js';
import { loadValidators } from '../api/crd-validator.js';
import type { SecretObject } from '../../src/kube/kube-object.js';
import { apiServerOracle } from './api-server-oracle.js';
import { fuzzCase, runCase, type CaseResult } from './run-case.js';
import { fuzzSettings } from './settings.js';

/** Secrets written during the run, one per shape, for the API-server oracle. */
const writtenSample = new Map<string, SecretObject>();

function shape(secret: SecretObject): string {
  const size = Object.values(secret.data ?? {}).reduce((n, v) => n + v.length, 0);
  const labels = Object.entries(secret.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v.length}`).sort();
  return JSON.stringify([secret.type, Object.keys(secret.data ?? {}).sort(), labels, Object.keys(secret.metadata?.annotations ?? {}).sort(), Math.round(Math.log2(size + 1))]);
}

describe('fuzz: the ExternalSecret reconciler', function () {
  const { seed, runs, path } = fuzzSettings('reconciler', 200);
  this.timeout(Math.max(120_000, runs * 500));
  const validators = loadValidators(CRD_DIR);
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  before(() => process.on('unhandledRejection', onRejection));
  after(() => process.off('unhandledRejection', onRejection));

  it(`holds its properties over ${runs} generated cases`, async () => {
    const totals = { cases: 0, refused: 0, accepted: 0, reconciles: 0, written: 0, reasons: new Map<string, number>() };
    let last: CaseResult | undefined;
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        last = await runCase(c, validators);
        totals.cases++;
        totals.refused += last.refused;
        totals.accepted += last.accepted;
        totals.reconciles += last.reconciles;
        totals.written += last.written.length;
        for (const r of last.reasons) totals.reasons.set(r, (totals.reasons.get(r) ?? 0) + 1);
        for (const s of last.written) {
          const key = shape(s);
          if (writtenSample.size < 400 && !writtenSample.has(key)) writtenSample.set(key, s);
        }
        const unhandled = rejections.splice(0);
        assert.deepEqual(unhandled.map(String), [], 'unhandled rejections');
        assert.deepEqual(last.violations, []);
      }),
      { seed, numRuns: runs, path, endOnFailure: true, verbose: 1 },
    );
    const reasons = [...totals.reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ');
    console.log(`    fuzz: ${totals.cases} cases, ${totals.accepted} specs taken and ${totals.refused} refused by the CRDs, ${totals.reconciles} reconciles, ${totals.written} Secrets written (${writtenSample.size} shapes kept); Ready reasons: ${reasons}`);
    // The generators reach the cases they are for.
    for (const reason of ['SecretSynced', 'InvalidSpec', 'InvalidRemoteData', 'StoreNotReady']) assert.ok(totals.reasons.has(reason) || runs < 100, `no case ended ${reason}`);
  });

  it('wrote only Secrets a real kube-apiserver accepts (server-side dry run of one per shape)', async function () {
    this.timeout(600_000);
    const oracle = await apiServerOracle();
    const refused: string[] = [];
    for (const secret of writtenSample.values()) {
      const verdict = await oracle.judge(secret);
      if (!verdict.accepted) refused.push(`${secret.metadata?.name}: ${verdict.message}`);
    }
    console.log(`    fuzz: ${writtenSample.size} written shapes checked against kube-apiserver`);
    assert.deepEqual(refused, []);
  });
});
