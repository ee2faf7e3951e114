#!/usr/bin/env bash
# Runs the golden scenario with one murphy binary for every seed listed in
# everything.hashes and compares the event-stream hashes. Used by .ci/run to check that
# builds with other compilers and optimisation levels give the same hashes.
# usage: tests/golden/check-hashes.sh PATH/TO/murphy
set -euo pipefail
bin=${1:?usage: check-hashes.sh PATH/TO/murphy}
here=$(cd "$(dirname "$0")" && pwd)
status=0
while read -r seed expected; do
    actual=$("$bin" run "$here/everything.ini" --seed "$seed" --no-db --quiet | sed -n 's/^hash: //p')
    if [ "$actual" != "$expected" ]; then
        echo "golden hash mismatch for seed $seed: expected $expected, got $actual ($bin)"
        status=1
    fi
done < "$here/everything.hashes"
[ $status -eq 0 ] && echo "golden hashes match ($bin)"
exit $status
