# Linux GCS: build, test and benchmark targets. `make help` lists them.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

GO      ?= go
BIN     := bin
GOFLAGS_BUILD := -trimpath
FUZZTIME ?= 60s
# The short run inside `make test` counts executions rather than seconds: Go
# 1.26's fuzz coordinator can fail a duration-bounded run with a spurious
# "context deadline exceeded" when the machine is busy (go.dev/issue/75804).
SHORT_FUZZTIME ?= 200000x
# The request handler targets run a real Host (a few hundred executions a
# second), so they get their own budget: FUZZTIME in `make fuzz`, a small
# count in `make test`.
HANDLER_FUZZTIME ?= $(FUZZTIME)
SHORT_HANDLER_FUZZTIME ?= 100x
PROT_FUZZ := FuzzDecodeMessage FuzzUnmarshalContainerModifySettings
HANDLER_FUZZ := FuzzCreate FuzzStart FuzzShutdownGraceful FuzzShutdownForced \
	FuzzExecuteProcess FuzzWaitForProcess FuzzSignalProcess FuzzResizeConsole \
	FuzzGetProperties FuzzModifySettings FuzzDumpStacks FuzzDeleteContainerState \
	FuzzNegotiateProtocol
# `make soak`: cycles, parallelism, runtimes and faults (see docs/SOAK.md).
SOAK_CYCLES ?= 500
SOAK_PARALLEL ?= 50
SOAK_RUNTIMES ?= runc crun
SOAK_FAULTS ?= runtime-kill conn-drop stdio-close disk-full
# Packages whose concurrency matters most always run under the race detector.
RACE_PKGS := ./internal/bridge/... ./client/... ./internal/transport/...
# The policy tests whose compiles run in the background (the whole package is slow under -race).
POLICY_RACE_TESTS := Background|TestNativeMatchesOPAOnCorpus|TestFragmentRollback

.PHONY: help deps build test race-e2e bench fuzz fuzz-findings soak demo clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## Install what is missing (Debian packages as root, Go modules)
	@./scripts/deps.sh

build: ## Build bin/gcs and bin/gcsctl
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/gcs ./cmd/gcs
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/gcsctl ./cmd/gcsctl

test: deps ## Run every test (race detector on the bridge, client, transport and policy engine), with short fuzz runs
	$(GO) vet ./...
	$(GO) test -race -count=1 $(RACE_PKGS)
	$(GO) test -race -count=1 ./internal/policy/engine/
	$(GO) test -race -count=1 -run '$(POLICY_RACE_TESTS)' ./internal/policy/
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory race-e2e
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(SHORT_FUZZTIME) HANDLER_FUZZTIME=$(SHORT_HANDLER_FUZZTIME)

race-e2e: ## The end-to-end tests (short mode) against a gcs built with the race detector
	GCS_E2E_RACE=1 $(GO) test -count=1 -short ./test/

bench: deps ## Run the benchmarks, print each issue-13 goal against its floor; rewrites docs/scaling.{md,svg}
	GCS_BENCH_DOCS=$(CURDIR)/docs $(GO) test -run=NONE -bench=. -benchmem -count=1 -timeout 30m ./test/ ./internal/cgroup/

fuzz: ## Fuzz the decoders and every request handler, each target for FUZZTIME (default 60s)
	@set -e; for t in $(PROT_FUZZ); do \
		echo "$(GO) test -run=NONE -fuzz=^$$t\$$ -fuzztime=$(FUZZTIME) ./internal/prot/"; \
		$(GO) test -run=NONE -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) ./internal/prot/; \
	done
	@set -e; for t in $(HANDLER_FUZZ); do \
		echo "$(GO) test -run=NONE -fuzz=^$$t\$$ -fuzztime=$(HANDLER_FUZZTIME) ./internal/hcsv2/"; \
		$(GO) test -run=NONE -fuzz="^$$t\$$" -fuzztime=$(HANDLER_FUZZTIME) ./internal/hcsv2/; \
	done

fuzz-findings: ## Replay fuzz findings not fixed yet (internal/hcsv2/testdata/fuzz-findings); fails while any defect remains
	GCS_FUZZ_FINDINGS=1 $(GO) test -count=1 -v -run='^TestFuzzFindings$$' ./internal/hcsv2/

soak: deps ## Soak the real gcs: SOAK_CYCLES create/exec/delete cycles, SOAK_PARALLEL at once, with faults; writes docs/SOAK.md
	GCS_SOAK=1 GCS_SOAK_CYCLES=$(SOAK_CYCLES) GCS_SOAK_PARALLEL=$(SOAK_PARALLEL) \
		GCS_SOAK_RUNTIMES="$(SOAK_RUNTIMES)" GCS_SOAK_FAULTS="$(SOAK_FAULTS)" GCS_SOAK_REPORT=$(CURDIR)/docs/SOAK.md \
		$(GO) test -count=1 -v -timeout 40m -run='^TestSoak$$' ./test/

demo: deps build ## Start gcs on a unix socket and drive it with gcsctl
	@./scripts/demo.sh

clean: ## Remove build output
	rm -rf $(BIN)
include vm.mk
