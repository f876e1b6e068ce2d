# tracee-sig: `make run` installs, builds and replays the bundled recordings;
# `make test` installs what the tests need and runs them.
NPM_INSTALL_STAMP := node_modules/.install-stamp

.PHONY: install build run test test-deps bench bench-memory bench-grpc bench-replay soak clean

install: $(NPM_INSTALL_STAMP)

# Install and build output goes to stderr: `make run > findings.jsonl` holds findings only.
$(NPM_INSTALL_STAMP): package.json package-lock.json
	@echo "npm ci --no-audit --no-fund" >&2 && npm ci --no-audit --no-fund >&2
	@touch $@

build: install
	@npx tsc -p tsconfig.json >&2

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

test: build test-deps
	npx mocha
	bin/tracee-sig test fixtures/cases

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
