# winnow — build, test, benchmark.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)

.PHONY: all build test deps vet gotest promtool bench bench-crawl fuzz clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o winnow ./cmd/winnow

## test: install what the tests need (when missing), vet, run every test with -race.
test: deps vet gotest promtool

# deps installs the real programs the integration tests use, from Debian
# packages, when missing and running as root: redis-server, prometheus and
# promtool, docker-compose (validates deploy/docker-compose.yml) and kubectl
# (renders deploy/kubernetes with kustomize).
deps:
	@missing=""; \
	command -v redis-server   >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v prometheus     >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v promtool       >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	command -v kubectl        >/dev/null 2>&1 || missing="$$missing kubernetes-client"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "warning: missing$$missing; their tests will skip (install: apt-get install -y$$missing)"; \
		fi; \
	fi

vet:
	$(GO) vet ./...

gotest:
	$(GO) test -race -timeout 9m ./...

promtool:
	@if [ -d deploy/prometheus ]; then \
		if command -v promtool >/dev/null 2>&1; then \
			promtool check config deploy/prometheus/prometheus.yml && \
			promtool check rules deploy/prometheus/alerts.yml && \
			promtool test rules deploy/prometheus/alerts_test.yml; \
		elif [ "$$CI" = true ]; then echo "promtool missing in CI" >&2; exit 1; \
		else echo "skip: promtool not installed"; fi; \
	fi

## bench: Go benchmarks of the cleaner, then the side-by-side extractor table.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./cleaner/
	cd bench && $(GO) run . -dataset $(CURDIR)/testdata/article-extraction-benchmark

## bench-crawl: pages/s and peak RSS of `winnow crawl` on 2,000- and 20,000-article local sites.
bench-crawl:
	bench/crawl.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzClean -fuzztime 60s ./cleaner/

clean:
	rm -f winnow
