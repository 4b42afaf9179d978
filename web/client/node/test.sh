#!/usr/bin/env bash
# The Node client's tests, as .ci/run calls them: install the locked
# devDependencies when node_modules is missing or older than package-lock.json,
# build scopestore once for every test file, then node --test. Arguments go to
# node --test (e.g. ./test.sh store.test.js).
set -euo pipefail
cd "$(dirname "$0")"
export PATH=$PATH:/usr/local/go/bin

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

if [ -z "${SCOPESTORE_BIN:-}" ] && command -v go >/dev/null; then
  bin_dir=$(mktemp -d)
  trap 'rm -rf "$bin_dir"' EXIT
  (cd ../../.. && go build -o "$bin_dir/scopestore" ./cmd/scopestore)
  export SCOPESTORE_BIN=$bin_dir/scopestore
fi

node --test "$@"
