#!/usr/bin/env bash
# Instructions per prepared evaluation of the benchmark problems (J1 every row at
# n = 1000, J2 N = 32, J3, H1-H3 at n = 10^4), counted by valgrind's callgrind: the
# count of 11 evaluations less that of 1, divided by 10, so preparation and start-up
# cancel. Unlike times on a shared virtual machine, the counts do not drift: run it on
# two commits to compare a change of generated or runtime code. Needs valgrind.
#
#   scripts/instructions.sh [problems...]   (default: J1 J2 J3 H1 H2 H3)
set -euo pipefail
cd "$(dirname "$0")/.."
problems=${*:-J1 J2 J3 H1 H2 H3}
bin=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*instructions[^"]*\)".*/\1/p' | tail -1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$1" "$2" >/dev/null 2>&1
  callgrind_annotate "$out/cg" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}
for p in $problems; do
  one=$(count "$p" 1)
  eleven=$(count "$p" 11)
  echo "$p: $(((eleven - one) / 10)) instructions per prepared evaluation"
done
