# The same commands the README gives; CI runs .ci/run.
.PHONY: run test race lint generate integration-test ci

run:
	go run ./cmd/scopestore

test:
	go test ./...

race:
	go test -race ./...

# Run from the repository root, as CI does: the generated files name their templates by path from here.
generate:
	go tool templ generate

lint:
	gofmt -l . | (! grep .)
	go vet ./...

# Fails instead of skipping when MariaDB, PostgreSQL or Redis is missing.
integration-test:
	SCOPESTORE_TEST_REQUIRE_SERVICES=1 go test -race -count=1 ./...

ci:
	bash .ci/run
