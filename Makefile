# llmbench: see README.md. Every target works on a fresh clone with only Go installed.
GO ?= go
PKGS := ./...

.PHONY: all test vet race norace fmt-check

all: test

## test: what CI runs: vet, gofmt, the race-enabled suite, and the defect
## tests that need a build without the race detector.
test: vet fmt-check race norace

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

race:
	$(GO) test -race -count=1 $(PKGS)

# Tests tagged !race show data races by their effects (lost updates), which
# the race detector would report as failures instead.
norace:
	$(GO) test -count=1 -run 'SeedDefect' ./core/...
