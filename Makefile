# tracee-sig: `make run` installs, builds and replays the bundled recordings;
# `make test` installs what the tests need and runs them.
NPM_INSTALL_STAMP := node_modules/.install-stamp

.PHONY: install build run test bench bench-grpc clean

install: $(NPM_INSTALL_STAMP)

$(NPM_INSTALL_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: install
	npx tsc -p tsconfig.json

run: build
	bin/tracee-sig replay fixtures/*.json

test: build
	npx mocha

# Benchmarks (not timed tests): figures go to stdout and bench/out/; see bench/RESULTS.md.
bench: bench-grpc

bench-grpc: build
	node dist/bench/grpc/run.js

clean:
	rm -rf dist node_modules
