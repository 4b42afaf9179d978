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

# fuzz_one runs one target. On a loaded machine go test's fuzzer can stop with
# "context deadline exceeded" before it tried an input (its workers did not
# answer within -fuzztime): that is no failing input, so the target runs once
# more with twice the time, and a second such stop is reported as a warning.
# An input that fails ("Failing input written") always fails the run.
fuzz_one() { # dir target
  local out
  for attempt in 1 2; do
    local t=$fuzztime
    if [ "$attempt" = 2 ]; then t="$(( ${fuzztime%s} * 2 ))s"; fi
    if out=$(go test -run '^$' -fuzz "^${2}\$" -fuzztime "$t" "./$1" 2>&1); then
      echo "$out" | tail -n 3
      return 0
    fi
    echo "$out"
    if grep -q 'Failing input written' <<<"$out" || ! grep -q 'context deadline exceeded' <<<"$out"; then
      return 1
    fi
    echo "fuzz.sh: $2 stopped with 'context deadline exceeded' and no failing input (a loaded machine)"
  done
  echo "fuzz.sh: WARNING: $2 could not fuzz on this machine's load; no failing input was found"
  return 0
}

failed=()
count=0
for dir in "${dirs[@]}"; do
  mapfile -t targets < <(go test -list '^Fuzz' "./$dir" | grep '^Fuzz' || true)
  for target in "${targets[@]}"; do
    count=$((count + 1))
    echo "-- $target (./$dir, $fuzztime)"
    if ! fuzz_one "$dir" "$target"; then
      failed+=("./$dir $target")
    fi
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} of $count targets failed:"; printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "fuzz.sh: $count targets passed"
