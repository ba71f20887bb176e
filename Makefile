# Build, test and run hashless. `make test` is what CI runs (via .ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

GO ?= go
FUZZTIME ?= 30s
ARGS ?=

.PHONY: build test bench fuzz run pool

## build: the binary at bin/hashless
build:
	$(GO) build -o bin/hashless ./cmd/hashless

## test: every test (Go unit and integration tests, e2e scripts, bench smoke)
test:
	scripts/test

## bench: the benchmarks (scripts/bench)
bench:
	@if [[ -x scripts/bench ]]; then \
		scripts/bench; \
	else \
		echo "scripts/bench is missing or not executable" >&2; \
		exit 1; \
	fi

## fuzz: each Fuzz target, one after another, for FUZZTIME each (make fuzz FUZZTIME=2m)
fuzz:
	@targets=$$($(GO) test -list 'Fuzz.*' ./... | awk '/^Fuzz/ { n[c++] = $$1; next } /^ok[ \t]/ { for (i = 0; i < c; i++) print $$2, n[i]; c = 0 }'); \
	if [[ -z "$$targets" ]]; then echo "no Fuzz targets found"; exit 0; fi; \
	while read -r pkg name; do \
		echo "=== fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
	done <<< "$$targets"

## run: the main job, the customer auth service `hashless serve`, on its defaults
## (127.0.0.1:8080, ./hashless.db, the pool embedded); extra flags: make run ARGS='...'
run:
	$(GO) run ./cmd/hashless serve $(ARGS)

## pool: the Cognito-compatible user pool server alone (extra flags: make pool ARGS='...')
pool:
	$(GO) run ./cmd/hashless pool $(ARGS)
