# tracee-sig: `make run` installs, builds and replays the bundled recordings;
# `make test` installs what the tests need and runs them.
NPM_INSTALL_STAMP := node_modules/.install-stamp

.PHONY: install build run test test-deps bench bench-memory bench-grpc bench-replay soak clean \
	plugin plugin-builtin plugin-test plugin-test-if-go plugin-check bench-plugin go-check

install: $(NPM_INSTALL_STAMP)

# Install and build output goes to stderr: `make run > findings.jsonl` holds findings only.
$(NPM_INSTALL_STAMP): package.json package-lock.json
	@echo "npm ci --no-audit --no-fund" >&2 && npm ci --no-audit --no-fund >&2
	@touch $@

# tsc, then ajv's code for our own schemas (a command loads it instead of
# compiling them: see src/host/schema.ts), the package's types (tracee-sig/sdk,
# tracee-sig/testing), then the example user signature, built against them as a
# user's project would be.
# tsc's folders are emptied first, so a moved or deleted source leaves no stale
# module (or test) behind in dist/; dist/plugin and Tracee's builds stay.
build: install
	@rm -rf dist/src dist/signatures dist/test dist/bench dist/fixtures
	@npx tsc -p tsconfig.json >&2
	@node dist/src/host/precompile-schemas.js
	@npx tsc -p tsconfig.types.json >&2
	@npx tsc -p examples/cloud-metadata >&2

# Each recording is its own scenario (several reuse container ids), so each is
# replayed on its own; one replay of several files treats them as one stream.
# Each replay writes its findings to a temporary file first, to count them for the total line.
run: build
	@tmp=$$(mktemp) && trap 'rm -f "$$tmp"' EXIT && total=0 && counts="" && \
	for f in fixtures/*.json; do \
	  echo "== $$f" >&2; \
	  bin/tracee-sig replay --output-file "$$tmp" "$$f" || exit $$?; \
	  cat "$$tmp"; n=$$(wc -l < "$$tmp"); total=$$((total + n)); counts="$$counts $$(basename "$$f") $$n,"; \
	done && echo "make run: findings:$$counts $$total in all" >&2

# The mutual-TLS tests make their certificates with the openssl CLI (Debian's).
test-deps:
	@command -v openssl >/dev/null 2>&1 || { sudo=""; [ "$$(id -u)" -ne 0 ] && sudo=sudo; $$sudo apt-get update -qq && $$sudo apt-get install -y -qq openssl; }

# The example signature runs through --signatures-dir beside TRC-1013: its own
# tests, its cases and every built-in case with it loaded.
test: build test-deps
	npx mocha
	npx mocha --no-config --timeout 30000 'examples/cloud-metadata/dist/test/**/*.test.js'
	bin/tracee-sig test --signatures-dir examples/cloud-metadata/dist fixtures/cases examples/cloud-metadata/cases
	@$(MAKE) --no-print-directory plugin-test-if-go

# Benchmarks (not timed tests): figures go to bench/RESULTS.md (each its own section).
bench: bench-replay bench-grpc bench-memory

# Whole-process replay on 1,000,000-event recordings beside floors measured in the same run.
bench-replay: build
	node dist/bench/replay-bench.js

# TRC-1013 state for 100,000 armed containers must fit in 64 MiB of heap.
bench-memory: build
	node --expose-gc dist/bench/memory/containers.js

# OnEvents throughput from a separate client process, beside the grpc-js transport floor;
# then serve's event-to-finding latency at 10,000 events/s offered.
bench-grpc: build
	node dist/bench/grpc/run.js
	node dist/bench/grpc/latency.js

# Steady load on serve for SOAK_SECONDS (default 120); RSS must stay flat after warm-up. Not in `make test`.
soak: build
	node dist/bench/soak/run.js

clean:
	rm -rf dist node_modules

# -- The Tracee signature plugin (plugin/, Go) ---------------------------------
# A .so loads only into a Tracee built with the same Go, module versions and
# paths, tags and libc: plugin/go.mod pins Tracee v0.24.1's go.mod, and
# plugin/go.main.mod Tracee main's (types from a checkout at TRACEE_SRC).
GO ?= $(shell command -v go 2>/dev/null || { test -x /usr/local/go/bin/go && echo /usr/local/go/bin/go; })
GO_REQUIRED := 1.24
TRACEE_VERSION ?= v0.24.1
TRACEE_SRC ?= /tracee
PLUGIN ?= dist/plugin/tracee-sig.so
# Empty when Go is usable, else why not.
GO_PROBLEM = $(shell v=$$($(GO) env GOVERSION 2>/dev/null | sed 's/^go//'); \
	if [ -z "$(GO)" ]; then echo "Go is not installed"; \
	elif [ -z "$$v" ]; then echo "$(GO) does not run"; \
	elif [ "$$(printf '%s\n%s\n' $(GO_REQUIRED) "$$v" | sort -V | head -n1)" != "$(GO_REQUIRED)" ]; then echo "Go $$v is older than $(GO_REQUIRED)"; fi)

