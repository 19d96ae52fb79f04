# winnow — build, test, benchmark.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)

.PHONY: all build test deps vet gotest promtool bench bench-large bench-deps fuzz clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o winnow ./cmd/winnow

## test: install what the tests need (when missing), vet, run every test with -race.
test: deps vet gotest promtool

# deps installs the real programs the integration tests use, from Debian
# packages, when missing and running as root: redis-server, prometheus and
# promtool, docker-compose (validates deploy/docker-compose.yml) and kubectl
# (renders deploy/kubernetes with kustomize), node and npm, then warcio (the
# independent WARC reader of the archive tests) into internal/testwarc.
WARCIO := warcio@2.4.11
deps:
	@missing=""; \
	command -v redis-server   >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v prometheus     >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v promtool       >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	command -v kubectl        >/dev/null 2>&1 || missing="$$missing kubernetes-client"; \
	command -v node           >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm            >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "warning: missing$$missing; their tests will skip (install: apt-get install -y$$missing)"; \
		fi; \
	fi
	@if [ ! -f internal/testwarc/node_modules/warcio/package.json ] && command -v npm >/dev/null 2>&1; then \
		echo "installing: $(WARCIO) into internal/testwarc"; \
		npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix internal/testwarc $(WARCIO) >/dev/null; \
	fi

vet:
	$(GO) vet ./...

# The cleaner is a pure function that starts no goroutines: under the race
# detector its data-heavy tests (the benchmark pages, the negative corpus,
# every phrase entry against it) run some 30 times slower for nothing, so
# they run without it, and its concurrent-use test runs with it. Every
# other package runs all its tests with -race.
gotest:
	$(GO) test -race -timeout 9m $$($(GO) list ./... | grep -v '^winnow/cleaner$$')
	$(GO) test -timeout 9m ./cleaner/
	$(GO) test -race -timeout 9m -run 'Concurrent' ./cleaner/

promtool:
	@if [ -d deploy/prometheus ]; then \
		if command -v promtool >/dev/null 2>&1; then \
			promtool check config deploy/prometheus/prometheus.yml && \
			promtool check rules deploy/prometheus/alerts.yml && \
			promtool test rules deploy/prometheus/alerts_test.yml; \
		elif [ "$$CI" = true ]; then echo "promtool missing in CI" >&2; exit 1; \
		else echo "skip: promtool not installed"; fi; \
	fi

## bench: one run, one table (bench/results.md): extractors in process, a
## crawl of a generated 2,000-article loopback site by winnow, colly and
## Scrapy, and whole-process start-up. BENCH_FLAGS passes flags to bench/
## (e.g. BENCH_FLAGS='-crawl-rounds 5'; `cd bench && go run . -h` lists them).
## -mod=mod: bench/ follows winnow's own dependencies as they change.
bench: bench-deps
	cd bench && $(GO) run -mod=mod . -repo $(CURDIR) -out results.md $(BENCH_FLAGS)

## bench-large: the same, plus a 20,000-article crawl for the RSS growth check.
bench-large:
	$(MAKE) bench BENCH_FLAGS='-large 20000 $(BENCH_FLAGS)'

# bench-deps installs GNU time (peak RSS of each process) and Scrapy (a peer
# of the crawl comparison) from Debian packages when missing and root.
bench-deps:
	@missing=""; \
	[ -x /usr/bin/time ] || missing="$$missing time"; \
	python3 -c 'import scrapy' 2>/dev/null || /usr/bin/python3 -c 'import scrapy' 2>/dev/null || missing="$$missing python3-scrapy"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "warning: missing$$missing (apt-get install -y$$missing); without Scrapy its row is left out"; \
		fi; \
	fi

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzClean -fuzztime 60s ./cleaner/

clean:
	rm -f winnow
