# appflowc — see README.md. Static binary (kustomize's plugin import otherwise links libc).
GO      ?= go
BIN     ?= bin/appflowc
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
export CGO_ENABLED = 0
export GOTOOLCHAIN = local
LDFLAGS := -s -w -X github.com/appflowc/appflowc/cmd/appflowc/cli.version=$(VERSION)

.PHONY: build demo test test-unit test-stack test-browser browser lint golden docs bench fuzz testenv testenv-up clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/appflowc

# The main job on the bundled examples.
demo: build
	@for d in examples/*/; do n=$$(basename $$d); \
	  echo "== appflowc vet $$d"; ./$(BIN) vet $$d || exit 1; \
	  echo "== appflowc render $$d -o out/$$n --expand"; ./$(BIN) render $$d -o out/$$n --expand || exit 1; \
	  ./$(BIN) render $$d -o out/$$n --expand --check >/dev/null || exit 1; done

# Packages whose tests run the local control plane (built by make testenv); every other
# package is a unit package, tested under the race detector (which needs cgo).
STACK_PKGS := ./apply/ ./internal/testenv/
BROWSER_PKGS := ./ui/browsertest/
UNIT_PKGS   = $$($(GO) list ./... | grep -v -e '/apply$$' -e '/internal/testenv$$' -e '/ui/browsertest$$')
STACK_TIMEOUT ?= 30m

# Unit tests first, so that a mistake shows in minutes, before the control plane's long
# first build; then the stack tests. Not side by side: on 2 cores the race-detector unit
# tests starve the API server (Argo CD's OpenAPI reads time out into ComparisonErrors).
# The browser tests come last, after their own install step: nothing else needs Chromium.
test: lint test-unit testenv test-stack test-browser
	@# The agreement counts of Argo's examples: handed to the validation (TestArgoExamplesPeerSuite)
	@# and brought through the CLI as a user would (TestArgoExamplesThroughTheCLI).
	@$(GO) test -count=1 -run '^TestArgoExamplesPeerSuite$$' -v ./render/ | grep 'peer suite:' | sed 's/^ *peer_test.go:[0-9]*: //'
	@$(GO) test -count=1 -run '^TestArgoExamplesThroughTheCLI$$' -v ./cmd/appflowc/cli/ | grep 'through the CLI:' | sed 's/^ *argoexamples_test.go:[0-9]*: //'

test-unit:
	CGO_ENABLED=1 $(GO) test -race $(UNIT_PKGS)

test-stack: testenv
	$(GO) test -timeout $(STACK_TIMEOUT) $(STACK_PKGS)

# appflowc ui in headless Chromium against the local control plane (screenshots in
# out/screenshots).
test-browser: testenv browser
	$(GO) test -timeout $(STACK_TIMEOUT) $(BROWSER_PKGS)

# Debian's chromium for the browser tests (once; apt caches it).
browser:
	hack/browser/install.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Rewrites golden files and testscript expectations; read the diff before committing.
golden:
	$(GO) test ./render/ ./cmd/appflowc/cli/ -update

# Every fuzz target for FUZZTIME each (the seeds alone run in make test). New crashers
# land in the package's testdata/fuzz and then run in make test too: commit them.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; done

# The CLI reference (docs/cli/*.md) and man pages (docs/man/*.1), from the cobra tree.
docs:
	rm -rf docs/cli docs/man
	$(GO) run ./hack/docs

# Whole-process figures against `cue export` (built once at the pinned CUE version), the
# request count of apply+watch on the local control plane, then the Go benchmarks of the
# hot paths. BENCH_SIZES / BENCH_RUNS / BENCH_WORKFLOWS tune it (above 10,000 entries each
# row is one run: -large-runs).
BENCH_SIZES     ?= 100,1000,10000,100000
BENCH_RUNS      ?= 3
BENCH_WORKFLOWS ?= 100
bench: build
	$(GO) run ./bench -appflowc $(BIN) -sizes $(BENCH_SIZES) -runs $(BENCH_RUNS)
	$(GO) run ./bench -apply $(BENCH_WORKFLOWS)
	$(GO) test ./render/ -run '^$$' -bench . -benchmem

# Builds the local control plane (kube-apiserver, etcd, kwok, Argo, Argo CD, helm) into
# $$HOME/.cache/appflowc/testenv, with progress; under a second when built, 15-20 min cold
# on 2 cores (see README "Testing").
testenv:
	hack/testenv/build.sh

# Starts the local control plane by hand (private network namespace) until Ctrl-C.
testenv-up:
	$(GO) run ./internal/testenv/up

clean:
	rm -rf bin
