#!/usr/bin/env bash
# Fails if a library of models or of the kernel has writable static data (.data, .bss,
# common): a mutable static would leak state from one run into the next when a sweep or
# a search runs many worlds in one process, and break determinism. The kernel's single
# exception is the assertion context (sim/assert.c), read only on the way to abort().
# usage: tests/check-no-writable-statics.sh LIB.a...
set -euo pipefail
status=0
for lib in "$@"; do
    # objdump -t: "ADDR flags O SECTION SIZE NAME"; keep data objects outside read-only sections
    writable=$(objdump -t "$lib" | awk '$0 ~ / O / { for (i = 1; i <= NF; i++) if ($i == "O") {
        section = $(i + 1); name = $NF
        # AddressSanitizer adds its own markers (__odr_asan.*); they are not ours
        if (section !~ /^\.rodata/ && section !~ /^\.data\.rel\.ro/ && name != "assert_context" &&
            name !~ /^__odr_asan/ && name !~ /^__asan/)
            print section " " name } }')
    if [ -n "$writable" ]; then
        echo "$lib has writable static data:"
        echo "$writable"
        status=1
    fi
done
[ $status -eq 0 ] && echo "no writable static data in: $*"
exit $status
