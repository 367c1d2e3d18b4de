#!/usr/bin/env bash
# Runs every test in two mocha processes at once, so the suites that wait on the real control
# plane (namespace deletion, the garbage collector, rollouts) overlap with the rest:
#   real  the suites that use the real control plane, with KEYFERRY_E2E_CLUSTER=real; one
#         control plane for the process, so the RBAC suite (sorted last) reads the audit log
#         of every real-cluster suite;
#   dev   every other test, and the e2e suites on the dev cluster (KEYFERRY_E2E_CLUSTER=dev).
# The dev half streams; the real half is printed when both are done. Each half ends with
# mocha's own "N passing" / "N failing" lines; then each half's failures, briefly; the last two
# lines sum the halves.
# KEYFERRY_TEST_SERIAL=1 runs the halves one after the other (for a profile of each).
set -uo pipefail
cd "$(dirname "$0")/.."

mocha=(npx mocha --reporter spec --reporter-option maxDiffSize=2048)
all=$(find test -name '*.test.ts' | sort)
# A suite uses the real control plane when it declares itself per cluster or asks for the shared one.
real=$(grep -lE 'forEachCluster|sharedControlPlane|e2eClusters|apiServerOracle' $all)
# Suites that exist only on the real control plane (the fuzz oracle is the real API server).
realOnly=$(grep -lE 'apiServerOracle' $all)
dev=$(comm -23 <(printf '%s\n' $all) <(printf '%s\n' $realOnly))

logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

start=$(date +%s)
if [ "${KEYFERRY_TEST_SERIAL:-}" = 1 ]; then
  KEYFERRY_E2E_CLUSTER=real "${mocha[@]}" $real >"$logdir/real.log" 2>&1
  realStatus=$?
  echo "real-cluster half alone: $(( $(date +%s) - start )) s"
else
  KEYFERRY_E2E_CLUSTER=real "${mocha[@]}" $real >"$logdir/real.log" 2>&1 &
  realPid=$!
fi
devStart=$(date +%s)
KEYFERRY_E2E_CLUSTER=dev "${mocha[@]}" $dev 2>&1 | tee "$logdir/dev.log"
devStatus=${PIPESTATUS[0]}
echo "dev half: $(( $(date +%s) - devStart )) s"
if [ "${KEYFERRY_TEST_SERIAL:-}" != 1 ]; then
  wait "$realPid"
  realStatus=$?
fi
echo
echo "== the suites on the real control plane =="
cat "$logdir/real.log"
echo "both halves: $(( $(date +%s) - start )) s"

# The failures again, each title and the first lines of its message, last before the counts:
# whoever reads only the end of the output (a CI summary) sees which tests failed and why.
failures() {
  awk '
    /^[[:space:]]*[0-9]+ failing/ { on = 1; next }
    !on || !NF { next }
    /^[[:space:]]+[0-9]+\) / { title = 1 }
    title { print; if (/:$/) { title = 0; message = 4 }; next }
    message && !/^[[:space:]]+at / { print; message-- }
  ' "$logdir/$1.log" | head -n 24
}
for half in dev real; do
  if [ -n "$(failures "$half")" ]; then
    echo
    echo "failed in the $half half:"
    failures "$half"
  fi
done

# mocha's count of one half (0 when it printed none).
count() { grep -Eo "^[[:space:]]*[0-9]+ $2" "$logdir/$1.log" | tail -1 | grep -Eo '[0-9]+' || echo 0; }
echo
echo "  $(( $(count dev passing) + $(count real passing) )) passing (both halves)"
echo "  $(( $(count dev failing) + $(count real failing) )) failing (both halves)"
[ "$devStatus" -eq 0 ] && [ "$realStatus" -eq 0 ]
