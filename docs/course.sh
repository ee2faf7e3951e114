#!/usr/bin/env bash
# docs/course.sh - regenerates the outputs in docs/course.md from the commands written in
# it, or (--check) fails when the file differs from what the commands print now.
#
# In docs/course.md a line `<!-- $ murphy ARGS -->` is a command; the fenced block right
# after it is its output, rewritten here: stdout of the command run in one scratch
# directory shared by the whole chapter (so a later command can read an earlier
# database), with the source tree's path removed and a last line `(exit N)` when the exit
# status is not 0. Lines of progress and timing (stderr) are not part of it. The pictures
# (`murphy timeline ... --out course/NAME.svg`) land in docs/course/; --check draws them
# into a scratch directory and compares them too.
#   docs/course.sh MURPHY_BIN [--check]
set -euo pipefail
bin=$(realpath "$1")
mode=${2:-write}
src=$(cd "$(dirname "$0")/.." && pwd)
doc="$src/docs/course.md"
scratch=$(mktemp -d)
out=$(mktemp)
pictures=$(mktemp -d)
trap 'rm -rf "$scratch" "$out" "$pictures"' EXIT
ln -s "$pictures" "$scratch/course"

run_block() {
    local cmd=$1 status=0 text
    # the commands are ours (this repository's chapter), run with murphy = the binary
    # a pipeline's status is its last command's, as at a prompt (| head is not a failure)
    text=$(set +o pipefail && cd "$scratch" && murphy() { "$bin" "$@"; } &&
           eval "$cmd" 2>/dev/null) || status=$?
    printf '```text\n$ %s\n' "$cmd"
    printf '%s\n' "$text" | sed -e "s|$src/||g" -e "s|$scratch/||g"
    [ "$status" -eq 0 ] || printf '(exit %d)\n' "$status"
    printf '```\n'
}

{
    skipping=0
    while IFS= read -r line || [ -n "$line" ]; do
        if [ "$skipping" -eq 1 ]; then
            [ "$line" = '```' ] && skipping=0
            continue
        fi
        if [ "$skipping" -eq 2 ]; then  # right after a command: its old block, if any
            skipping=0
            if [ "$line" = '```text' ]; then skipping=1; continue; fi
        fi
        printf '%s\n' "$line"
        if [[ $line =~ ^\<!--\ \$\ (.*)\ --\>$ ]]; then
            run_block "${BASH_REMATCH[1]}"
            skipping=2
        fi
    done < "$doc"
} > "$out"

if [ "$mode" = --check ]; then
    if ! diff -u "$doc" "$out" || ! diff -r "$src/docs/course" "$pictures"; then
        echo "docs/course.md drifted from what the commands print: run docs/course.sh $1" >&2
        exit 1
    fi
    echo "docs/course.md matches what its $(grep -c '^<!-- \$ ' "$doc") commands print" \
         "and its $(ls "$pictures" | wc -l) pictures"
else
    cp "$out" "$doc"
    rm -rf "$src/docs/course"
    mkdir -p "$src/docs/course"
    cp "$pictures"/. "$src/docs/course/" -r
fi
