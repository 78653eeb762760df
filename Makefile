# isolated-pymcp: run `make` (or `make help`) for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_STAMP := node_modules/.package-lock.json
BUILD_STAMP := dist/bundle/main.cjs
SOURCES := $(shell find src bench -name '*.ts' 2>/dev/null) tsconfig.json tsconfig.build.json scripts/bundle.js

.PHONY: help setup build test lint run analyze bench bench-analyze bench-load bench-repo bench-startup bench-sizing doctor clean

ALGO ?= fibonacci

help: ## Show the targets (this list)
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Install what is missing: system packages (scripts/system-packages.sh test: apt-get when root) and npm dependencies
	@scripts/system-packages.sh install test
	@$(MAKE) --no-print-directory $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

build: setup $(BUILD_STAMP) ## Compile TypeScript to dist/

$(BUILD_STAMP): $(NODE_STAMP) $(SOURCES)
	npm run build

test: build ## Run every test (unit, integration with real bwrap/python, e2e over MCP stdio)
	npx tsc -p tsconfig.json
	npx vitest run
	GROWTH=1 npx vitest run

lint: setup ## Type-check, ESLint (type-aware) and Prettier
	npx tsc -p tsconfig.json
	npm run lint

analyze: build ## The main job: analyse an algorithm (ALGO=fibonacci; see --list); HTML in reports/
	@mkdir -p reports
	./bin/isolated-pymcp analyze $(ALGO) --html reports/$(ALGO).html

run: build ## Start the MCP server on stdio (workspace: this directory)
	./bin/isolated-pymcp serve

bench: build ## Benchmarks: execution vs bare python3/bwrap, LSP bridge vs direct language server, analyze stability (~20 min)
	npm run bench

bench-analyze: build ## Stability of analyze: every bundled module 5 times under one busy core; textbook class per implementation (~20 min)
	npm run bench:analyze

bench-load: build ## Load benchmark: 32 HTTP clients + 1 parallel stdio client, benign and hostile calls (~2 min)
	npm run bench:load

bench-repo: build ## LSP tools on a ~320-file repository-shaped workspace: first answer and warm, beside a tiny one (~4 min)
	npm run bench:repo

bench-startup: build ## Start-up alone: spawn -> first result of serve beside a bare node -e (tables 1 and 1b, ~15 s)
	npm run bench:startup

bench-sizing: build ## Memory per warm sandbox, per MCP session and of pyright (tiny and ~320-file workspace), for docs/deploy.md (~2 min)
	npm run bench:sizing

doctor: build ## Check bubblewrap, user namespaces, Python, the sandbox and the language servers
	./bin/isolated-pymcp doctor

clean: ## Remove build output
	rm -rf dist
