# tracee-sig: `make run` installs, builds and replays the bundled recordings;
# `make test` installs what the tests need and runs them.
NPM_INSTALL_STAMP := node_modules/.install-stamp

.PHONY: install build run test bench clean

install: $(NPM_INSTALL_STAMP)

$(NPM_INSTALL_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: install
	npx tsc -p tsconfig.json

# Each recording is its own scenario (several reuse container ids), so each is
# replayed on its own; one replay of several files treats them as one stream.
run: build
	@for f in fixtures/*.json; do echo "== $$f" >&2; bin/tracee-sig replay "$$f" || exit $$?; done

test: build
	npx mocha
	bin/tracee-sig test fixtures/cases

clean:
	rm -rf dist node_modules
