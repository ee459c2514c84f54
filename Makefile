# AgentIdP. `make` alone lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO            ?= go
BIN           := $(CURDIR)/bin
DATA_DIR      ?= .data
GOLANGCI_VER  := v2.15.0
GOLANGCI_LINT := $(BIN)/golangci-lint
FUZZTIME      ?= 10s

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: build ## build, then run `agentidp dev --data-dir .data` (API on 127.0.0.1:8443, ops on 127.0.0.1:9464)
	$(BIN)/agentidp dev --data-dir $(DATA_DIR)

.PHONY: build
build: ## build bin/agentidp with the version and commit stamped in
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/agentidp ./cmd/agentidp

.PHONY: test
test: ## go vet, gofmt check, and every test with -race (starts PostgreSQL if it can)
	@set -euo pipefail; \
	url="$$(scripts/ensure-postgres.sh)"; \
	trap 'scripts/ensure-postgres.sh stop' EXIT; \
	if [ -n "$$url" ]; then export AGENTIDP_TEST_DATABASE_URL="$$url"; fi; \
	$(GO) vet ./...; \
	$(MAKE) --no-print-directory fmt-check; \
	$(GO) test -race ./...

.PHONY: fmt-check
fmt-check: ## fail when a Go file is not gofmt-formatted
	@files="$$(gofmt -l $$(find . -name '*.go' -not -path './bin/*' -not -path './$(DATA_DIR)/*'))"; \
	if [ -n "$$files" ]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi

.PHONY: lint
lint: $(GOLANGCI_LINT) ## run golangci-lint (installed into bin/ on first use, ~2 minutes)
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VER)

.PHONY: bench
bench: ## run every benchmark once with allocation counts
	$(GO) test -run='^$$' -bench=. -benchmem ./...

.PHONY: fuzz
fuzz: ## run each fuzz target for 10s (FUZZTIME=30s make fuzz for longer)
	@set -euo pipefail; \
	for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' "$$pkg" | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) "$$pkg"; \
	  done; \
	done

.PHONY: tidy-check
tidy-check: ## fail when go.mod or go.sum is not tidy (changes nothing)
	$(GO) mod tidy -diff

.PHONY: clean
clean: ## remove bin/ and the dev data directory
	rm -rf $(BIN) $(DATA_DIR)