go-check:
	@if [ -n "$(GO_PROBLEM)" ]; then echo "$(GO_PROBLEM): the plugin needs Go >= $(GO_REQUIRED) (https://go.dev/dl/)" >&2; exit 1; fi

# The signature list is tracee-sig's own (list --json), embedded into the .so.
plugin: build go-check
	@bin/tracee-sig list --json > plugin/so/signatures.json
	@mkdir -p $(dir $(PLUGIN))
ifeq ($(TRACEE_VERSION),v0.24.1)
	cd plugin && $(GO) build -buildmode=plugin -o $(abspath $(PLUGIN)) ./so
else ifeq ($(TRACEE_VERSION),main)
	@test -f $(TRACEE_SRC)/types/go.mod || { echo "TRACEE_VERSION=main needs TRACEE_SRC=<a checkout of Tracee main> (have: $(TRACEE_SRC)); Tracee main builds types from its tree" >&2; exit 1; }
	cp plugin/go.main.mod dist/plugin/main.mod && cp plugin/go.main.sum dist/plugin/main.sum
	cd plugin && $(GO) mod edit -modfile=$(abspath dist/plugin/main.mod) -replace github.com/aquasecurity/tracee/types=$(abspath $(TRACEE_SRC))/types
	cd plugin && $(GO) build -modfile=$(abspath dist/plugin/main.mod) -buildmode=plugin -o $(abspath $(PLUGIN)) ./so
else
	@echo "TRACEE_VERSION must be v0.24.1 or main (got $(TRACEE_VERSION)); another release needs plugin/go.mod pinned to its go.mod" >&2; exit 1
endif

# Bridge unit tests (race detector), then tracee-sig.so loaded by Tracee v0.24.1's own
# loader beside Tracee's built-in signatures, against a real serve.
# Tracee v0.24.1's built-in signatures built as plugins in the test host's module:
# as Tracee ships them, and with the image recipe's edit (no TRC-1013).
plugin-builtin: go-check
	cd plugin/host && $(GO) build -buildmode=plugin -o $(abspath dist/tracee-builtin/builtin.so) github.com/aquasecurity/tracee/signatures/golang
	rm -rf plugin/host/_build && mkdir -p plugin/host/_build/builtin-without-trc1013
	src=$$(cd plugin/host && $(GO) list -m -f '{{.Dir}}' github.com/aquasecurity/tracee)/signatures/golang; \
	  for f in $$src/*.go; do case $$f in *_test.go) ;; *) cp $$f plugin/host/_build/builtin-without-trc1013/ ;; esac; done
	chmod -R u+w plugin/host/_build && sed -i '/&K8sApiConnection{},/d' plugin/host/_build/builtin-without-trc1013/export.go
	cd plugin/host && $(GO) build -buildmode=plugin -o $(abspath dist/tracee-builtin-without-trc1013/builtin.so) ./_build/builtin-without-trc1013

# Bridge unit tests (race detector), then tracee-sig.so loaded by Tracee v0.24.1's own
# loader beside Tracee's built-in signatures, against a real serve.
plugin-test: plugin plugin-builtin
	cd plugin && $(GO) test -race -count=1 ./bridge/ ./cmd/...
	@mkdir -p dist/plugin
	cd plugin/host && { $(GO) test -count=1 -v . > $(abspath dist/plugin/host-test.log) 2>&1; status=$$?; grep -v '^=== ' $(abspath dist/plugin/host-test.log); exit $$status; }

# Events/s host -> tracee-sig.so -> serve -> Callback, beside Tracee's TRC-1013; writes bench/RESULTS.md.
bench-plugin: plugin plugin-builtin
	cd plugin/host && $(GO) run ./cmd/bench-plugin -root ../.. -results ../../bench/RESULTS.md

# Module downloads stay in Go's module cache between runs; without the module proxy
# (and nothing cached) the tests cannot build, which is said, not hidden.
# In CI (CI=true) a skip is a failure: the plugin tests must run there.
plugin-test-if-go:
	@skip() { echo "plugin tests SKIPPED: $$1"; [ "$(CI)" != true ] || { echo "CI=true: the plugin tests are required in CI" >&2; exit 1; }; }; \
	if [ -n "$(GO_PROBLEM)" ]; then skip "$(GO_PROBLEM); they need Go >= $(GO_REQUIRED)"; \
	elif ! (cd plugin && $(GO) mod download) >/dev/null 2>&1 || ! (cd plugin/host && $(GO) mod download) >/dev/null 2>&1; then \
	  skip "the Go modules they build with cannot be downloaded (GOPROXY=$$($(GO) env GOPROXY)); run make plugin-test to see why"; \
	else $(MAKE) --no-print-directory plugin-test; fi

# Will this Tracee load this .so? make plugin-check TRACEE=/path/to/tracee [PLUGIN=...]
plugin-check: go-check
	@test -n "$(TRACEE)" || { echo "usage: make plugin-check TRACEE=/path/to/tracee [PLUGIN=$(PLUGIN)]" >&2; exit 2; }
	@cd plugin && $(GO) run ./cmd/plugin-check $(abspath $(TRACEE)) $(abspath $(PLUGIN))
