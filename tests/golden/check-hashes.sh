#!/usr/bin/env bash
# Runs every golden scenario (tests/golden/NAME.ini) with one murphy binary for every seed
# listed in NAME.hashes and compares the event-stream hashes. Used by .ci/run to check
# that builds with other compilers and optimisation levels give the same hashes.
# usage: tests/golden/check-hashes.sh PATH/TO/murphy
set -euo pipefail
bin=${1:?usage: check-hashes.sh PATH/TO/murphy}
here=$(cd "$(dirname "$0")" && pwd)
status=0
checked=0
for hashes in "$here"/*.hashes; do
    scenario=${hashes%.hashes}.ini
    while read -r seed expected; do
        actual=$("$bin" run "$scenario" --seed "$seed" --no-db --quiet | sed -n 's/^hash: //p')
        if [ "$actual" != "$expected" ]; then
            echo "golden hash mismatch for $(basename "$scenario") seed $seed:" \
                 "expected $expected, got $actual ($bin)"
            status=1
        fi
        checked=$((checked + 1))
    done < "$hashes"
done
[ $checked -gt 0 ] || { echo "no golden hashes found in $here"; exit 1; }
[ $status -eq 0 ] && echo "golden hashes match: $checked runs ($bin)"
exit $status
