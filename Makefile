# winnow — build, test, benchmark.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
APT_PKGS := redis-server prometheus

.PHONY: all build test deps vet gotest promtool bench fuzz clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o winnow ./cmd/winnow

## test: install what the tests need (when missing), vet, run every test with -race.
test: deps vet gotest promtool

# deps installs the real servers the integration tests use (Redis, Prometheus
# and promtool) from Debian packages, once, when running as root.
deps:
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v prometheus   >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v promtool     >/dev/null 2>&1 || missing="$$missing prometheus"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PKGS) >/dev/null; \
		else \
			echo "warning: missing$$missing; integration tests will skip (install: apt-get install -y $(APT_PKGS))"; \
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
	cd bench && $(GO) run . -dataset ../../shared/datasets/article-extraction-benchmark

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzClean -fuzztime 60s ./cleaner/

clean:
	rm -f winnow
