#!/usr/bin/env bash
# tests/install/install-and-build.sh - the fixture of tests/install/test_plugin.c: installs
# murphy from BUILD into a fresh PREFIX (cmake --install --prefix), checks what was
# installed as headers (exactly the public API, each header compiling on its own), then
# builds examples/two-phase-commit out of tree twice against that prefix: with CMake
# (find_package(murphy) through CMAKE_PREFIX_PATH) into EXAMPLE_BUILD, and with plain cc
# and pkg-config into EXAMPLE_BUILD/pkgconfig. Writes EXAMPLE_BUILD/libtpc.so.sha256 (by
# sha256sum, independently of murphy) for the test to compare with the record.
# usage: install-and-build.sh SOURCE_DIR BUILD_DIR PREFIX EXAMPLE_BUILD C_COMPILER
set -euo pipefail
source_dir=$1 build_dir=$2 prefix=$3 example_build=$4 cc=$5
rm -rf "$prefix" "$example_build"
cmake --install "$build_dir" --prefix "$prefix" > /dev/null

# Exactly the public headers, nothing else.
expected="model.h murphy.h node.h oracle.h plugin.h wire.h"
installed=$(cd "$prefix/include" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')
want=$(for h in $expected; do echo "murphy/$h"; done | sort | tr '\n' ' ')
if [ "$installed" != "$want" ]; then
    echo "installed headers: $installed"
    echo "expected:          $want"
    exit 1
fi
# Each compiles alone, strictly (self-contained: includes what it uses).
header_count=0
for h in $expected; do
    printf '#include <murphy/%s>\n' "$h" |
        "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$prefix/include" -x c -
    header_count=$((header_count + 1))
done
echo "headers: $header_count installed, each self-contained"
test -x "$prefix/bin/murphy"
test -f "$prefix/share/murphy/scenarios/split-brain.ini"

# CMake: find_package(murphy) from the prefix.
cmake -S "$source_dir/examples/two-phase-commit" -B "$example_build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    > "$example_build.cmake.log" 2>&1 || { cat "$example_build.cmake.log"; exit 1; }
cmake --build "$example_build" > "$example_build.build.log" 2>&1 ||
    { cat "$example_build.build.log"; exit 1; }
test -f "$example_build/libtpc.so"
sha256sum "$example_build/libtpc.so" | cut -d' ' -f1 > "$example_build/libtpc.so.sha256"

# pkg-config: the same library by hand.
mkdir -p "$example_build/pkgconfig"
pc_dir=$(dirname "$(find "$prefix" -name murphy.pc)")
flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs murphy)
(cd "$source_dir/examples/two-phase-commit" &&
    "$cc" -std=c11 -Wall -Wextra -Werror -fPIC -shared -o "$example_build/pkgconfig/libtpc.so" \
        plugin.c tpc_coordinator.c tpc_participant.c tpc_oracle.c $flags)
echo "example built with find_package(murphy) and with pkg-config"
