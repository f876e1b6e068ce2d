# tracee-sig: `make run` installs, builds and replays the bundled recordings;
# `make test` installs what the tests need and runs them.
NPM_INSTALL_STAMP := node_modules/.install-stamp

.PHONY: install build run test test-deps bench bench-memory bench-grpc bench-replay soak clean

install: $(NPM_INSTALL_STAMP)

$(NPM_INSTALL_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# The package's types (tracee-sig/sdk, tracee-sig/testing), then the example
# user signature, built against them as a user's project would be.
build: install
	@npx tsc -p tsconfig.json
	@npx tsc -p tsconfig.types.json
	@npx tsc -p examples/cloud-metadata

# Each recording is its own scenario (several reuse container ids), so each is
# replayed on its own; one replay of several files treats them as one stream.
run: build
	@for f in fixtures/*.json; do echo "== $$f" >&2; bin/tracee-sig replay "$$f" || exit $$?; done

# The mutual-TLS tests make their certificates with the openssl CLI (Debian's).
test-deps:
	@command -v openssl >/dev/null 2>&1 || { sudo=""; [ "$$(id -u)" -ne 0 ] && sudo=sudo; $$sudo apt-get update -qq && $$sudo apt-get install -y -qq openssl; }

# The example signature runs through --signatures-dir beside TRC-1013: its own
# tests, its cases and every built-in case with it loaded.
test: build test-deps
	npx mocha
	npx mocha --no-config --timeout 30000 'examples/cloud-metadata/dist/test/**/*.test.js'
	bin/tracee-sig test --signatures-dir examples/cloud-metadata/dist fixtures/cases examples/cloud-metadata/cases

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
