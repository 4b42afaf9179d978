# The same commands the README gives; CI runs .ci/run.
.PHONY: run test race lint integration-test ci

run:
	go run ./cmd/scopestore

test:
	go test ./...

race:
	go test -race ./...

lint:
	gofmt -l . | (! grep .)
	go vet ./...

# Fails instead of skipping when MariaDB, PostgreSQL or Redis is missing.
integration-test:
	SCOPESTORE_TEST_REQUIRE_SERVICES=1 go test -race -count=1 ./...

ci:
	bash .ci/run
