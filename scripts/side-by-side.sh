#!/bin/sh
# Runs the same benchmarks from several test binaries alternately, round
# after round, so that the machine's noise falls on all of them alike, and
# writes each binary's output (with the load average at each round) to
# OUTDIR/NAME.txt, NAME being the binary's file name without ".test".
#
# Build the binaries from the trees to compare, for example the bench
# package on two wazero releases:
#
#   go test -c -o /tmp/old.test ./bench/          # in the old tree
#   go test -c -o /tmp/new.test ./bench/          # in the new tree
#   ROUNDS=7 scripts/side-by-side.sh out 'BenchmarkColdStart/(wat-echo|go-hello)$' 1000x /tmp/old.test /tmp/new.test
#
# Run from the repository's root (the benchmarks run in bench/, where
# their fixtures are). Compare the medians of the rounds.
set -eu
if [ $# -lt 4 ]; then
	echo "usage: $0 OUTDIR BENCH-REGEXP BENCHTIME BINARY..." >&2
	exit 2
fi
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
bench=$2
benchtime=$3
shift 3
mkdir -p "$out"
root=$(pwd)
for r in $(seq 1 "${ROUNDS:-5}"); do
	for bin in "$@"; do
		name=$(basename "$bin" .test)
		bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
		echo "# round $r: $(uptime)" >>"$out/$name.txt"
		(cd "$root/bench" && "$bin" -test.run '^$' -test.bench "$bench" -test.benchmem \
			-test.count 1 -test.benchtime "$benchtime") >>"$out/$name.txt" 2>&1
	done
done
