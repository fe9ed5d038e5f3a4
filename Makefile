# Flint's tasks. `make help` lists them; every target needs only Go (and, on
# Debian, installs what else it needs with apt-get: gcc for -race, wabt for wat,
# clang, lld and wasi-libc for C).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

GO       ?= go
BIN      := $(CURDIR)/bin
FUZZTIME ?= 1m
# go test's -timeout for the whole suite: the Go guests compile slowly
# under the race detector the first time on a machine.
TEST_TIMEOUT ?= 30m

STATICCHECK_VERSION := v0.8.2
STATICCHECK         := $(BIN)/staticcheck
STATICCHECK_STAMP   := $(BIN)/.staticcheck-$(STATICCHECK_VERSION)

# Guests are built for WASI preview 1 as reactors: the host calls their
# exports, main never runs.
WASI        := GOOS=wasip1 GOARCH=wasm
GUEST_PKGS  := ./abi/guest/... ./guest-examples/...
GUESTS      := $(sort $(patsubst guest-examples/%/,%,$(dir $(wildcard guest-examples/*/*.go))))

# Root runs apt-get itself; anyone else through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT  := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: help
help: ## list the targets
	@echo "Usage: make TARGET   (FUZZTIME=$(FUZZTIME) for fuzz)"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: tools
tools: $(STATICCHECK_STAMP) ## install the pinned staticcheck into ./bin

$(STATICCHECK_STAMP):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@rm -f $(BIN)/.staticcheck-* && touch $@

# staticcheck 0.8.2 does not count //go:wasmexport functions as used, so in
# the guest packages everything the host reaches through an export looks
# unused: U1000 is off for them, on for everything else.
.PHONY: lint
lint: tools ## check formatting, go vet and staticcheck (host and wasip1)
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -w needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags extism ./bench/...
	$(STATICCHECK) $$($(GO) list ./... | grep -v -e '/abi/guest' -e '/guest-examples/')
	$(STATICCHECK) -tags extism ./bench/...
	$(STATICCHECK) -checks inherit,-U1000 $(GUEST_PKGS)
	$(WASI) $(GO) vet $(GUEST_PKGS)
	$(WASI) $(STATICCHECK) -checks inherit,-U1000 $(GUEST_PKGS)

# The race detector needs cgo, so a C compiler.
.PHONY: cc
cc: ## install gcc if missing (go test -race needs a C compiler)
	@if ! command -v "$$($(GO) env CC)" >/dev/null; then \
		echo "installing gcc for the race detector"; \
		$(APT) update -qq && $(APT) install -y -qq --no-install-recommends gcc libc6-dev; \
	fi

# The console's browser tests (gateway/console) drive Debian's chromium,
# headless; without apt-get (not Debian) they skip and say why.
.PHONY: browser
browser: ## install chromium if missing (the console's browser tests drive it)
	@if ! command -v chromium >/dev/null; then \
		if command -v apt-get >/dev/null; then \
			echo "installing chromium for the console's browser tests"; \
			$(APT) update -qq && $(APT) install -y -qq --no-install-recommends chromium; \
		else \
			echo "no chromium and no apt-get: the console's browser tests will skip"; \
		fi; \
	fi

# The WebAssembly toolchains the tests of flint new/build and the C header
# use: clang, lld, wasi-libc and compiler-rt for C, wabt for WAT.
.PHONY: wasm-tools
wasm-tools: ## install clang, lld, wasi-libc, compiler-rt for wasm32 and wabt if missing
	@if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null || ! command -v wat2wasm >/dev/null || \
		[ ! -f /usr/lib/wasm32-wasi/libc.a ] || \
		[ ! -f "$$(clang --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null)" ]; then \
		echo "installing clang, lld, wasi-libc, compiler-rt for wasm32 and wabt"; \
		$(APT) update -qq && $(APT) install -y -qq --no-install-recommends clang lld wasi-libc libclang-rt-dev-wasm32 wabt; \
	fi

# The benchmark runner's Extism rows are built only with the extism tag
# (the flint binary does not link Extism's SDK otherwise): its packages
# are tested both ways.
# wasm-tools: the tests of flint new/build and of the C header build C
# and WAT functions. The doc tests (make docs) are among ./...
# third_party/_wazero is a module of its own, outside ./...: the tests of
# the package Flint's patch changes run from its directory (without the
# race detector: the patch adds no concurrency, and wazero's tests take
# more than twice as long with it).
.PHONY: test
test: lint cc browser wasm-tools ## lint, then run every test with the race detector
	CGO_ENABLED=1 $(GO) test -race -timeout $(TEST_TIMEOUT) ./...
	CGO_ENABLED=1 $(GO) test -race -timeout $(TEST_TIMEOUT) -tags extism ./bench/...
	CGO_ENABLED=1 $(GO) test -race -timeout $(TEST_TIMEOUT) -tags flintjson_goccy ./abi/guest/internal/jsoncodec/
	cd third_party/_wazero && $(GO) test -timeout $(TEST_TIMEOUT) ./internal/engine/wazevo/

# The Markdown's relative links and anchors, and the flags the README
# shows, against the files and the CLI (make test runs these tests too).
.PHONY: docs
docs: ## check every relative Markdown link and every flag the README shows against the code
	$(GO) test -count=1 -run '^(TestMarkdownLinks|TestAnchor)$$' ./internal/doclinks
	$(GO) test -count=1 -run '^TestREADMEFlags$$' ./cmd/flint

.PHONY: guests
guests: ## build every Go example to build/guests/NAME.wasm
	@mkdir -p build/guests
	@for g in $(GUESTS); do \
		echo "$(WASI) $(GO) build -buildmode=c-shared -o build/guests/$$g.wasm ./guest-examples/$$g"; \
		$(WASI) $(GO) build -buildmode=c-shared -o build/guests/$$g.wasm ./guest-examples/$$g; \
	done

# A deliberately invalid module says "wat2wasm --no-check" in its comments,
# and is built that way.
.PHONY: wat
wat: ## regenerate the committed .wasm files from their .wat sources
	@if ! command -v wat2wasm >/dev/null; then \
		echo "installing wabt for wat2wasm"; \
		$(APT) update -qq && $(APT) install -y -qq --no-install-recommends wabt; \
	fi
	@for src in $$(find guest-examples engine/testdata gateway/testdata gateway/console/testdata engine/internal/abihost/testdata engine/internal/wasmbin/testdata bench/wasmexec/testdata -name '*.wat' 2>/dev/null | sort); do \
		flags=""; \
		if grep -q '^;;.*wat2wasm --no-check' "$$src"; then flags="--no-check"; fi; \
		echo "wat2wasm $${flags:+$$flags }$$src -o $${src%.wat}.wasm"; \
		wat2wasm $$flags "$$src" -o "$${src%.wat}.wasm"; \
	done

# The C examples (guest-examples/c-*/NAME.c) are WASI reactors built with
# Debian's clang, lld, wasi-libc and wasm32 compiler-rt; each NAME.wasm is
# committed beside its source so that tests need no C toolchain.
C_GUEST_SRCS := $(sort $(wildcard guest-examples/c-*/*.c))
WASI_CC      ?= clang
WASI_CFLAGS  := --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -Wall -Wextra -Werror -Wl,--strip-debug -Iabi/guest/c

.PHONY: c-guests
c-guests: ## build the C examples into the .wasm beside each source
	@if ! command -v $(WASI_CC) >/dev/null || ! command -v wasm-ld >/dev/null || \
		[ ! -f /usr/lib/wasm32-wasi/libc.a ] || \
		[ ! -f "$$($(WASI_CC) --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null)" ]; then \
		echo "installing clang, lld, wasi-libc and compiler-rt for wasm32"; \
		$(APT) update -qq && $(APT) install -y -qq --no-install-recommends clang lld wasi-libc libclang-rt-dev-wasm32; \
	fi
	@for src in $(C_GUEST_SRCS); do \
		echo "$(WASI_CC) $(WASI_CFLAGS) -o $${src%.c}.wasm $$src"; \
		$(WASI_CC) $(WASI_CFLAGS) -o "$${src%.c}.wasm" "$$src"; \
	done

.PHONY: build
build: ## build the flint command into bin/flint
	$(GO) build -o bin/flint ./cmd/flint

# The server keeps its state in ./.flint between runs; FLINT_LISTEN picks
# another address (FLINT_LISTEN=127.0.0.1:8081 make run).
.PHONY: run
run: build guests ## build flint and the guests, start the server with the examples deployed
	scripts/run.sh

.PHONY: cluster
cluster: build guests ## start three local nodes as one Flint cluster (data in .flint/cluster/)
	scripts/cluster.sh

# flint bench's section of bench/RESULTS.md is what lies between its
# begin and end markers: the markdown report and the chart, regenerated
# here (the raw JSON, for flint bench --compare, in bench/results/). Its
# HTTP scenarios need wrk; the WAT modules are rebuilt when wat2wasm is
# there (make wat installs it), else the committed ones are used.
BENCH_FLAGS ?= --example go-hello --example wat-echo --example markdown --http --concurrency 1,2,16,64,128 --duration 3s
BENCH_BEGIN := <!-- flint bench: begin -->
BENCH_END   := <!-- flint bench: end -->

.PHONY: bench
bench: ## run flint bench (refreshing bench/RESULTS.md and bench/chart.svg), then the Go benchmarks in bench/
	@if ! command -v wrk >/dev/null; then \
		echo "installing wrk for flint bench's HTTP scenarios"; \
		$(APT) update -qq && $(APT) install -y -qq --no-install-recommends wrk; \
	fi
	@if command -v wat2wasm >/dev/null; then $(GO) generate ./bench/peers ./bench/runner; fi
	$(GO) build -tags extism -o bin/flint ./cmd/flint
	@mkdir -p bench/results
	bin/flint bench $(BENCH_FLAGS) -o markdown --chart bench/chart.svg \
		--save bench/results/flint-bench.json > bench/results/flint-bench.md
	@{ awk -v m='$(BENCH_BEGIN)' '$$0 == m {exit} {print}' bench/RESULTS.md; \
	   echo '$(BENCH_BEGIN)'; echo; \
	   echo 'Command: `make bench`, which runs `bin/flint bench $(BENCH_FLAGS) -o markdown --chart bench/chart.svg`.'; echo; \
	   cat bench/results/flint-bench.md; echo; \
	   echo '![flint bench: latency per scenario and throughput against concurrency](chart.svg)'; echo; \
	   echo '$(BENCH_END)'; \
	   awk -v m='$(BENCH_END)' 'after {print} $$0 == m {after = 1}' bench/RESULTS.md; \
	} > bench/RESULTS.md.tmp && mv bench/RESULTS.md.tmp bench/RESULTS.md
	@echo "bench/RESULTS.md: flint bench section updated"
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./bench/ | tee bench/latest.txt

.PHONY: bench-guest
bench-guest: ## run the guest SDK's benchmarks natively, then compiled to wasip1 inside wazero (bench/wasmexec)
	$(GO) build -o bin/wasmexec ./bench/wasmexec
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./abi/guest/httpguest/ | tee bench/results/guest-native.txt
	GOOS=wasip1 GOARCH=wasm $(GO) test -exec $(CURDIR)/bin/wasmexec -run '^$$' -bench . -benchmem -count 6 \
		./abi/guest/httpguest/ | tee bench/results/guest-wasm.txt

# Not in CI: flint serve under mixed load from a second process for
# SOAK_DURATION, reporting errors, latency, RSS and goroutines over time
# and lost async events (bench/soak); exits non-zero if an event was lost
# or the server crashed.
SOAK_DURATION ?= 10m

.PHONY: soak
soak: build guests ## run flint serve under mixed load for SOAK_DURATION (report in bench/results/soak.md)
	$(GO) run ./bench/soak --duration $(SOAK_DURATION) --report bench/results/soak.md

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
		for target in $$($(GO) test -list '^Fuzz' "$$pkg" | grep '^Fuzz' || true); do \
			echo "$(GO) test -run '^$$' -fuzz '^$$target\$$' -fuzztime $(FUZZTIME) $$pkg"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
		done; \
	done

.PHONY: clean
clean: ## remove bin/ and build/
	rm -rf bin build
