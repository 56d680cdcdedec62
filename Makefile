# empctl: see README.md. `make up` runs the stack locally, `make test` runs every test.
SHELL := /bin/bash
GO ?= go
GOBIN ?= $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
PKG     := github.com/empctl/empctl/pkg/buildinfo
LDFLAGS := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT) -X $(PKG).Date=$(DATE)
# checkov lives in its own venv (.ci/lib/35-checkov.sh installs it there).
CHECKOV ?= /opt/empctl/venv-checkov/bin/checkov
# The provider schemas terraform/ is checked against (.ci/lib/32-tfschema.sh fetches them).
TFSCHEMA_DIR ?= /opt/empctl/tfschema

.PHONY: all build up test test-go test-race test-webapp bench lint services clean

all: build

## build: the empctl and server binaries, into bin/
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/empctl ./cmd/empctl
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/server ./cmd/server

## up: run the whole stack locally (Ctrl-C stops it)
up: build
	./bin/empctl up $(UP_FLAGS)

## test: every test: Go unit and integration tests, then the webapp's. On Debian as root it
## first installs and starts the services they need (.ci/test); elsewhere it names what is missing.
test:
	@./.ci/test

test-go:
	$(GO) test -count=1 -timeout 20m ./...

# The race detector over the packages that run goroutines of their own. The end-to-end
# verifications (200 requests a second for a minute) run without it in test-go.
RACE_PKGS := ./pkg/s3sync/ ./pkg/cdn/ ./pkg/ecsdeploy/... ./pkg/cmd/... ./pkg/loadtest/ \
	./pkg/local/balancer/ ./pkg/local/control/ ./pkg/local/webroot/ ./pkg/local/build/ ./server/store/
test-race:
	$(GO) test -race -count=1 -timeout 20m -skip 'TestVerifyZeroDowntimeAcrossRolloutsARollbackAndAKill|TestBrokenReleaseFailsAndTheOldVersionKeepsServing' $(RACE_PKGS)

test-webapp:
	@if [ -f webapp/package.json ]; then $(MAKE) -C webapp test; else echo "webapp: not yet present"; fi

## bench: throughput and latency figures, each next to its baseline
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./server/... 
	$(GO) test -run '^$$' -bench . -benchtime 1x ./pkg/local/stack/
	$(GO) test -run '^$$' -bench . -benchtime 1x ./pkg/image/
	EMPCTL_AWS_CLI=$$(bash .ci/bench/awscli.sh) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./pkg/s3sync/

## lint: formatting, vet, golangci-lint, goreleaser config, Terraform fmt, its provider schema, tfsec and checkov, the webapp's prettier
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	golangci-lint run ./...
	goreleaser check
	@# goreleaser ships macOS builds: every package must compile and vet there too.
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	terraform fmt -check -recursive terraform/
	$(GO) run ./cmd/tfschema-lint -schemas $(TFSCHEMA_DIR) terraform/
	tfsec terraform --no-color --no-module-downloads --concise-output
	$(CHECKOV) -d terraform --framework terraform --compact --quiet --skip-download
	@if [ -f webapp/package.json ]; then $(MAKE) -C webapp lint; fi

## services: start the test services (MariaDB) and print the exports for them: eval $$(make -s services)
services:
	@bash -c 'set -euo pipefail; export GOBIN=$(GOBIN); . .ci/lib/common.sh; . .ci/lib/10-mariadb.sh >&2; echo "export EMPCTL_TEST_MYSQL_DSN=\"$$EMPCTL_TEST_MYSQL_DSN\""'

clean:
	rm -rf bin dist
