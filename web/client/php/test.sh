#!/usr/bin/env bash
# The PHP client's tests: Debian's phpunit against a scopestore built from this repository (README.md,
# "Tests"). Arguments go to phpunit (--filter …). Exits non-zero when a test fails.
set -euo pipefail
cd "$(dirname "$0")"
export PATH=$PATH:/usr/local/go/bin

missing=()
command -v php >/dev/null || missing+=(php-cli)
command -v phpunit >/dev/null || missing+=(phpunit)
if command -v php >/dev/null && ! php -r 'exit(extension_loaded("curl") ? 0 : 1);'; then missing+=(php-curl); fi
if [ ${#missing[@]} -gt 0 ]; then
  msg="the PHP client's tests need ${missing[*]} (apt-get install -y php-cli php-curl phpunit)"
  if [ "${SCOPESTORE_TEST_REQUIRE_SERVICES:-}" = 1 ]; then echo "FAIL: $msg"; exit 1; fi
  echo "SKIP: $msg"; exit 0
fi

exec phpunit "$@"
