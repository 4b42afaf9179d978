#!/usr/bin/env bash
# Runs every fuzz target of the module (a func FuzzX in a _test.go file) for
# FUZZTIME each (default 5s), one at a time: go test fuzzes one target per
# run. An input that fails is written under its package's testdata/fuzz/,
# where it stays as a regression case once the bug is fixed; the fuzzer's
# own finds stay in its cache ($(go env GOCACHE)/fuzz), not in the tree.
# Exits non-zero when any target fails, after running them all.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5s}

# The packages that hold a target: a grep is cheap, and go test -list then
# names each target as go test sees it.
mapfile -t dirs < <(git ls-files --cached --others --exclude-standard '*_test.go' |
  xargs grep -l '^func Fuzz' | xargs -n1 dirname | sort -u)
if [ ${#dirs[@]} -eq 0 ]; then echo "fuzz.sh: no fuzz targets found"; exit 1; fi

failed=()
count=0
for dir in "${dirs[@]}"; do
  mapfile -t targets < <(go test -list '^Fuzz' "./$dir" | grep '^Fuzz' || true)
  for target in "${targets[@]}"; do
    count=$((count + 1))
    echo "-- $target (./$dir, $fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "./$dir"; then
      failed+=("./$dir $target")
    fi
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} of $count targets failed:"; printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "fuzz.sh: $count targets passed"
