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
# Packages whose concurrency matters most always run under the race detector.
RACE_PKGS := ./internal/bridge/... ./client/... ./internal/transport/...

.PHONY: help deps build test race-e2e bench fuzz demo clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## Install what is missing (Debian packages as root, Go modules)
	@./scripts/deps.sh

build: ## Build bin/gcs and bin/gcsctl
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/gcs ./cmd/gcs
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/gcsctl ./cmd/gcsctl

test: deps ## Run every test (race detector on the bridge, client and transport), with short fuzz runs
	$(GO) vet ./...
	$(GO) test -race -count=1 $(RACE_PKGS)
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory race-e2e
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(SHORT_FUZZTIME)

race-e2e: ## The end-to-end tests (short mode) against a gcs built with the race detector
	GCS_E2E_RACE=1 $(GO) test -count=1 -short ./test/

bench: deps ## Run the benchmarks (each against its floor measured in the same run)
	$(GO) test -run=NONE -bench=. -benchmem -count=1 -timeout 30m ./test/ ./internal/cgroup/

fuzz: ## Fuzz each target for FUZZTIME (default 60s)
	$(GO) test -run=NONE -fuzz='^FuzzDecodeMessage$$' -fuzztime=$(FUZZTIME) ./internal/prot/
	$(GO) test -run=NONE -fuzz='^FuzzUnmarshalContainerModifySettings$$' -fuzztime=$(FUZZTIME) ./internal/prot/

demo: deps build ## Start gcs on a unix socket and drive it with gcsctl
	@./scripts/demo.sh

clean: ## Remove build output
	rm -rf $(BIN)
include vm.mk
